import Foundation

/// One worker of the pool as `pec workers` shows it.
public struct PoolWorkerStatus: Encodable, Sendable, Equatable {
    public var worker: String
    public var host: String
    public var pid: Int
    public var startedAt: Date
    public var lastRenewal: Date
    /// Renewed within its lease time; a worker that is not was stopped without a goodbye, or killed.
    public var live: Bool
    public var leaseSeconds: Int
    public var maxAccounts: Int?
    /// The accounts whose leases it holds, unexpired.
    public var accounts: [String]
    /// The delivery targets (webhooks, --exec commands) it holds.
    public var deliveries: [String]

    public static let textColumns = ["worker", "host", "live", "accounts_held", "last_renewal"]

    enum CodingKeys: String, CodingKey {
        case worker, host, pid, live, accounts, deliveries
        case startedAt = "started_at"
        case lastRenewal = "last_renewal"
        case leaseSeconds = "lease_seconds"
        case maxAccounts = "max_accounts"
        case accountsHeld = "accounts_held"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(worker, forKey: .worker)
        try container.encode(host, forKey: .host)
        try container.encode(pid, forKey: .pid)
        try container.encode(live, forKey: .live)
        try container.encode(accounts.count, forKey: .accountsHeld)
        try container.encode(lastRenewal, forKey: .lastRenewal)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(leaseSeconds, forKey: .leaseSeconds)
        try container.encodeIfPresent(maxAccounts, forKey: .maxAccounts)
        try container.encode(accounts, forKey: .accounts)
        try container.encode(deliveries, forKey: .deliveries)
    }
}

extension SendLedger {
    /// The pool's workers, oldest first, with what each holds at `now` (`pec workers`).
    public func poolStatus(at now: Date = Date()) throws(PECError) -> [PoolWorkerStatus] {
        let snapshot = try poolSnapshot()
        let held = Dictionary(grouping: snapshot.leases.filter { $0.expiresAt > now }, by: \.owner)
        return snapshot.workers.sorted { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) }.map { worker in
            let leases = held[worker.id] ?? []
            return PoolWorkerStatus(
                worker: worker.id,
                host: worker.host,
                pid: worker.pid,
                startedAt: worker.startedAt,
                lastRenewal: worker.renewedAt,
                live: worker.isLive(at: now),
                leaseSeconds: worker.leaseSeconds,
                maxAccounts: worker.maxAccounts,
                accounts: leases.compactMap { Self.leased($0.name, kind: PoolWorker.accountLease("")) }.sorted(),
                deliveries: leases.compactMap { Self.leased($0.name, kind: PoolWorker.deliveryLease("")) }.sorted()
            )
        }
    }

    /// The account or target a lease is on, when the lease is of `kind` (its name's prefix).
    private static func leased(_ name: String, kind: String) -> String? {
        name.hasPrefix(kind) ? String(name.dropFirst(kind.count)) : nil
    }
}
