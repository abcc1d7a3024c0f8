import Logging

/// Exponential backoff for transient failures: waits 1 s, 2 s, 4 s … (capped at 30 s) between
/// attempts, at most `maxRetries` retries. Only errors marked `retryable` are retried, so an
/// authentication failure, a missing mailbox or a certificate problem fails at once.
public struct RetryPolicy: Sendable, Equatable {
    public var maxRetries: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxRetries: Int = 3, baseDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(30)) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The wait before retry number `retry` (0-based).
    public func delay(beforeRetry retry: Int) -> Duration {
        var delay = baseDelay
        for _ in 0..<min(retry, 16) {
            delay = delay * 2
            if delay >= maxDelay { return maxDelay }
        }
        return min(delay, maxDelay)
    }

    /// Runs `operation`, retrying retryable `PECError`s. Other errors are passed through unchanged.
    public func run<Result>(
        _ what: String,
        logger: Logger,
        operation: () async throws -> Result
    ) async throws -> Result {
        var retry = 0
        while true {
            do {
                return try await operation()
            } catch let error as PECError where error.retryable && retry < maxRetries {
                let delay = delay(beforeRetry: retry)
                retry += 1
                logger.info(
                    "\(what) failed, retry \(retry) of \(maxRetries) in \(NetworkFailure.short(delay)): \(error.message)"
                )
                try await Task.sleep(for: delay)
            }
        }
    }
}
