import Foundation
import Logging
import NIOConcurrencyHelpers

/// What `pec watch` asks for.
public struct WatchRequest: Sendable {
    public var folder: String?
    /// IDLE is ended and re-issued at least this often: servers may drop an IDLE after 30 minutes
    /// (RFC 9051 §6.3.13), so well before the 29-minute mark.
    public var idleLimit: Duration
    /// How often the ledger is looked at for sends made meanwhile (their deadlines), at most.
    public var ledgerPoll: Duration
    /// The longest wait between reconnection attempts after a fault.
    public var maximumBackoff: Duration
    /// Told of each fault the watch waits out (the error, the wait before the next attempt).
    public var onFault: (@Sendable (PECError, Duration) async -> Void)? = nil
    /// Notified after each round that stored events (the webhooks' outboxes wait on it).
    public var stored: EventSignal? = nil

    public init(
        folder: String? = nil,
        idleLimit: Duration = .seconds(25 * 60),
        ledgerPoll: Duration = .seconds(30),
        maximumBackoff: Duration = .seconds(60)
    ) {
        self.folder = folder
        self.idleLimit = idleLimit
        self.ledgerPoll = ledgerPoll
        self.maximumBackoff = maximumBackoff
    }
}

extension ReceiptSyncService {
    /// Runs until the process is stopped: syncs, records passed deadlines, hands every stored event
    /// to `deliver` in the ledger's order, then waits in IDLE for new mail or the next deadline.
    ///
    /// An event is handed over only after it is stored, and marked handed over only after `deliver`
    /// returned, with SIGINT/SIGTERM held meanwhile (``Interrupts/deferring(_:)``): a
    /// stop never cuts a line in half, and an event stored but not yet delivered is delivered by the
    /// next run. Faults reconnect with a growing backoff; a rejected login ends the watch.
    public func watch(
        _ request: WatchRequest,
        deliver: @escaping @Sendable (TrackingEvent) async throws -> Void
    ) async throws -> Never {
        let evidence = try EvidenceStore(ledger: ledger)
        // The first watch of an account starts from now: what its first sync finds is history,
        // which `pec status` shows; it is recorded, not printed.
        if try ledger.printedSeq(account: account) != nil { try await deliverPending(deliver) }
        // Consecutive faults, for the backoff; reset by the session once it is working again.
        let failures = NIOLockedValueBox(0)
        // This loop is the retry: a session's own retries under it would multiply the waits and
        // hide the faults from the backoff.
        var access = access
        access.retry = RetryPolicy(maxRetries: 0)
        while true {
            do {
                try await access.withSession(logger: logger) { client in
                    let folder = try await FolderResolver.resolve(request.folder, client: client)
                    while true {
                        _ = try await syncFolder(folder, client: client, evidence: evidence)
                        let deadlines = try tracking.passedDeadlines(account: account)
                        try ledger.recordEvents(deadlines.due)
                        if try ledger.printedSeq(account: account) == nil {
                            try ledger.setPrintedSeq(try ledger.lastEventSeq(), account: account)
                        }
                        try await deliverPending(deliver)
                        request.stored?.notify()
                        failures.withLockedValue { $0 = 0 }
                        let wait = idleWait(request, next: deadlines.next)
                        logger.debug("idle", metadata: ["seconds": "\(wait.components.seconds)"])
                        guard client.capabilities.contains(.idle) else {
                            // Without IDLE, idle() is one NOOP: poll instead of spinning.
                            try await Task.sleep(for: min(wait, Self.pollWithoutIdle))
                            continue
                        }
                        _ = try await client.idle(maximum: wait) { response in
                            switch response {
                            case .untagged(.exists), .untagged(.expunge), .untagged(.vanished): true
                            default: false
                            }
                        }
                    }
                }
            } catch let error as PECError where Self.reconnects(after: error) {
                // A session cut by cancellation (a pool worker giving the account up) is no fault.
                try Task.checkCancellation()
                let failed = failures.withLockedValue { count in
                    count += 1
                    return count
                }
                let backoff = min(request.maximumBackoff, .seconds(1 << min(failed - 1, 10)))
                logger.warning(
                    "watch: \(error.message); reconnecting in \(backoff.components.seconds) s",
                    metadata: ["attempt": "\(failed)"]
                )
                await request.onFault?(error, backoff)
                try await Task.sleep(for: backoff)
            }
        }
    }

    /// How often a server without IDLE is asked for new mail.
    static let pollWithoutIdle: Duration = .seconds(30)

    /// Network trouble and server hiccups are waited out; a bad login or a local problem is not.
    static func reconnects(after error: PECError) -> Bool {
        switch error.kind {
        case .network, .timeout, .server, .malformed: true
        default: error.retryable
        }
    }

    /// Until the next deadline (at least a second), bounded by the IDLE limit and the ledger poll.
    func idleWait(_ request: WatchRequest, next: Date?) -> Duration {
        // A short acceptance timeout (tests, impatient users) needs a closer look at new sends.
        let poll = min(request.ledgerPoll, .milliseconds(Int64(max(1, tracking.settings.acceptanceTimeout / 2) * 1000)))
        var wait = min(request.idleLimit, poll)
        if let next {
            let seconds = max(1, next.timeIntervalSince(tracking.now()))
            wait = min(wait, .milliseconds(Int64(min(seconds, 86_400) * 1000)))
        }
        return wait
    }

    /// Delivers, in order, every stored event of the account not delivered yet.
    func deliverPending(_ deliver: @Sendable (TrackingEvent) async throws -> Void) async throws {
        while true {
            let printed = try ledger.printedSeq(account: account) ?? 0
            let pending = try ledger.events(account: account, after: printed, limit: 500)
            guard !pending.isEmpty else { return }
            for event in pending {
                try await Interrupts.deferring {
                    try await deliver(event)
                    try ledger.setPrintedSeq(event.seq, account: account)
                }
            }
        }
    }
}
