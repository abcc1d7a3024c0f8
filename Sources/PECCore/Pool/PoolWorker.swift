import Foundation
import Logging
import NIOConcurrencyHelpers

/// How a pool worker holds its leases (`pec watch --all-accounts` on a shared ledger).
public struct PoolSettings: Sendable {
    /// How long a lease lasts unless renewed: a killed worker's accounts are taken over after this.
    public var leaseSeconds: Int
    /// The most accounts this worker holds, whatever its fair share.
    public var maxAccounts: Int?

    public static let defaultLeaseSeconds = 60
    static let leaseRange = 3...3600

    public init(leaseSeconds: Int? = nil, maxAccounts: Int? = nil) throws(PECError) {
        let lease = leaseSeconds ?? Self.defaultLeaseSeconds
        guard Self.leaseRange.contains(lease) else {
            throw PECError(
                .usage,
                "the lease must be between \(Self.leaseRange.lowerBound) and \(Self.leaseRange.upperBound) seconds, "
                    + "not \(lease)"
            )
        }
        if let maxAccounts, maxAccounts < 1 {
            throw PECError(.usage, "--max-accounts must be at least 1, not \(maxAccounts)")
        }
        self.leaseSeconds = lease
        self.maxAccounts = maxAccounts
    }

    var lease: TimeInterval { TimeInterval(leaseSeconds) }
    /// Leases are renewed three times per lease time: two renewals may fail before one expires.
    var renewEvery: TimeInterval { lease / 3 }
    /// How often the pool is looked at for free accounts and for the balance: a worker stopped with SIGTERM
    /// has its accounts taken within this.
    var tick: TimeInterval { min(2, lease / 6) }
}

/// One worker of a pool sharing a PostgreSQL ledger. It takes free or expired leases on accounts up to its fair
/// share (``PoolShare``) and runs each account's watch while it holds the lease; it gives the surplus up when
/// workers join, renews its leases while it runs, and releases them all when it stops (SIGTERM included), so
/// the others take over at once. A worker that cannot renew stops its watches before its leases expire: an
/// account is never watched by two workers for longer than one look at the pool.
///
/// Each delivery target is held the same way by one worker at a time, whichever takes it first.
public struct PoolWorker: Sendable {
    public let id: String
    let ledger: SendLedger
    let settings: PoolSettings
    let host: String
    let logger: Logger

    public init(ledger: SendLedger, settings: PoolSettings, logger: Logger = Logger(label: "pec.pool")) {
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        self.host = host
        self.id = "\(host):\(pid):\(UUID().uuidString.prefix(8).lowercased())"
        self.ledger = ledger
        self.settings = settings
        self.logger = logger
    }

    static func accountLease(_ account: String) -> String { "account:\(account)" }
    static func deliveryLease(_ target: String) -> String { "delivery:\(target)" }

    /// Runs until cancelled. `accounts` is read at start and at each renewal (accounts added or removed meanwhile
    /// are taken or given up); `watch` runs one account's watch until cancelled; `deliveries` are the delivery
    /// targets by name, each run until cancelled while held; `report` is told of lease trouble, in words.
    public func run(
        accounts: @escaping @Sendable () throws -> [String],
        watch: @escaping @Sendable (String) async -> Void,
        deliveries: [String: @Sendable () async -> Void],
        report: @escaping @Sendable (String) -> Void
    ) async throws {
        let started = Date()
        try ledger.registerWorker(
            PoolWorkerRow(
                id: id,
                host: host,
                pid: Int(ProcessInfo.processInfo.processIdentifier),
                startedAt: started,
                renewedAt: started,
                leaseSeconds: settings.leaseSeconds,
                maxAccounts: settings.maxAccounts
            )
        )
        // SIGTERM and SIGINT end the process from their handler: the leases are handed over there.
        let ledger = ledger
        let id = id
        Interrupts.addStopAction("pool \(id)") { try? ledger.removeWorker(id) }
        var jobs = Jobs()
        do {
            try await loop(accounts: try accounts(), read: accounts, watch, deliveries, report, &jobs)
        } catch {
            await jobs.stopAll()
            Interrupts.removeStopAction("pool \(id)")
            try? ledger.removeWorker(id)
            throw error
        }
    }

    private func loop(
        accounts initial: [String],
        read: @escaping @Sendable () throws -> [String],
        _ watch: @escaping @Sendable (String) async -> Void,
        _ deliveries: [String: @Sendable () async -> Void],
        _ report: @escaping @Sendable (String) -> Void,
        _ jobs: inout Jobs
    ) async throws {
        var accounts = initial
        var lastRenewal = Date()
        var heldUntil = lastRenewal.addingTimeInterval(settings.lease)
        while !Task.isCancelled {
            let now = Date()
            if now.timeIntervalSince(lastRenewal) >= settings.renewEvery {
                do {
                    let held = try ledger.renewLeases(
                        owner: id,
                        until: now.addingTimeInterval(settings.lease),
                        now: now
                    )
                    lastRenewal = now
                    heldUntil = now.addingTimeInterval(settings.lease)
                    for name in jobs.names where !held.contains(name) {
                        report("\(name) was taken over by another worker after its lease expired; stopped here")
                        await jobs.stop(name)
                    }
                    // Held with nothing running (its watches stopped while the ledger did not answer): renewed, it
                    // would stay out of every other worker's reach.
                    let idle = held.subtracting(jobs.names)
                    if !idle.isEmpty { try ledger.releaseLeases(owner: id, names: idle.sorted()) }
                    do { accounts = try read() } catch { report("cannot read the accounts: \(error)") }
                    try? ledger.removeWorkers(silentSince: now.addingTimeInterval(-10 * settings.lease))
                } catch {
                    report("cannot renew the leases: \(error.message)")
                    // Before another worker may take them: never two watches of one mailbox.
                    if now.addingTimeInterval(settings.tick * 2) >= heldUntil, !jobs.names.isEmpty {
                        report("the leases run out: stopping every watch until the ledger answers again")
                        await jobs.stopAll()
                    }
                }
            }
            do {
                try await balance(ledger.poolSnapshot(), accounts: accounts, now: now, watch, deliveries, &jobs)
            } catch let error as PECError {
                report("cannot look at the pool: \(error.message)")
            }
            try await Task.sleep(for: .milliseconds(Int64(settings.tick * 1000)))
        }
        throw CancellationError()
    }

    /// Takes or gives up account leases to reach this worker's share, and takes free delivery leases.
    private func balance(
        _ snapshot: PoolSnapshot,
        accounts: [String],
        now: Date,
        _ watch: @escaping @Sendable (String) async -> Void,
        _ deliveries: [String: @Sendable () async -> Void],
        _ jobs: inout Jobs
    ) async throws {
        var live = snapshot.workers.filter { $0.id == id || $0.isLive(at: now) }.map {
            (id: $0.id, limit: $0.maxAccounts)
        }
        if !live.contains(where: { $0.id == id }) { live.append((id, settings.maxAccounts)) }
        let share = PoolShare.targets(accounts: accounts.count, workers: live)[id] ?? 0
        let wanted = Set(accounts.map(Self.accountLease))
        let leases = Dictionary(snapshot.leases.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let expiry = now.addingTimeInterval(settings.lease)

        var held = jobs.names.filter { $0.hasPrefix("account:") }.sorted()
        let gone = held.filter { !wanted.contains($0) }
        if held.count - gone.count > share {
            // The last by name go: the same ones whenever the balance is recomputed.
            let surplus = held.filter { wanted.contains($0) }.suffix(held.count - gone.count - share)
            try await giveUp(gone + surplus, &jobs)
        } else if !gone.isEmpty {
            try await giveUp(gone, &jobs)
        }
        held = jobs.names.filter { $0.hasPrefix("account:") }
        if held.count < share {
            // Shuffled: workers starting together do not all reach for the same account first.
            let free = accounts.shuffled().filter { account in
                let name = Self.accountLease(account)
                guard !jobs.contains(name) else { return false }
                return leases[name].map { $0.expiresAt < now || $0.owner == id } ?? true
            }
            for account in free.prefix(share - held.count) {
                let name = Self.accountLease(account)
                if try ledger.takeLease(name, owner: id, until: expiry, now: now) {
                    logger.debug("took \(name)")
                    jobs.start(name) { await watch(account) }
                }
            }
        }
        for (target, deliver) in deliveries.sorted(by: { $0.key < $1.key }) {
            let name = Self.deliveryLease(target)
            guard !jobs.contains(name), leases[name].map({ $0.expiresAt < now || $0.owner == id }) ?? true else {
                continue
            }
            if try ledger.takeLease(name, owner: id, until: expiry, now: now) {
                logger.debug("took \(name)")
                jobs.start(name, deliver)
            }
        }
    }

    private func giveUp(_ names: [String], _ jobs: inout Jobs) async throws {
        await jobs.stop(names)
        try ledger.releaseLeases(owner: id, names: names)
    }

    /// The work run under the leases held, by lease name.
    struct Jobs {
        private var tasks: [String: Task<Void, Never>] = [:]
        /// The jobs whose task has not ended yet (a cancelled one ends at its next suspension point).
        private let running = NIOLockedValueBox<Set<String>>([])
        /// How long stopped jobs may take to end before they are left to end on their own.
        static let stopLimit: Duration = .seconds(10)

        var names: [String] { Array(tasks.keys) }
        func contains(_ name: String) -> Bool { tasks[name] != nil }

        /// `body` is to run until cancelled; one that ends before is started again a second later.
        mutating func start(_ name: String, _ body: @escaping @Sendable () async -> Void) {
            let running = running
            running.withLockedValue { _ = $0.insert(name) }
            tasks[name] = Task {
                defer { running.withLockedValue { _ = $0.remove(name) } }
                while !Task.isCancelled {
                    await body()
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }

        mutating func stop(_ name: String) async { await stop([name]) }

        /// Cancels them all at once, then waits until they have ended, ``stopLimit`` at most: a job that does not
        /// end (a server that never answers) is left to end on its own, and its lease is given up anyway.
        mutating func stop(_ names: [String]) async {
            let stopping = Set(names.filter { tasks[$0] != nil })
            for name in stopping { tasks.removeValue(forKey: name)?.cancel() }
            let deadline = ContinuousClock.now + Self.stopLimit
            // Polled: awaiting a task's value cannot be given up on.
            while ContinuousClock.now < deadline, !running.withLockedValue({ $0.isDisjoint(with: stopping) }) {
                // A cancelled caller (the worker stopping) still waits: its sleep would return at once.
                if Task.isCancelled { usleep(20_000) } else { try? await Task.sleep(for: .milliseconds(20)) }
            }
        }

        mutating func stopAll() async { await stop(names) }
    }
}
