import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import PECCore

/// One step of a scripted mail-server conversation.
public enum ScriptStep: Sendable, CustomStringConvertible {
    /// Bytes the server sends (one read each).
    case server([UInt8])
    /// Bytes the client must write next, exactly.
    case client([UInt8])
    /// A line (up to CRLF) the client must write next that begins with these bytes.
    case clientLine(prefix: [UInt8])
    /// SMTP message content: anything up to and including the end-of-data `CRLF.CRLF`.
    case clientData
    /// The server drops the connection: the next read fails as a closed connection does.
    case close
    /// The server says nothing: the next read fails as a timeout does (at once, not after it).
    case stall
    /// The server sends `bytes` slowly, really waiting: `chunk` bytes per read, each after
    /// `interval`. A read whose timeout is shorter than `interval` waits out that timeout and
    /// fails as a timeout does, the connection then closed (what the client's timer does).
    case drip([UInt8], chunk: Int, every: Duration)

    public var description: String {
        switch self {
        case .server(let bytes): "server sends \(ScriptedStream.visible(bytes))"
        case .client(let bytes): "client sends \(ScriptedStream.visible(bytes))"
        case .clientLine(let prefix): "client sends a line starting \(ScriptedStream.visible(prefix))"
        case .clientData: "client sends message data up to CRLF.CRLF"
        case .close: "server closes the connection"
        case .stall: "server stays silent (timeout)"
        case .drip(let bytes, let chunk, let interval):
            "server drips \(bytes.count) bytes, \(chunk) every \(interval)"
        }
    }
}

/// What went wrong between a script and the client that ran against it. Thrown to the client (so
/// it never waits on a script that has nothing more to say) and recorded for ``ScriptedStream/verify``.
public struct ScriptMismatch: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// A ``MailByteStream`` that plays a server from a script: it checks every byte the client writes
/// against the script's next `client` step and answers reads from its `server` steps. Nothing
/// waits: a read with no server step ready, a write the script does not expect or a script that
/// runs out fail at once with a ``ScriptMismatch`` (recorded as a test issue by ``verify``).
public final class ScriptedStream: MailByteStream {
    public var settings: ConnectionSettings
    private var steps: ArraySlice<ScriptStep>
    private var written: [UInt8] = []
    private var scheduled: (bytes: [UInt8], claim: NIOLockedValueBox<Bool>, cancelled: NIOLockedValueBox<Bool>)?
    private var closed = false
    /// When the next chunk of the drip being read is due.
    private var dripDue: ContinuousClock.Instant?
    /// Every mismatch seen, in order.
    public private(set) var mismatches: [String] = []
    /// The message content the client sent in each `clientData` step (dot-stuffed, as on the wire).
    public private(set) var data: [[UInt8]] = []
    /// Server steps are handed out in reads of at most this many bytes (to exercise the parsers).
    public var readSize: Int

    public init(
        _ steps: [ScriptStep],
        settings: ConnectionSettings = ScriptedStream.defaultSettings,
        readSize: Int = 1 << 20
    ) {
        self.steps = steps[...]
        self.settings = settings
        self.readSize = max(1, readSize)
    }

    public static let defaultSettings = ConnectionSettings(
        endpoint: ServerEndpoint(host: "scripted.invalid", port: 993, security: .implicitTLS),
        timeout: .seconds(5)
    )

    /// The steps the client has not reached.
    public var remaining: [ScriptStep] { Array(steps) }

    /// Records a test issue for every mismatch and for a script the client did not finish.
    public func verify(sourceLocation: SourceLocation = #_sourceLocation) {
        for mismatch in mismatches { Issue.record("script mismatch: \(mismatch)", sourceLocation: sourceLocation) }
        if !steps.isEmpty {
            Issue.record(
                "script not finished; next: \(steps.prefix(3).map(\.description).joined(separator: "; "))",
                sourceLocation: sourceLocation
            )
        }
        if !written.isEmpty {
            Issue.record("client wrote more than scripted: \(Self.visible(written))", sourceLocation: sourceLocation)
        }
    }

    // MARK: - MailByteStream

    /// A scripted server's bytes are there from the start; a drip's next chunk arrives when it falls due.
    public var firstUnreadArrival: ContinuousClock.Instant? {
        switch steps.first {
        case .server?: .now - .seconds(3600)
        case .drip?: dripDue.flatMap { $0 <= .now ? $0 : nil }
        default: nil
        }
    }

    public var hasUnreadBytes: Bool {
        switch steps.first {
        case .server?: true
        case .drip?: dripDue.map { $0 <= .now } ?? false
        default: false
        }
    }

    public func read(timeout: Duration?) async throws -> ByteBuffer {
        if closed { throw NetworkFailure.closed(settings) }
        while true {
            try consumeWritten()
            switch steps.first {
            case .server(let bytes)?:
                if bytes.count <= readSize {
                    steps.removeFirst()
                    return ByteBuffer(bytes: bytes)
                }
                steps[steps.startIndex] = .server(Array(bytes[readSize...]))
                return ByteBuffer(bytes: bytes[..<readSize])
            case .close?:
                steps.removeFirst()
                closed = true
                throw NetworkFailure.closed(settings)
            case .stall?:
                steps.removeFirst()
                throw NetworkFailure.timeout(settings, waitingFor: "the server")
            case .drip(let bytes, let chunk, let interval)?:
                // Chunks fall due at a steady pace from the first one, as on a network: a task that
                // resumes late finds the overdue ones waiting.
                let due = dripDue ?? (ContinuousClock.now + interval)
                let wait = timeout ?? settings.timeout
                guard due - .now <= wait else {
                    try await Task.sleep(for: wait)
                    steps.removeFirst()
                    closed = true
                    throw NetworkFailure.timeout(settings, waitingFor: "the server")
                }
                if due > .now { try await Task.sleep(until: due) }
                dripDue = due + interval
                let count = min(max(1, chunk), bytes.count)
                if count == bytes.count {
                    steps.removeFirst()
                    dripDue = nil
                } else {
                    steps[steps.startIndex] = .drip(Array(bytes[count...]), chunk: chunk, every: interval)
                }
                return ByteBuffer(bytes: bytes[..<count])
            case nil:
                throw fail("the client waited for the server after the end of the script")
            case .client?, .clientLine?, .clientData?:
                // Time passes while the client waits: a scheduled write (IDLE's DONE) is due now.
                if let pending = scheduled {
                    scheduled = nil
                    if !pending.cancelled.withLockedValue({ $0 }), pending.claim.claimOnce() {
                        written += pending.bytes
                        continue
                    }
                }
                throw fail("the client waited for the server, but the script expects: \(steps.first!)")
            }
        }
    }

    public func write(_ bytes: [UInt8]) async throws {
        if closed { throw NetworkFailure.closed(settings) }
        written += bytes
        try consumeWritten()
    }

    public func scheduleWrite(_ bytes: [UInt8], after delay: Duration, claim: NIOLockedValueBox<Bool>)
        -> ScheduledWrite
    {
        let cancelled = NIOLockedValueBox(false)
        scheduled = (bytes, claim, cancelled)
        return ScheduledWrite { cancelled.withLockedValue { $0 = true } }
    }

    public func close() async {
        closed = true
    }

    // MARK: - Matching

    /// Matches what the client wrote against the script's client steps, as far as it goes.
    private func consumeWritten() throws {
        while !written.isEmpty {
            switch steps.first {
            case .client(let expected)?:
                let common = min(expected.count, written.count)
                guard written[..<common] == expected[..<common] else {
                    throw fail("expected \(Self.visible(expected)), the client sent \(Self.visible(written))")
                }
                guard common == expected.count else { return }  // the rest is still to come
                written.removeFirst(common)
                steps.removeFirst()
            case .clientLine(let prefix)?:
                guard let end = Self.find([13, 10], in: written) else {
                    let common = min(prefix.count, written.count)
                    guard written[..<common] == prefix[..<common] else {
                        throw fail("expected a line starting \(Self.visible(prefix)), got \(Self.visible(written))")
                    }
                    return
                }
                let line = Array(written[..<(end + 2)])
                guard line.starts(with: prefix) else {
                    throw fail(
                        "expected a line starting \(Self.visible(prefix)), the client sent \(Self.visible(line))"
                    )
                }
                written.removeFirst(line.count)
                steps.removeFirst()
            case .clientData?:
                guard let end = Self.find([13, 10, 46, 13, 10], in: written) else { return }
                data.append(Array(written[..<(end + 5)]))
                written.removeFirst(end + 5)
                steps.removeFirst()
            case let other:
                throw fail(
                    "the client sent \(Self.visible(written)) but the script expects: "
                        + (other.map(\.description) ?? "nothing more")
                )
            }
        }
    }

    private func fail(_ message: String) -> ScriptMismatch {
        mismatches.append(message)
        written = []
        steps = []
        closed = true
        return ScriptMismatch(description: message)
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        for start in 0...(bytes.count - needle.count) where bytes[start..<(start + needle.count)].elementsEqual(needle)
        {
            return start
        }
        return nil
    }

    /// Bytes as text with CR and LF shown, cut after 300 characters.
    static func visible(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(300), as: UTF8.self)
            .replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(text)\(bytes.count > 300 ? "…(\(bytes.count) bytes)" : "")\""
    }
}

/// Hands out one ``ScriptedStream`` per connection, in order (a retry is a new connection), and
/// plays a STARTTLS dialog over the script's cleartext lines as the real connector would.
public final class ScriptedConnector: MailConnector, @unchecked Sendable {
    // Used by one test's one task at a time, like the streams it hands out.
    private let lock = NIOLock()
    private var queue: [ScriptedStream]
    /// Every stream handed out, so a test can verify them all.
    public private(set) var opened: [ScriptedStream] = []

    public init(_ streams: [ScriptedStream]) {
        queue = streams
    }

    public convenience init(_ scripts: [ScriptStep]...) {
        self.init(scripts.map { ScriptedStream($0) })
    }

    /// Settings that connect through this connector.
    public func settings(_ base: ConnectionSettings = ScriptedStream.defaultSettings) -> ConnectionSettings {
        var settings = base
        settings.connector = self
        return settings
    }

    /// Verifies every stream, and that every scripted connection was made.
    public func verify(sourceLocation: SourceLocation = #_sourceLocation) {
        let (opened, left) = lock.withLock { (self.opened, self.queue) }
        for stream in opened { stream.verify(sourceLocation: sourceLocation) }
        if !left.isEmpty {
            Issue.record("\(left.count) scripted connection(s) never made", sourceLocation: sourceLocation)
        }
    }

    public func withStream<Result>(
        _ settings: ConnectionSettings,
        startTLS dialog: (any StartTLSDialog)?,
        logger: Logger,
        _ body: (any MailByteStream) async throws -> Result
    ) async throws -> Result {
        let next: ScriptedStream? = lock.withLock {
            guard !queue.isEmpty else { return nil }
            let stream = queue.removeFirst()
            opened.append(stream)
            return stream
        }
        guard let stream = next else { throw ScriptMismatch(description: "a connection the script does not have") }
        stream.settings = settings
        if let dialog { try await Self.negotiate(dialog, on: stream) }
        return try await body(stream)
    }

    /// The cleartext dialog before TLS, line by line, as `StartTLSHandler` runs it.
    private static func negotiate(_ dialog: any StartTLSDialog, on stream: ScriptedStream) async throws {
        var pending: [UInt8] = []
        var number = 0
        while true {
            pending += Array(try await stream.read(timeout: nil).readableBytesView)
            while let end = pending.firstIndex(of: 10) {
                var line = Array(pending[..<end])
                if line.last == 13 { line.removeLast() }
                pending.removeFirst(end + 1)
                switch dialog.step(after: line, number: number) {
                case .send(let bytes): try await stream.write(bytes)
                case .wait: break
                case .upgrade: return
                case .fail(let error): throw error
                }
                number += 1
            }
        }
    }
}
