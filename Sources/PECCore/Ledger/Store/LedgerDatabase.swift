import Foundation

/// The one interface the ledger's SQL goes through, so that the same statements run on the embedded
/// SQLite file (``SQLiteLedgerDatabase``) and on a shared PostgreSQL (``PostgresLedgerDatabase``).
///
/// The statements are written once, in the SQL both understand, with `?` placeholders; what the two
/// dialects cannot share (placeholders, types, how a new row's key is returned, the write lock) is the
/// stores' business. Both are synchronous, as GRDB is: the ledger's callers never wait on it for long.
protocol LedgerDatabase: Sendable {
    /// Runs `body` in a transaction that sees one consistent state and writes nothing.
    func read<T>(_ body: (any LedgerConnection) throws -> T) throws -> T
    /// Runs `body` in a transaction that holds the ledger's write lock from its first statement: what
    /// `body` reads cannot change before it writes, so of two processes sending one letter, one wins.
    func write<T>(_ body: (any LedgerConnection) throws -> T) throws -> T
    /// What this store threw, as a ``PECError`` that names the ledger (never a password) and says what
    /// to do; `action` is a verb phrase ("open", "record the send in").
    func ledgerError(_ error: any Error, action: String) -> PECError
    /// The ledger in messages: a file's path, or `postgresql://user@host:port/database`.
    var displayName: String { get }
    /// The channel a write that stored events notifies (PostgreSQL's NOTIFY), for workers of other processes
    /// waiting on it; nil where nothing listens (SQLite: one machine's processes poll the file).
    var eventsChannel: String? { get }
    /// The identifiers of the schema steps applied (``LedgerSchema/migrations``), in no particular order.
    func appliedSteps() throws -> Set<String>
}

/// The statements of one transaction.
protocol LedgerConnection {
    /// Runs a statement and returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [any LedgerBindable]) throws -> Int
    func fetchAll(_ sql: String, _ arguments: [any LedgerBindable]) throws -> [LedgerRow]
    /// Runs an `INSERT … ON CONFLICT … DO NOTHING` and returns the new row's `key` column, or nil when
    /// the conflict left the table as it was.
    func insert(_ sql: String, _ arguments: [any LedgerBindable], returning key: String) throws -> Int64?
}

extension LedgerConnection {
    func fetchOne(_ sql: String, _ arguments: [any LedgerBindable]) throws -> LedgerRow? {
        try fetchAll(sql, arguments).first
    }

    /// The first row's `column`; nil when there is no row or its value is NULL.
    func fetchValue<Value: LedgerColumnValue>(
        _ type: Value.Type,
        column: String,
        _ sql: String,
        _ arguments: [any LedgerBindable]
    ) throws -> Value? {
        try fetchOne(sql, arguments)?.decode(Value?.self, column)
    }
}

/// A value bound to a statement. Typed even when nil: PostgreSQL infers nothing from a bare NULL.
enum LedgerValue: Sendable, Equatable {
    case text(String?)
    case integer(Int64?)
    case bool(Bool?)
    case date(Date?)
}

/// What a statement's `?` can be bound to.
protocol LedgerBindable {
    var ledgerValue: LedgerValue { get }
    /// This type's NULL.
    static var ledgerNull: LedgerValue { get }
}

extension String: LedgerBindable {
    var ledgerValue: LedgerValue { .text(self) }
    static var ledgerNull: LedgerValue { .text(nil) }
}

extension Int: LedgerBindable {
    var ledgerValue: LedgerValue { .integer(Int64(self)) }
    static var ledgerNull: LedgerValue { .integer(nil) }
}

extension Int64: LedgerBindable {
    var ledgerValue: LedgerValue { .integer(self) }
    static var ledgerNull: LedgerValue { .integer(nil) }
}

extension Bool: LedgerBindable {
    var ledgerValue: LedgerValue { .bool(self) }
    static var ledgerNull: LedgerValue { .bool(nil) }
}

extension Date: LedgerBindable {
    var ledgerValue: LedgerValue { .date(self) }
    static var ledgerNull: LedgerValue { .date(nil) }
}

extension Optional: LedgerBindable where Wrapped: LedgerBindable {
    var ledgerValue: LedgerValue { map(\.ledgerValue) ?? Wrapped.ledgerNull }
    static var ledgerNull: LedgerValue { Wrapped.ledgerNull }
}
