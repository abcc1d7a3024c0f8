import Foundation
import Logging

/// Delivers an account's stored events to one target (a webhook, an `--exec` command), in `seq` order, at least once: its cursor in
/// the ledger moves only after a 2xx, so a receiver down for hours, or `pec` killed with SIGKILL,
/// loses nothing (an event may then come twice, always with the same `event_id`). 408/425/429/5xx,
/// timeouts and broken connections are retried with exponential backoff and full jitter, from 1 s
/// up to 5 minutes, or after the receiver's `Retry-After` (at most an hour); any other answer parks
/// the events (`pec events --parked`, `--retry`) and delivery goes on with the next ones.
public struct EventOutbox: Sendable {
    let ledger: SendLedger
    let account: String
    let logger: Logger
    /// How often the ledger is looked at for new events when there are none to deliver and no watch
    /// says it stored some (``signal``).
    var poll: Duration = .seconds(2)
    /// Notified by the watch after it stored events.
    let signal: EventSignal?
    static let firstBackoff: Duration = .seconds(1)
    static let maximumBackoff: Duration = .seconds(300)

    /// Set when one webhook serves several accounts: each account has its own cursor (`<target> #<scope>`).
    let scope: String?

    public init(
        ledger: SendLedger,
        account: String,
        scope: String? = nil,
        signal: EventSignal? = nil,
        logger: Logger = Logger(label: "pec.delivery")
    ) {
        self.ledger = ledger
        self.account = account
        self.scope = scope
        self.signal = signal
        self.logger = logger
    }

    func cursorName(_ target: DeliveryTarget) -> String {
        scope.map { "\(target.name) #\($0)" } ?? target.name
    }

    /// Runs until cancelled; `report` is told of each failed attempt and each parked batch, in words.
    public func run(_ target: DeliveryTarget, report: @escaping @Sendable (String) -> Void) async throws {
        let name = cursorName(target)
        // A new target starts where the watch's printing stands: after the first sync of an account's
        // first watch, so what that sync finds is history (`pec events` serves it), as it is for printing.
        if try ledger.deliveredSeq(target: name) == nil {
            var printed = try ledger.printedSeq(account: account)
            while printed == nil {
                try await Task.sleep(for: poll)
                printed = try ledger.printedSeq(account: account)
            }
            try ledger.setDeliveredSeq(printed ?? 0, target: name)
        }
        var failures = 0
        while !Task.isCancelled {
            let events = try ledger.outbox(target: name, account: account, limit: target.batch)
            guard !events.isEmpty else {
                if let signal { await signal.wait(upTo: poll) } else { try await Task.sleep(for: poll) }
                try Task.checkCancellation()
                continue
            }
            let seqs = events.map(\.seq)
            switch await target.deliver(events) {
            case .acknowledged:
                failures = 0
                try ledger.unpark(seqs, target: name)
                if let last = seqs.max() { try ledger.setDeliveredSeq(last, target: name) }
            case .retry(let after, let reason):
                let wait = after ?? Self.backoff(after: failures)
                failures += 1
                report(
                    "\(target.label): \(reason); event \(seqs[0]) retried in "
                        + "\(Self.seconds(wait))"
                )
                try await Task.sleep(for: wait)
            case .park(let reason):
                failures = 0
                try ledger.park(seqs, target: name, reason: reason)
                if let last = seqs.max() { try ledger.setDeliveredSeq(last, target: name) }
                report(
                    "\(target.label) refused event(s) \(seqs.map(String.init).joined(separator: ", ")) "
                        + "(\(reason)): parked; `pec events --parked` lists them, `pec events --retry` queues them again"
                )
            }
        }
    }

    /// 1 s, 2 s, 4 s … up to 5 minutes, each drawn between half and all of it (jitter: receivers
    /// that come back are not hit by every sender at once).
    static func backoff(after failures: Int) -> Duration {
        let ceiling = min(
            Double(maximumBackoff.components.seconds),
            Double(firstBackoff.components.seconds) * pow(2, Double(min(failures, 20)))
        )
        return .milliseconds(Int64(Double.random(in: (ceiling / 2)...ceiling) * 1000))
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.1f s", value)
    }
}
