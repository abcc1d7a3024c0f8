/// How long to wait for a server on each step: more than 0 seconds, at most an hour.
public struct ConnectionTimeout: Sendable, Equatable {
    public static let maximumSeconds = 3600.0

    public let seconds: Double

    /// A timeout someone asked for (`--timeout`, `pec auth login --timeout`, pec-mcp's `--timeout`).
    public init(seconds: Double) throws(PECError) {
        guard Self.isValid(seconds) else {
            throw PECError(.usage, "--timeout takes seconds between 0 and 3600, not \(seconds)")
        }
        self.seconds = seconds
    }

    /// A saved value: a hand-edited file may hold anything, so it is kept between 0.1 s and an hour
    /// (nil when it is not a positive number at all).
    init?(clamping seconds: Double) {
        guard seconds.isFinite, seconds > 0 else { return nil }
        self.seconds = min(max(seconds, 0.1), Self.maximumSeconds)
    }

    public static func isValid(_ seconds: Double) -> Bool {
        seconds > 0 && seconds <= maximumSeconds
    }

    public var duration: Duration { .milliseconds(Int64(seconds * 1000)) }
}
