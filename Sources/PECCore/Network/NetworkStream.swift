import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// A byte stream to a mail server (IMAP or SMTP) over TLS, with the timeouts of its
/// ``ConnectionSettings`` on every wait. It only exists inside ``withStream(_:logger:_:)``, which
/// closes it however the body ends, and is used from one task at a time.
///
/// Every error it throws is a ``PECError`` that says what failed and whether retrying may help.
final class NetworkStream: MailByteStream {
    let settings: ConnectionSettings
    private let channel: any Channel
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let timedOut: NIOLockedValueBox<Bool>
    /// Bytes that reached the channel (counted on the event loop) and bytes this stream has read:
    /// a read's timer gives up only when nothing it could read arrived, so a task that was slow to
    /// resume (a busy process) never takes an answer that came in time for a timeout.
    private let arrived: ArrivalCounter
    private var consumedByteCount = 0
    private var closedByPeer = false

    private init(
        settings: ConnectionSettings,
        channel: any Channel,
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        timedOut: NIOLockedValueBox<Bool>,
        arrived: ArrivalCounter
    ) {
        self.arrived = arrived
        self.settings = settings
        self.channel = channel
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.timedOut = timedOut
    }

    /// Connects (TLS from the first byte for ``ServerEndpoint/Security/implicitTLS``, plain until
    /// TLS after `dialog`, the protocol's STARTTLS exchange, otherwise), runs `body`, then closes it.
    static func withStream<Result>(
        _ settings: ConnectionSettings,
        startTLS dialog: (any StartTLSDialog)? = nil,
        logger: Logger,
        _ body: (NetworkStream) async throws -> Result
    ) async throws -> Result {
        let tlsContext = try makeTLSContext(settings)
        let host = settings.endpoint.host
        let implicitTLS = settings.endpoint.security == .implicitTLS
        let serverName = NetworkStream.serverName(for: host)
        let timedOut = NIOLockedValueBox(false)
        let arrived = ArrivalCounter()
        let started = ContinuousClock.now
        let asyncChannel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        let upgraded: EventLoopFuture<Void>?
        do {
            (asyncChannel, upgraded) = try await ClientBootstrap(group: EventLoops.shared)
                .connectTimeout(TimeAmount(settings.timeout))
                .channelOption(.socketOption(.so_keepalive), value: 1)
                .connect(host: host, port: settings.endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        var upgraded: EventLoopFuture<Void>?
                        if implicitTLS {
                            try channel.pipeline.syncOperations.addHandler(
                                NIOSSLClientHandler(context: tlsContext, serverHostname: serverName)
                            )
                        } else if let dialog {
                            let promise = channel.eventLoop.makePromise(of: Void.self)
                            try channel.pipeline.syncOperations.addHandler(
                                StartTLSHandler(dialog: dialog, upgraded: promise) {
                                    try NIOSSLClientHandler(context: tlsContext, serverHostname: serverName)
                                }
                            )
                            upgraded = promise.futureResult
                        } else {
                            throw PECError(.internal, "STARTTLS without a dialog for this protocol")
                        }
                        // Last before the async channel's own handlers: it counts the bytes the stream will read.
                        try channel.pipeline.syncOperations.addHandler(arrived)
                        let wrapped = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                        return (wrapped, upgraded)
                    }
                }
        } catch {
            throw NetworkFailure.pecError(for: error, settings: settings, phase: .connecting)
        }
        logger.debug("connected to \(settings.address) in \(NetworkFailure.short(ContinuousClock.now - started))")
        if let upgraded {
            // Nothing may be written before TLS is in place; the dialog's waits are bounded too.
            // The dialog runs on the event loop; its outcome stands however late this task resumes.
            let settled = NIOLockedValueBox(false)
            upgraded.whenComplete { _ in settled.withLockedValue { $0 = true } }
            let timer = asyncChannel.channel.eventLoop.scheduleTask(in: TimeAmount(settings.timeout)) {
                [channel = asyncChannel.channel] in
                guard !settled.withLockedValue({ $0 }) else { return }
                timedOut.withLockedValue { $0 = true }
                channel.close(promise: nil)
            }
            defer { timer.cancel() }
            do {
                try await upgraded.get()
            } catch {
                try? await asyncChannel.channel.close()
                if timedOut.withLockedValue({ $0 }) { throw NetworkFailure.timeout(settings, waitingFor: "the server") }
                throw NetworkFailure.pecError(for: error, settings: settings, phase: .handshake)
            }
            logger.debug("STARTTLS done after \(NetworkFailure.short(ContinuousClock.now - started))")
        }
        var bodyError: (any Error)?
        do {
            return try await asyncChannel.executeThenClose { inbound, outbound in
                let stream = NetworkStream(
                    settings: settings,
                    channel: asyncChannel.channel,
                    inbound: inbound,
                    outbound: outbound,
                    timedOut: timedOut,
                    arrived: arrived
                )
                do {
                    return try await body(stream)
                } catch {
                    bodyError = error
                    throw error
                }
            }
        } catch {
            if let bodyError { throw bodyError }
            // Errors from closing the channel after the body is done.
            throw NetworkFailure.pecError(for: error, settings: settings, phase: .reading)
        }
    }

    /// The next bytes from the server. Waits at most `timeout` (the settings' timeout when nil);
    /// a closed connection is an error (a mail server never just stops talking in the middle of a
    /// reply). The clients bound a whole response with a ``ResponseDeadline`` and pass what is left.
    func read(timeout: Duration? = nil) async throws -> ByteBuffer {
        if closedByPeer {
            throw NetworkFailure.closed(settings)
        }
        let consumedBefore = consumedByteCount
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout ?? settings.timeout)) {
            [timedOut, channel, arrived] in
            guard arrived.byteCount.withLockedValue({ $0 }) == consumedBefore else { return }
            timedOut.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        do {
            if let buffer = try await inbound.next() {
                consumedByteCount += buffer.readableBytes
                return buffer
            }
        } catch {
            if timedOut.withLockedValue({ $0 }) { throw NetworkFailure.timeout(settings, waitingFor: "the server") }
            throw NetworkFailure.pecError(for: error, settings: settings, phase: .reading)
        }
        if timedOut.withLockedValue({ $0 }) { throw NetworkFailure.timeout(settings, waitingFor: "the server") }
        closedByPeer = true
        throw NetworkFailure.closed(settings)
    }

    var hasUnreadBytes: Bool { arrived.byteCount.withLockedValue { $0 } > consumedByteCount }

    var firstUnreadArrival: ContinuousClock.Instant? { arrived.firstArrival(after: consumedByteCount) }

    func write(_ bytes: [UInt8]) async throws {
        do {
            try await outbound.write(ByteBuffer(bytes: bytes))
        } catch {
            // The connection this stream closed itself, on a read's timeout, is not the server's doing.
            if timedOut.withLockedValue({ $0 }) { throw NetworkFailure.timeout(settings, waitingFor: "the server") }
            throw NetworkFailure.pecError(for: error, settings: settings, phase: .writing)
        }
    }

    /// Closes the connection now; later reads and writes fail. How an SMTP message abandoned in
    /// the middle of DATA is discarded: the server never sees its end.
    func close() async {
        try? await channel.close()
    }

    /// Writes `bytes` after `delay` unless cancelled first, without waiting for it: how IDLE is
    /// ended on time while this task waits for the server (whose answer then wakes it up).
    /// `claim` is checked and set on the event loop, so a write happens at most once between
    /// this and any direct write guarded by the same flag.
    func scheduleWrite(_ bytes: [UInt8], after delay: Duration, claim: NIOLockedValueBox<Bool>) -> ScheduledWrite {
        let scheduled = channel.eventLoop.scheduleTask(in: TimeAmount(delay)) { [channel] in
            if claim.claimOnce() { channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil) }
        }
        return ScheduledWrite { scheduled.cancel() }
    }

    /// The negotiated TLS version and the server's certificate, once TLS is up (for `pec doctor`).
    func tlsPeer() async throws -> (version: TLSVersion?, certificate: NIOSSLCertificate?) {
        let version = try await channel.nioSSL_tlsVersion().get()
        let certificate = try await channel.nioSSL_peerCertificate().get()
        return (version, certificate)
    }

    /// SNI cannot carry an IP address; certificates are then matched against the address itself.
    private static func serverName(for host: String) -> String? {
        var v4 = in_addr()
        var v6 = in6_addr()
        let isIP = host.withCString { inet_pton(AF_INET, $0, &v4) == 1 || inet_pton(AF_INET6, $0, &v6) == 1 }
        return isIP ? nil : host
    }

    private static func makeTLSContext(_ settings: ConnectionSettings) throws -> NIOSSLContext {
        try EventLoops.clientTLSContext(caFile: settings.caFile) { try newTLSContext(settings) }
    }

    private static func newTLSContext(_ settings: ConnectionSettings) throws -> NIOSSLContext {
        var configuration = SystemCertificates.verifyingClientConfiguration()
        if let caFile = settings.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw PECError(
                    .io,
                    "cannot read the CA file \(caFile)",
                    remedy: .checkServerCA(file: caFile)
                )
            }
            configuration.additionalTrustRoots = [.file(caFile)]
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw PECError(
                .tls,
                "cannot set up TLS\(settings.caFile.map { " with the CA file \($0)" } ?? ""): \(error)",
                hint: settings.caFile == nil ? nil : "the CA file must hold PEM certificates"
            )
        }
    }
}

extension NIOLockedValueBox<Bool> {
    /// Sets the flag; true only for the first caller, whichever thread it runs on.
    package func claimOnce() -> Bool {
        withLockedValue { claimed in
            defer { claimed = true }
            return !claimed
        }
    }
}

/// Counts the bytes that reach the end of the pipeline (after TLS), on the event loop.
final class ArrivalCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let byteCount = NIOLockedValueBox(0)
    /// When each chunk not yet read arrived: the byte count at its end, and the instant.
    let arrivals = NIOLockedValueBox<[(end: Int, at: ContinuousClock.Instant)]>([])

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data).readableBytes
        let end = byteCount.withLockedValue { count in
            count += bytes
            return count
        }
        arrivals.withLockedValue { $0.append((end, .now)) }
        context.fireChannelRead(data)
    }

    /// The arrival of the first byte after `consumed`, forgetting the chunks read already (bounded).
    func firstArrival(after consumed: Int) -> ContinuousClock.Instant? {
        arrivals.withLockedValue { list in
            list.removeAll { $0.end <= consumed }
            return list.first?.at
        }
    }
}
