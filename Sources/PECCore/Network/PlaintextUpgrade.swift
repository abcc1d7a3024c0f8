import NIOCore
import NIOSSL

/// The cleartext dialog before STARTTLS, line by line: one per protocol (IMAP here, SMTP later).
package protocol StartTLSDialog: Sendable {
    /// What to do with line number `number` (0 = the greeting) the server sent, without its CRLF.
    func step(after line: [UInt8], number: Int) -> StartTLSStep
}

package enum StartTLSStep {
    /// Send these bytes and keep reading.
    case send([UInt8])
    /// Ignore the line (an untagged response, a continuation of a multi-line reply).
    case wait
    /// The server agreed: start TLS now. Nothing may follow this line in cleartext.
    case upgrade
    case fail(PECError)
}

/// Runs a ``StartTLSDialog`` on the event loop, before anything else sees the connection, and
/// puts the TLS handler in place in the same event-loop turn as the server's "go ahead": bytes the
/// server (or someone in the middle) sends after that line are refused, never read as if they had
/// come through TLS (the CVE-2011-0411 class of bug). Cleartext never reaches the application.
final class StartTLSHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let dialog: any StartTLSDialog
    private let makeTLSHandler: () throws -> NIOSSLClientHandler
    /// Completed once TLS is in place (the application may write from then on), failed if the
    /// dialog fails: nothing may be written before, or it would go out in cleartext.
    let upgraded: EventLoopPromise<Void>
    private var pending: [UInt8] = []
    private var finished = false
    private var lineCount = 0
    /// A server that never stops talking in cleartext is not negotiating.
    private static let limit = 64 * 1024

    init(
        dialog: any StartTLSDialog,
        upgraded: EventLoopPromise<Void>,
        makeTLSHandler: @escaping () throws -> NIOSSLClientHandler
    ) {
        self.dialog = dialog
        self.upgraded = upgraded
        self.makeTLSHandler = makeTLSHandler
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished {
            finished = true
            upgraded.fail(PECError(.network, "the server closed the connection before STARTTLS", retryable: true))
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        let buffer = unwrapInboundIn(data)
        pending.append(contentsOf: buffer.readableBytesView)
        guard pending.count <= Self.limit else {
            return fail(context, PECError(.malformed, "the server sent too much before STARTTLS"))
        }
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            var line = Array(pending[..<newline])
            pending.removeSubrange(...newline)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            lineCount += 1
            switch dialog.step(after: line, number: lineCount - 1) {
            case .wait:
                continue
            case .send(let bytes):
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
            case .fail(let error):
                return fail(context, error)
            case .upgrade:
                guard pending.isEmpty else {
                    return fail(
                        context,
                        PECError(
                            .tls,
                            "the server sent data after agreeing to STARTTLS: refusing the connection",
                            hint: "someone may be tampering with the connection; use implicit TLS if you can"
                        )
                    )
                }
                finished = true
                do {
                    try context.pipeline.syncOperations.addHandler(makeTLSHandler(), position: .before(self))
                    context.pipeline.syncOperations.removeHandler(self, promise: nil)
                    upgraded.succeed()
                } catch {
                    finished = false
                    fail(context, PECError(.tls, "cannot start TLS: \(error)"))
                }
                return
            }
        }
    }

    private func fail(_ context: ChannelHandlerContext, _ error: PECError) {
        finished = true
        pending = []
        upgraded.fail(error)
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}
