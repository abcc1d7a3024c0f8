import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The embedded ledger: one SQLite file in WAL mode, shared by every `pec` and `pec-mcp` process of the user.
final class SQLiteLedgerDatabase: LedgerDatabase {
    let url: URL
    /// A pool in WAL mode; a plain queue for a ledger opened read-only (``init(readingOnly:)``).
    private let database: any DatabaseWriter

    /// How long a process waits for another one's write transaction before giving up.
    static let busyTimeout: TimeInterval = 5
    /// How many times opening is tried when SQLite reports the file busy.
    static let maximumOpenAttempts = 5

    /// Opens the file at `url`, creating it (directory 0700, file 0600) and bringing its schema up to date.
    init(at url: URL) throws(PECError) {
        self.url = url
        try SecureFiles.ensureDirectory(url.deletingLastPathComponent())
        try Self.createPrivateFile(url)
        var configuration = Configuration()
        configuration.label = "pec.ledger"
        configuration.foreignKeysEnabled = true
        // Another pec process may hold the write lock for a moment: wait for it instead of failing at once.
        configuration.busyMode = .timeout(Self.busyTimeout)
        let pool = try Self.openPool(path: url.path, configuration: configuration)
        try LedgerSchema.prepare(pool, path: url.path)
        database = pool
    }

    /// Opens the existing ledger file at `url` without changing it, not even its schema (`pec ledger import` reads a
    /// ledger from elsewhere, `pec ledger migrate --status` only looks). Refuses a missing file, another kind of
    /// SQLite database, or one migrated by a newer pec; its schema may be older than this pec's.
    init(readingOnly url: URL) throws(PECError) {
        self.url = url
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw PECError(
                .notFound,
                "there is no send ledger at \(url.path)",
                hint: "name an existing ledger file"
            )
        }
        var configuration = Configuration()
        configuration.label = "pec.ledger.readonly"
        configuration.readonly = true
        configuration.busyMode = .timeout(Self.busyTimeout)
        do {
            database = try DatabaseQueue(path: url.path, configuration: configuration)
        } catch {
            throw LedgerErrors.map(error, path: url.path, action: "open")
        }
        try LedgerSchema.checkIdentity(database, path: url.path)
    }

    var displayName: String { url.path }

    var eventsChannel: String? { nil }

    /// GRDB's migrator keeps its own list (none in a file never migrated).
    func appliedSteps() throws -> Set<String> {
        try database.read { db in try LedgerSchema.makeMigrator().appliedIdentifiers(db) }
    }

    func ledgerError(_ error: any Error, action: String) -> PECError {
        LedgerErrors.map(error, path: url.path, action: action)
    }

    func read<T>(_ body: (any LedgerConnection) throws -> T) throws -> T {
        try database.read { db in try body(SQLiteLedgerConnection(db: db)) }
    }

    /// An IMMEDIATE transaction: the write lock is taken before the first read, so what `body` reads cannot change
    /// before it writes (and SQLite's busy timeout applies; a deferred transaction upgraded to a write fails at once
    /// with SQLITE_BUSY when another process wrote meanwhile).
    func write<T>(_ body: (any LedgerConnection) throws -> T) throws -> T {
        try database.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(SQLiteLedgerConnection(db: db))
                return .commit
            }
            guard let result else {
                throw PECError(.internal, "a ledger transaction committed without a result")
            }
            return result
        }
    }

    /// Takes the closed ledger file at `url` out of WAL mode, so that it is complete on its own, without -wal and
    /// -shm files beside it: a copy to move (`pec ledger export`). Opening it as a ledger again turns WAL back on.
    static func leaveWAL(at url: URL) throws(PECError) {
        do {
            let queue = try DatabaseQueue(path: url.path)
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try queue.close()
        } catch {
            throw LedgerErrors.map(error, path: url.path, action: "finish")
        }
    }

    /// A DatabasePool always runs in WAL mode: readers never block the writer, nor the other way round.
    ///
    /// Opening is retried a few times on SQLITE_BUSY: when two processes switch a brand-new file to WAL at the same
    /// moment, one `PRAGMA journal_mode = WAL` fails at once without waiting for the busy timeout (a known SQLite
    /// behaviour). WAL mode is stored in the file, so this can only happen while the ledger is being created.
    private static func openPool(path: String, configuration: Configuration) throws(PECError) -> DatabasePool {
        var lastError: (any Error)?
        for attempt in 1...maximumOpenAttempts {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && attempt < maximumOpenAttempts {
                lastError = error
                // Random, so two processes that collided do not collide again.
                usleep(UInt32.random(in: 10_000...50_000))
            } catch {
                throw LedgerErrors.map(error, path: path, action: "open")
            }
        }
        throw LedgerErrors.map(
            lastError ?? PECError(.internal, "opening \(path) was never attempted"),
            path: path,
            action: "open"
        )
    }

    /// SQLite creates a missing database 0644. Creating the file first with 0600 keeps subjects and recipients
    /// private, and SQLite gives the -wal and -shm files the database file's mode.
    private static func createPrivateFile(_ url: URL) throws(PECError) {
        let path = url.path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            throw PECError(
                .io,
                "cannot open the send ledger \(path): \(SecureFiles.describe(code))",
                hint: "check the owner and permissions of \(path) and of its directory"
            )
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw PECError(.io, "\(path) is not a regular file", hint: "remove it, or point pec at another ledger")
        }
        if info.st_mode & 0o077 != 0 {
            // A ledger copied or created by hand: tighten it. Failing to (not our file) does not stop the send.
            _ = fchmod(fd, 0o600)
        }
    }
}

/// Statements are cached: `sync` looks sends up for every receipt.
private struct SQLiteLedgerConnection: LedgerConnection {
    let db: Database

    func execute(_ sql: String, _ arguments: [any LedgerBindable]) throws -> Int {
        try db.cachedStatement(sql: sql).execute(arguments: Self.bind(arguments))
        return db.changesCount
    }

    func fetchAll(_ sql: String, _ arguments: [any LedgerBindable]) throws -> [LedgerRow] {
        try Row.fetchAll(db.cachedStatement(sql: sql), arguments: Self.bind(arguments)).map {
            LedgerRow(storage: .sqlite($0))
        }
    }

    func insert(_ sql: String, _ arguments: [any LedgerBindable], returning key: String) throws -> Int64? {
        // The key of every table inserted into this way is its INTEGER PRIMARY KEY, i.e. the rowid.
        try execute(sql, arguments) > 0 ? db.lastInsertedRowID : nil
    }

    /// GRDB's own bindings: dates as its `yyyy-MM-dd HH:mm:ss.SSS` text in UTC, booleans as 0 and 1.
    private static func bind(_ arguments: [any LedgerBindable]) -> StatementArguments {
        StatementArguments(
            arguments.map { argument -> (any DatabaseValueConvertible)? in
                switch argument.ledgerValue {
                case .text(let value): value
                case .integer(let value): value
                case .bool(let value): value
                case .date(let value): value
                }
            }
        )
    }
}
