import Foundation
import GRDB
import PostgresNIO

/// One result row of either store, read by column name with typed getters. A value of an unexpected
/// type (a row edited by hand) is an ``UnreadableLedgerValue``, never a trap.
struct LedgerRow {
    enum Storage {
        case sqlite(Row)
        case postgres(PostgresRandomAccessRow)
    }

    let storage: Storage

    func hasColumn(_ column: String) -> Bool {
        switch storage {
        case .sqlite(let row): row.hasColumn(column)
        case .postgres(let row): row.contains(column)
        }
    }

    func decode<Value: LedgerColumnValue>(_ type: Value.Type = Value.self, _ column: String) throws -> Value {
        let value: Value?
        switch storage {
        case .sqlite(let row):
            guard row.hasColumn(column), let stored = try? row.decode(DatabaseValue.self, forColumn: column) else {
                throw UnreadableLedgerValue(column: column)
            }
            value = Value.decode(sqlite: stored)
        case .postgres(let row):
            guard row.contains(column) else { throw UnreadableLedgerValue(column: column) }
            value = Value.decode(postgres: row[column])
        }
        guard let value else { throw UnreadableLedgerValue(column: column) }
        return value
    }
}

/// A type a column can be read as, from each store's own representation; nil when the value is not one.
protocol LedgerColumnValue {
    static func decode(sqlite value: DatabaseValue) -> Self?
    static func decode(postgres cell: PostgresCell) -> Self?
}

/// GRDB's own conversions, so a SQLite ledger reads exactly as it always did.
extension LedgerColumnValue where Self: DatabaseValueConvertible {
    static func decode(sqlite value: DatabaseValue) -> Self? { fromDatabaseValue(value) }
}

extension LedgerColumnValue where Self: PostgresDecodable {
    static func decode(postgres cell: PostgresCell) -> Self? { try? cell.decode(Self.self) }
}

extension String: LedgerColumnValue {}
extension Int64: LedgerColumnValue {}
extension Date: LedgerColumnValue {}

extension Int: LedgerColumnValue {
    /// Every integer column is BIGINT on PostgreSQL.
    static func decode(postgres cell: PostgresCell) -> Int? {
        Int64.decode(postgres: cell).flatMap { Int(exactly: $0) }
    }
}

extension Bool: LedgerColumnValue {
    /// A BOOLEAN column, or an aggregate over one (which both stores compute as an integer).
    static func decode(postgres cell: PostgresCell) -> Bool? {
        if cell.dataType == .bool { return try? cell.decode(Bool.self) }
        return Int64.decode(postgres: cell).map { $0 != 0 }
    }
}

extension Optional: LedgerColumnValue where Wrapped: LedgerColumnValue {
    static func decode(sqlite value: DatabaseValue) -> Wrapped?? {
        value.isNull ? .some(nil) : Wrapped.decode(sqlite: value).map { .some($0) }
    }

    static func decode(postgres cell: PostgresCell) -> Wrapped?? {
        cell.bytes == nil ? .some(nil) : Wrapped.decode(postgres: cell).map { .some($0) }
    }
}
