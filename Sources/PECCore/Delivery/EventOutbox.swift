import Foundation
import Logging

/// Delivers the stored events of one or more accounts to one target (a webhook, an `--exec` command), in `seq`
/// order, at least once: each account's cursor in the ledger moves only after a 2xx, so a receiver down for hours,
/// or `pec` killed with SIGKILL, loses nothing (an event may then come twice, always with the same `event_id`).
/// 408/425/429/5xx, timeouts and broken connections are retried with exponential backoff and full jitter, from 1 s
/// up to 5 minutes, or after the receiver's `Retry-After` (at most an hour); any other answer parks the events
/// (`pec events --parked`, `--retry`) and delivery goes on with the next ones.
///
/// One loop serves every account: one query per look at the ledger, however many accounts (a pool's delivery
/// holder serves them all). The events of the accounts are read in `seq` order, which is their commit order: every
/// write to the ledger takes its write lock (on PostgreSQL an advisory lock), so no event can appear behind the
/// position already read.
public struct EventOutbox: Sendable {
    let ledger: SendLedger
    /// The accounts whose events are delivered; nil: every account a watch has run for (a pool's, as its workers
    /// start them), looked for again every ``requeuePoll``.
    let accounts: [String]?
    let logger: Logger
    /// How often the ledger is looked at for new events when there are none to deliver and no watch
    /// says it stored some (``signal``).
    var poll: Duration
    /// Notified by the watch after it stored events.
    let signal: EventSignal?
    static let firstBackoff: Duration = .seconds(1)
    static let maximumBackoff: Duration = .seconds(300)
    /// How often events queued again by `pec events --retry`, and accounts new to a pool, are looked for.
    static let requeuePoll: TimeInterval = 5
    /// Events read per look at the ledger.
    static let page = 200

    /// Set when one target serves several accounts: each account has its own cursor (`<target> #<account>`).
    let scoped: Bool

    public init(
        ledger: SendLedger,
        accounts: [String]?,
        scoped: Bool,
        signal: EventSignal? = nil,
        poll: Duration = .seconds(2),
        logger: Logger = Logger(label: "pec.delivery")
    ) {
        self.ledger = ledger
        self.accounts = accounts
        self.scoped = scoped
        self.signal = signal
        self.poll = poll
        self.logger = logger
    }

    func cursorName(_ target: DeliveryTarget, account: String) -> String {
        scoped ? "\(target.name) #\(account)" : target.name
    }

    /// Runs until cancelled; `report` is told of each failed attempt and each parked batch, in words.
    public func run(_ target: DeliveryTarget, report: @escaping @Sendable (String) -> Void) async throws {
        var names: [String: String] = [:]
        var accountOf: [String: String] = [:]
        var cursors: [String: Int64] = [:]
        // Every event up to here is delivered, parked, or not one to deliver.
        var position = Int64.max
        var lastRequeueLook = Date.distantPast
        var failures = 0
        while !Task.isCancelled {
            if names.isEmpty || (accounts == nil && Date().timeIntervalSince(lastRequeueLook) >= Self.requeuePoll) {
                for account in try accounts ?? ledger.printedSeqs().keys.sorted() where names[account] == nil {
                    names[account] = cursorName(target, account: account)
                    accountOf[cursorName(target, account: account)] = account
                }
            }
            if cursors.count < names.count {
                for (account, seq) in try startingCursors(names: names, known: cursors) {
                    cursors[account] = seq
                    position = min(position, seq)
                }
            }
            var batch: [TrackingEvent] = []
            var batchTargets: [String] = []
            // Queued again: behind the cursors, which do not move for them.
            var requeued = false
            if Date().timeIntervalSince(lastRequeueLook) >= Self.requeuePoll {
                lastRequeueLook = Date()
                for queued in try ledger.requeuedEvents(limit: Self.page)
                where accountOf[queued.target] != nil && batch.count < target.batch {
                    batch.append(queued.event)
                    batchTargets.append(queued.target)
                }
                requeued = !batch.isEmpty
                if requeued { lastRequeueLook = .distantPast }
            }
            var read: [TrackingEvent] = []
            if batch.isEmpty, position != .max {
                read = try ledger.feed(after: position, limit: Self.page)
                for event in read {
                    guard let cursor = cursors[event.account], event.seq > cursor, let name = names[event.account]
                    else { continue }
                    batch.append(event)
                    batchTargets.append(name)
                    if batch.count == target.batch { break }
                }
                if batch.isEmpty, let last = read.last?.seq { position = last }
            }
            guard !batch.isEmpty else {
                // A full page of other accounts' events: read on at once.
                if read.count == Self.page { continue }
                if let signal { await signal.wait(upTo: poll) } else { try await Task.sleep(for: poll) }
                try Task.checkCancellation()
                continue
            }
            let moved = requeued ? [:] : Self.lastSeqs(batch, targets: batchTargets)
            switch await target.deliver(batch) {
            case .acknowledged:
                failures = 0
                if requeued {
                    for (name, seqs) in Self.seqsByTarget(batch, batchTargets) { try ledger.unpark(seqs, target: name) }
                }
                try ledger.setDeliveredSeqs(moved)
                advance(&cursors, &position, moved, accountOf)
            case .retry(let after, let reason):
                let wait = after ?? Self.backoff(after: failures)
                failures += 1
                report("\(target.label): \(reason); event \(batch[0].seq) retried in \(Self.seconds(wait))")
                try await Task.sleep(for: wait)
            case .park(let reason):
                failures = 0
                for (name, seqs) in Self.seqsByTarget(batch, batchTargets) {
                    try ledger.park(seqs, target: name, reason: reason)
                }
                try ledger.setDeliveredSeqs(moved)
                advance(&cursors, &position, moved, accountOf)
                report(
                    "\(target.label) refused event(s) \(batch.map { String($0.seq) }.joined(separator: ", ")) "
                        + "(\(reason)): parked; `pec events --parked` lists them, `pec events --retry` queues them again"
                )
            }
        }
    }

    /// The cursors of accounts not known yet: the ledger's, or, for a new target, where the watch's printing
    /// stands: after the first sync of an account's first watch, so what that sync finds is history (`pec events`
    /// serves it), as it is for printing. An account not watched yet has none; it is looked at again next time.
    private func startingCursors(names: [String: String], known: [String: Int64]) throws(PECError) -> [String: Int64] {
        let delivered = try ledger.deliveredSeqs()
        var found: [String: Int64] = [:]
        var started: [String: Int64] = [:]
        var printed: [String: Int64]?
        for (account, name) in names where known[account] == nil {
            if let seq = delivered[name] {
                found[account] = seq
                continue
            }
            if printed == nil { printed = try ledger.printedSeqs() }
            if let seq = printed?[account] {
                started[name] = seq
                found[account] = seq
            }
        }
        if !started.isEmpty { try ledger.setDeliveredSeqs(started) }
        return found
    }

    private static func seqsByTarget(_ batch: [TrackingEvent], _ targets: [String]) -> [String: [Int64]] {
        var seqs: [String: [Int64]] = [:]
        for (event, name) in zip(batch, targets) { seqs[name, default: []].append(event.seq) }
        return seqs
    }

    /// Each target's highest seq in `batch`.
    private static func lastSeqs(_ batch: [TrackingEvent], targets: [String]) -> [String: Int64] {
        var last: [String: Int64] = [:]
        for (event, name) in zip(batch, targets) { last[name] = max(last[name] ?? 0, event.seq) }
        return last
    }

    private func advance(
        _ cursors: inout [String: Int64],
        _ position: inout Int64,
        _ moved: [String: Int64],
        _ accountOf: [String: String]
    ) {
        for (name, seq) in moved {
            guard let account = accountOf[name] else { continue }
            cursors[account] = max(cursors[account] ?? 0, seq)
            if position != .max { position = max(position, seq) }
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
