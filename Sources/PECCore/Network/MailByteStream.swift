import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The bytes of one connection to a mail server, as ``IMAPClient`` and ``SMTPClient`` see them:
/// everything they need from the network and nothing more. ``NetworkStream`` is the real one; tests
/// put a scripted server behind it (PECTestSupport's `ScriptedStream`), so the clients and the
/// use-cases above them run without a network.
///
/// Used from one task at a time. Errors are ``PECError``s, as ``NetworkStream`` throws them.
package protocol MailByteStream: AnyObject {
    var settings: ConnectionSettings { get }

    /// The next bytes from the server, waiting at most `timeout` (the settings' timeout when nil).
    /// A closed connection is an error.
    func read(timeout: Duration?) async throws -> ByteBuffer

    /// True when bytes have arrived that no read has returned yet: they came while this task
    /// waited to run, so a deadline that passed meanwhile does not make them late.
    var hasUnreadBytes: Bool { get }

    /// When the first byte no read has returned yet arrived; nil when there is none. A deadline
    /// that passed after it arrived does not make it late.
    var firstUnreadArrival: ContinuousClock.Instant? { get }

    func write(_ bytes: [UInt8]) async throws

    /// Writes `bytes` after `delay` unless cancelled first, without waiting for it (how IDLE is
    /// ended on time). The write happens only if it wins `claim` (see ``NIOLockedValueBox/claimOnce()``).
    func scheduleWrite(_ bytes: [UInt8], after delay: Duration, claim: NIOLockedValueBox<Bool>) -> ScheduledWrite

    /// Closes the connection now; later reads and writes fail.
    func close() async
}

extension MailByteStream {
    package var hasUnreadBytes: Bool { false }
    package var firstUnreadArrival: ContinuousClock.Instant? { nil }
}

/// A write that ``MailByteStream/scheduleWrite(_:after:claim:)`` has not done yet.
package struct ScheduledWrite {
    private let cancelWrite: () -> Void

    package init(cancel: @escaping () -> Void) {
        self.cancelWrite = cancel
    }

    package func cancel() { cancelWrite() }
}

/// Opens the ``MailByteStream`` of a connection: TLS from the first byte, or after `startTLS`, the
/// protocol's cleartext dialog. It lives in ``ConnectionSettings/connector``, so every way a
/// use-case reaches a server (a session, the session keeper, a send) opens its connections
/// through the same one.
package protocol MailConnector: Sendable {
    /// Connects, runs `body` on the stream, then closes it however `body` ends.
    func withStream<Result>(
        _ settings: ConnectionSettings,
        startTLS dialog: (any StartTLSDialog)?,
        logger: Logger,
        _ body: (any MailByteStream) async throws -> Result
    ) async throws -> Result
}

/// The network: a ``NetworkStream`` to the settings' endpoint.
package struct NetworkConnector: MailConnector {
    package init() {}

    package func withStream<Result>(
        _ settings: ConnectionSettings,
        startTLS dialog: (any StartTLSDialog)?,
        logger: Logger,
        _ body: (any MailByteStream) async throws -> Result
    ) async throws -> Result {
        try await NetworkStream.withStream(settings, startTLS: dialog, logger: logger) { try await body($0) }
    }
}
