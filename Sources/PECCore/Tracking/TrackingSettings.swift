import Foundation

/// How long a sent message may wait for its receipts before `pec` reports it overdue.
public struct TrackingSettings: Sendable, Equatable {
    /// No acceptance this long after the send: `timed_out`. `PEC_ACCEPTANCE_TIMEOUT` seconds, default 1800.
    public var acceptanceTimeout: TimeInterval
    /// No delivery this long after the acceptance: the gestore's warning window (pec-standard.md §8).
    public var deliveryWarning: TimeInterval
    /// No delivery this long after the acceptance: the gestore gives up (pec-standard.md §8).
    public var deliveryFailure: TimeInterval

    public static let defaultAcceptanceTimeout: TimeInterval = 1800

    public init(
        acceptanceTimeout: TimeInterval = Self.defaultAcceptanceTimeout,
        deliveryWarning: TimeInterval = 12 * 3600,
        deliveryFailure: TimeInterval = 24 * 3600
    ) {
        self.acceptanceTimeout = acceptanceTimeout
        self.deliveryWarning = deliveryWarning
        self.deliveryFailure = deliveryFailure
    }

    /// From `PEC_ACCEPTANCE_TIMEOUT` (seconds, a positive number); a bad value is an error, not ignored.
    public init(environment: [String: String]) throws(PECError) {
        self.init()
        guard let text = environment["PEC_ACCEPTANCE_TIMEOUT"], !text.isEmpty else { return }
        guard let seconds = TimeInterval(text), seconds > 0, seconds.isFinite else {
            throw PECError(
                .usage,
                "PEC_ACCEPTANCE_TIMEOUT must be a number of seconds above 0, not \(text.debugDescription)",
                hint: "unset it for the default (1800 seconds)"
            )
        }
        acceptanceTimeout = seconds
    }

    /// How long after `start` the deadline falls.
    public func interval(_ deadline: TrackingDeadline) -> TimeInterval {
        switch deadline {
        case .acceptance: acceptanceTimeout
        case .deliveryWarning: deliveryWarning
        case .deliveryFailure: deliveryFailure
        }
    }
}
