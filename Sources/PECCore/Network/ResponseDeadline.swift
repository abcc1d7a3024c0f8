import NIOCore

/// When one response from a mail server must be complete, however its bytes are cut: `timeout`
/// after the wait began, plus one second for every ``minimumRate`` bytes received meanwhile.
///
/// A per-read timeout would restart with every TLS record, so a server that drips one byte a
/// second could keep a command waiting for ever. With this deadline a response that carries next
/// to nothing must be complete within `timeout`; a large one (a 50 MB message) may take as long
/// as it needs while its bytes keep arriving faster than ``minimumRate`` on average.
struct ResponseDeadline {
    /// 4 KiB/s (32 kbit/s): far below any link a mail client is used on, so a legitimate large
    /// answer is never cut off, and far above a drip.
    static let minimumRate = 4096

    /// The wait allowed for a response that carries nothing.
    let timeout: Duration
    private(set) var instant: ContinuousClock.Instant
    /// Bytes of this response received so far.
    private(set) var receivedByteCount = 0

    init(_ timeout: Duration, from start: ContinuousClock.Instant = .now) {
        self.timeout = timeout
        self.instant = start + timeout
    }

    /// Extends the deadline for `byteCount` bytes just received.
    mutating func received(_ byteCount: Int) {
        receivedByteCount += byteCount
        instant += .nanoseconds(Int64(byteCount) * 1_000_000_000 / Int64(Self.minimumRate))
    }

    /// The time left, or nil when the deadline has passed.
    func remaining(at now: ContinuousClock.Instant = .now) -> Duration? {
        let left = instant - now
        return left > .zero ? left : nil
    }
}

extension MailByteStream {
    /// The next bytes of the response `deadline` bounds, waiting at most until the deadline; the
    /// deadline is extended by the bytes received. A response still incomplete at its deadline is
    /// a retryable ``PECError/Kind/timeout``.
    func read(before deadline: inout ResponseDeadline) async throws -> ByteBuffer {
        // Bytes that arrived before the deadline are read even past it: they came while this task
        // was slow to resume (a busy process), not because the server was slow. Bytes that arrived
        // after it are late, however fast a dripping server keeps them coming.
        let inTime = firstUnreadArrival.map { $0 <= deadline.instant } ?? false
        guard let left = deadline.remaining() ?? (inTime ? .milliseconds(1) : nil) else {
            throw NetworkFailure.tooSlow(settings, deadline)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await read(timeout: left)
        } catch let error as PECError where error.kind == .timeout && deadline.receivedByteCount > 0 {
            throw NetworkFailure.tooSlow(settings, deadline)
        }
        deadline.received(buffer.readableBytes)
        return buffer
    }
}
