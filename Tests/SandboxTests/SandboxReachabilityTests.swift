import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// The sandbox `make test` started, reached over TLS from Swift with the sandbox CA, as every later
/// integration test will. When `make test` said the sandbox is there (PEC_SANDBOX=1), an unreachable
/// sandbox fails these tests; they are disabled only when run outside `make test`.
@Suite("Sandbox", .enabled(if: Sandbox.isAnnounced, "run through `make test`, which starts the sandbox"))
struct SandboxReachabilityTests {
    @Test("Dovecot greets over IMAPS, trusted through the sandbox CA")
    func imapsGreeting() async throws {
        let sandbox = try Sandbox.fromEnvironment()
        let line = try await TLSLine.firstLine(host: sandbox.host, port: sandbox.imapsPort, caFile: sandbox.caFile)
        #expect(line.hasPrefix("* OK"))
        #expect(line.contains("IMAP4rev1"))
    }

    @Test("the PEC simulator greets over SMTPS, trusted through the sandbox CA")
    func smtpsGreeting() async throws {
        let sandbox = try Sandbox.fromEnvironment()
        let line = try await TLSLine.firstLine(host: sandbox.host, port: sandbox.smtpsPort, caFile: sandbox.caFile)
        #expect(line.hasPrefix("220 "))
    }

    @Test("without the sandbox CA the certificate is refused")
    func untrusted() async throws {
        let sandbox = try Sandbox.fromEnvironment()
        await #expect(throws: NIOSSLError.self) {
            _ = try await TLSLine.firstLine(host: sandbox.host, port: sandbox.imapsPort, caFile: nil)
        }
    }
}

struct Sandbox {
    var host: String
    var imapsPort: Int
    var smtpsPort: Int
    var caFile: String

    static var isAnnounced: Bool { ProcessInfo.processInfo.environment["PEC_SANDBOX"] == "1" }

    static func fromEnvironment() throws -> Sandbox {
        let env = ProcessInfo.processInfo.environment
        func value(_ name: String) throws -> String {
            try #require(env[name], "\(name) is not set although PEC_SANDBOX=1")
        }
        return Sandbox(
            host: try value("PEC_SANDBOX_HOST"),
            imapsPort: try #require(Int(try value("PEC_SANDBOX_IMAPS_PORT"))),
            smtpsPort: try #require(Int(try value("PEC_SANDBOX_SMTPS_PORT"))),
            caFile: try value("PEC_SANDBOX_CA_FILE")
        )
    }
}

/// Connects with TLS and returns the server's first line (its greeting), within 10 seconds.
enum TLSLine {
    struct Timeout: Error {}

    static func firstLine(host: String, port: Int, caFile: String?) async throws -> String {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.trustRoots = .file(caFile) }
        let context = try NIOSSLContext(configuration: tls)
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: String.self)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: "localhost")
                    )
                    try channel.pipeline.syncOperations.addHandler(FirstLineHandler(promise: promise))
                }
            }
            .connect(host: host, port: port)
            .get()
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(10)) { promise.fail(Timeout()) }
        defer {
            timeout.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }
}

/// Completes the promise with the first line, or with the first error or end of stream
/// (NIO ignores every completion after the first).
private final class FirstLineHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let promise: EventLoopPromise<String>
    private var received = ""

    init(promise: EventLoopPromise<String>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        received += buffer.readString(length: buffer.readableBytes) ?? ""
        // "\r\n" is one Character in Swift: look for the line end among the scalars.
        if let newline = received.unicodeScalars.firstIndex(of: "\n") {
            promise.succeed(String(received[..<newline]).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
