import Foundation

/// A watch worker as the ledger's `workers` table has it (`pec workers`).
public struct PoolWorkerRow: Sendable, Equatable {
    public var id: String
    public var host: String
    public var pid: Int
    public var startedAt: Date
    public var renewedAt: Date
    /// How long its leases last unless renewed (`--lease`): silent for longer, it is gone.
    public var leaseSeconds: Int
    /// `--max-accounts`; nil: no limit of its own.
    public var maxAccounts: Int?

    /// Whether it renewed within its lease time: a worker silent for longer was stopped or killed.
    public func isLive(at now: Date) -> Bool { renewedAt.addingTimeInterval(TimeInterval(leaseSeconds)) > now }
}

/// Who holds a lease (`account:NAME`, `delivery:TARGET`) until when.
public struct PoolLease: Sendable, Equatable {
    public var name: String
    public var owner: String
    public var takenAt: Date
    public var expiresAt: Date
}

/// The pool's state at one moment, read in one transaction: every worker decides from the same picture.
public struct PoolSnapshot: Sendable, Equatable {
    public var workers: [PoolWorkerRow]
    public var leases: [PoolLease]
}

/// The leases of a pool of watch workers (ledger v8): each account's watch and each delivery target's outbox is
/// held by one worker at a time, until its lease expires unless renewed. Every change runs under the ledger's
/// write lock, so two workers can never both take one lease.
extension SendLedger {
    /// True for a ledger several machines share (PostgreSQL): `watch --all-accounts` then runs as a pool worker.
    public var isShared: Bool { store is PostgresLedgerDatabase }

    /// Wakes the caller each time a process stores events in this ledger (PostgreSQL's LISTEN / NOTIFY); nil on
    /// the SQLite file.
    public func eventNotifications() -> AsyncStream<Void>? {
        (store as? PostgresLedgerDatabase)?.eventNotifications()
    }

    /// The ledger in messages: its file, or `postgresql://user@host:port/database` (never a password).
    public var displayName: String { store.displayName }

    /// Adds or refreshes `worker`'s row; `renewedAt` is its heartbeat.
    public func registerWorker(_ worker: PoolWorkerRow) throws(PECError) {
        try write(action: "register the worker in") { db in
            try db.execute(
                """
                INSERT INTO workers (worker_id, host, pid, started_at, renewed_at, lease_seconds, max_accounts)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (worker_id) DO UPDATE SET renewed_at = excluded.renewed_at,
                    lease_seconds = excluded.lease_seconds, max_accounts = excluded.max_accounts
                """,
                [
                    worker.id, worker.host, worker.pid, worker.startedAt, worker.renewedAt, worker.leaseSeconds,
                    worker.maxAccounts,
                ]
            )
        }
    }

    /// Every worker and every lease, as of now.
    public func poolSnapshot() throws(PECError) -> PoolSnapshot {
        try read { db in
            let workers = try db.fetchAll("SELECT * FROM workers ORDER BY worker_id", []).map { row in
                PoolWorkerRow(
                    id: try row.decode(String.self, "worker_id"),
                    host: try row.decode(String.self, "host"),
                    pid: try row.decode(Int.self, "pid"),
                    startedAt: try row.decode(Date.self, "started_at"),
                    renewedAt: try row.decode(Date.self, "renewed_at"),
                    leaseSeconds: try row.decode(Int.self, "lease_seconds"),
                    maxAccounts: try row.decode(Int?.self, "max_accounts")
                )
            }
            let leases = try db.fetchAll("SELECT * FROM leases ORDER BY name", []).map(Self.decodeLease)
            return PoolSnapshot(workers: workers, leases: leases)
        }
    }

    /// Takes the lease `name` for `owner` until `expiry` when it is free, expired at `now`, or already `owner`'s;
    /// whether `owner` holds it now.
    public func takeLease(_ name: String, owner: String, until expiry: Date, now: Date) throws(PECError) -> Bool {
        try write(action: "take the lease in") { db in
            try db.execute(
                """
                INSERT INTO leases (name, owner, taken_at, expires_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, taken_at = excluded.taken_at,
                    expires_at = excluded.expires_at
                WHERE leases.expires_at < ? OR leases.owner = excluded.owner
                """,
                [name, owner, now, expiry, now]
            ) > 0
        }
    }

    /// Moves the expiry of every lease `owner` still holds to `expiry`, and its worker's heartbeat to `now`, in one
    /// transaction; the leases it holds (one taken over after it expired is no longer among them).
    public func renewLeases(owner: String, until expiry: Date, now: Date) throws(PECError) -> Set<String> {
        try write(action: "renew the leases in") { db in
            try db.execute("UPDATE workers SET renewed_at = ? WHERE worker_id = ?", [now, owner])
            try db.execute("UPDATE leases SET expires_at = ? WHERE owner = ?", [expiry, owner])
            return Set(
                try db.fetchAll("SELECT name FROM leases WHERE owner = ?", [owner]).map {
                    try $0.decode(String.self, "name")
                }
            )
        }
    }

    /// Gives up `names` (every lease of `owner` when nil), for another worker to take at once.
    public func releaseLeases(owner: String, names: [String]? = nil) throws(PECError) {
        try write(action: "release the leases in") { db in
            guard let names else {
                try db.execute("DELETE FROM leases WHERE owner = ?", [owner])
                return
            }
            for name in names {
                try db.execute("DELETE FROM leases WHERE owner = ? AND name = ?", [owner, name])
            }
        }
    }

    /// A worker that stopped: its leases released and its row removed, in one transaction.
    public func removeWorker(_ id: String) throws(PECError) {
        try write(action: "remove the worker from") { db in
            try db.execute("DELETE FROM leases WHERE owner = ?", [id])
            try db.execute("DELETE FROM workers WHERE worker_id = ?", [id])
        }
    }

    /// Forgets workers silent since before `cutoff` (killed long ago), with the leases they still hold, long
    /// expired.
    public func removeWorkers(silentSince cutoff: Date) throws(PECError) {
        try write(action: "clean the worker list in") { db in
            try db.execute(
                "DELETE FROM leases WHERE owner IN (SELECT worker_id FROM workers WHERE renewed_at < ?)",
                [cutoff]
            )
            try db.execute("DELETE FROM workers WHERE renewed_at < ?", [cutoff])
        }
    }

    private static func decodeLease(_ row: LedgerRow) throws -> PoolLease {
        PoolLease(
            name: try row.decode(String.self, "name"),
            owner: try row.decode(String.self, "owner"),
            takenAt: try row.decode(Date.self, "taken_at"),
            expiresAt: try row.decode(Date.self, "expires_at")
        )
    }
}
