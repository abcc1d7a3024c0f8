import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `pec ledger export` or `pec ledger import` copied, table by table.
public struct LedgerTransferReport: Encodable, Sendable, Equatable {
    public enum Operation: String, Encodable, Sendable {
        case export
        case `import`
    }

    public var operation: Operation
    /// The ledger read (``LedgerLocation/displayName``, or the file's path).
    public var from: String
    /// The ledger written.
    public var to: String
    /// Only this account's rows, when given.
    public var account: String?
    /// Per data table, in the order they are copied.
    public var tables: [LedgerTableCount]
    /// The tables left out, and why.
    public var notCopied: [String: String]

    public func count(_ table: String) -> LedgerTableCount? { tables.first { $0.table == table } }

    private struct TableKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    enum CodingKeys: String, CodingKey {
        case operation, from, to, account, tables
        case notCopied = "not_copied"
    }

    /// `tables` as one object keyed by table name: `{"sends":{"copied":3,"already_present":1},…}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(operation, forKey: .operation)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encodeIfPresent(account, forKey: .account)
        var tablesContainer = container.nestedContainer(keyedBy: TableKey.self, forKey: .tables)
        for count in tables {
            try tablesContainer.encode(count, forKey: TableKey(stringValue: count.table))
        }
        try container.encode(notCopied, forKey: .notCopied)
    }
}

/// One table's rows: those copied, and (on import) those the target already had.
public struct LedgerTableCount: Encodable, Sendable, Equatable {
    public var table: String
    public var copied: Int
    /// Nil on export: a new file has nothing already.
    public var alreadyPresent: Int?

    enum CodingKeys: String, CodingKey {
        case copied
        case alreadyPresent = "already_present"
    }
}

/// Moving a ledger's data between stores (`pec ledger export`, `pec ledger import`): a single user's ledger into a
/// team's PostgreSQL database and back. Only the data tables: the pool's runtime state (`workers`, `leases`)
/// belongs to the database it runs on, and `shared_accounts` hold passwords under the team's key.
extension SendLedger {
    /// Copies this ledger's data (only `account`'s, when given) into a new SQLite ledger file at `destination`,
    /// row for row: events keep their `seq`, so the cursors copied with them keep their meaning. The file is
    /// written beside `destination` under a temporary name and renamed into place once complete (mode 0600): a
    /// failure leaves no file. An existing `destination` is refused unless `replacing`.
    public func export(to destination: URL, account: String?, replacing: Bool) throws(PECError)
        -> LedgerTransferReport
    {
        let destination = destination.standardizedFileURL
        try LedgerTransfer.checkExportDestination(destination, replacing: replacing, source: self)
        let snapshot = try read { db in try LedgerTransfer.Snapshot(db, account: account) }
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp")
        let companions = ["", "-wal", "-shm", "-journal"].map { temporary.path + $0 }
        companions.forEach(TemporaryFiles.register)
        defer {
            for path in companions {
                unlink(path)
                TemporaryFiles.unregister(path)
            }
        }
        try LedgerTransfer.writeCopy(snapshot, to: temporary)
        try LedgerTransfer.moveIntoPlace(temporary, destination, replacing: replacing)
        return LedgerTransferReport(
            operation: .export,
            from: store.displayName,
            to: destination.path,
            account: account,
            tables: LedgerTransfer.tables.map {
                LedgerTableCount(table: $0.name, copied: snapshot.rows($0).count, alreadyPresent: nil)
            },
            notCopied: LedgerTransfer.notExported
        )
    }

    /// Merges the SQLite ledger file at `file` (only `account`'s rows, when given) into this ledger, in one write
    /// transaction. The file is only read; it must have this pec's schema. Sends already here (by Message-ID) are
    /// skipped with their recipients and attachments; events already here (by receipt) too. Imported events get
    /// new `seq`s here, after every event already stored, and the file's parked events follow them. Importing the
    /// same file again imports nothing.
    public func importLedger(from file: URL, account: String?) throws(PECError) -> LedgerTransferReport {
        let file = file.standardizedFileURL
        if let own = (store as? SQLiteLedgerDatabase)?.url, LedgerTransfer.sameFile(own, file) {
            throw PECError(
                .usage,
                "\(file.path) is the ledger in use: there is nothing to import",
                hint: "name the ledger to import into with --ledger or \(LedgerLocation.environmentKey)"
            )
        }
        let source = SendLedger(store: try SQLiteLedgerDatabase(readingOnly: file), url: file)
        try LedgerTransfer.checkImportSource(source)
        let snapshot = try source.read { db in try LedgerTransfer.Snapshot(db, account: account) }
        let tables = try write(action: "import into") { db in try LedgerTransfer.merge(snapshot, into: db) }
        return LedgerTransferReport(
            operation: .import,
            from: file.path,
            to: store.displayName,
            account: account,
            tables: tables,
            notCopied: LedgerTransfer.notImported
        )
    }
}

enum LedgerTransfer {
    /// One column of a data table, with the type its values are read and bound as on both stores.
    struct Column: Sendable {
        enum Kind: Sendable {
            case text
            case integer
            case bool
            case date
        }

        var name: String
        var kind: Kind

        func value(_ row: LedgerRow) throws -> LedgerValue {
            switch kind {
            case .text: .text(try row.decode(String?.self, name))
            case .integer: .integer(try row.decode(Int64?.self, name))
            case .bool: .bool(try row.decode(Bool?.self, name))
            case .date: .date(try row.decode(Date?.self, name))
            }
        }
    }

    /// A data table: its columns as both stores have them (LedgerSchema.swift), in the order rows are copied.
    struct Table: Sendable {
        var name: String
        var columns: [Column]
        /// The order rows are read and inserted in. `rowid` keeps the order of sends of the same second, and of each
        /// message's recipients as given: the target numbers them anew, in that order.
        var order: String
        /// The condition on `?`, an account's name, that selects that account's rows.
        var ofAccount: String

        func index(of column: String) -> Int {
            guard let index = columns.firstIndex(where: { $0.name == column }) else {
                preconditionFailure("\(name) has no column \(column) in LedgerTransfer.tables")
            }
            return index
        }
    }

    private static func text(_ names: String...) -> [Column] { names.map { Column(name: $0, kind: .text) } }
    private static func integer(_ name: String) -> Column { Column(name: name, kind: .integer) }
    private static func bool(_ name: String) -> Column { Column(name: name, kind: .bool) }
    private static func date(_ name: String) -> Column { Column(name: name, kind: .date) }

    static let sends = Table(
        name: "sends",
        columns: text("message_id", "account", "from_address", "subject")
            + [date("prepared_at"), date("first_attempt_at"), date("last_attempt_at"), integer("attempts")]
            + text("status", "smtp_reply", "error", "identificativo")
            + [integer("size"), integer("inbox_uidvalidity"), integer("inbox_uidnext")]
            + text("content_fingerprint", "message_sha256", "ref"),
        order: "rowid",
        ofAccount: "account = ?"
    )
    static let recipients = Table(
        name: "send_recipients",
        columns: text("message_id", "address", "role") + [bool("accepted"), integer("smtp_code")] + text("smtp_text"),
        order: "rowid",
        ofAccount: "message_id IN (SELECT message_id FROM sends WHERE account = ?)"
    )
    static let attachments = Table(
        name: "send_attachments",
        columns: text("message_id") + [integer("position")] + text("filename", "content_type")
            + [integer("size")] + text("sha256"),
        order: "message_id, position",
        ofAccount: "message_id IN (SELECT message_id FROM sends WHERE account = ?)"
    )
    static let events = Table(
        name: "tracking_events",
        columns: [integer("seq")] + text("unique_key", "account", "message_id", "kind", "recipient")
            + [date("at"), date("recorded_at")] + text("gestore", "identificativo", "errore", "errore_esteso")
            + [bool("trusted")]
            + text("signature", "deadline", "external_recipients", "receipt_message_id", "folder")
            + [integer("uid"), integer("uidvalidity")] + text("sha256") + [integer("size")]
            + text("evidence_path", "warnings", "rem_event"),
        order: "seq",
        ofAccount: "account = ?"
    )
    static let folders = Table(
        name: "tracking_folders",
        columns: text("account", "folder") + [integer("uidvalidity"), integer("last_uid"), date("synced_at")],
        order: "account, folder",
        ofAccount: "account = ?"
    )
    static let watchCursors = Table(
        name: "tracking_cursors",
        columns: text("account") + [integer("printed_seq")],
        order: "account",
        ofAccount: "account = ?"
    )
    /// A delivery target's cursor covers every account's events: one account's export keeps it whole.
    static let deliveryCursors = Table(
        name: "delivery_cursors",
        columns: text("target") + [integer("delivered_seq")],
        order: "target",
        ofAccount: "? IS NOT NULL"
    )
    static let parked = Table(
        name: "parked_events",
        columns: text("target") + [integer("seq")] + text("reason") + [date("parked_at"), bool("requeued")],
        order: "seq, target",
        ofAccount: "seq IN (SELECT seq FROM tracking_events WHERE account = ?)"
    )

    /// Every data table, parents first.
    static let tables = [sends, recipients, attachments, events, folders, watchCursors, deliveryCursors, parked]

    static let notExported = [
        "workers": "the pool's runtime state, meaningful only in the database it runs on",
        "leases": "the pool's runtime state, meaningful only in the database it runs on",
        "shared_accounts": "the team's accounts: their passwords are under the team's key",
    ]
    static let notImported = [
        "tracking_cursors": "a position in the file's numbering of events, which import renumbers",
        "delivery_cursors": "a position in the file's numbering of events, which import renumbers",
    ]

    /// The rows of every data table, read in one transaction: a consistent copy.
    struct Snapshot {
        private var rowsByTable: [String: [[LedgerValue]]] = [:]

        init(_ db: any LedgerConnection, account: String?) throws {
            for table in LedgerTransfer.tables {
                let columns = table.columns.map(\.name).joined(separator: ", ")
                let condition = account == nil ? "" : " WHERE \(table.ofAccount)"
                let arguments: [any LedgerBindable] = account.map { [$0] } ?? []
                rowsByTable[table.name] = try db.fetchAll(
                    "SELECT \(columns) FROM \(table.name)\(condition) ORDER BY \(table.order)",
                    arguments
                ).map { row in try table.columns.map { try $0.value(row) } }
            }
        }

        func rows(_ table: Table) -> [[LedgerValue]] { rowsByTable[table.name] ?? [] }
    }

    static func insert(_ table: Table, columns: [Column], conflict: String) -> String {
        let names = columns.map(\.name).joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        return "INSERT INTO \(table.name) (\(names)) VALUES (\(placeholders))\(conflict)"
    }

    // MARK: - Export

    static func checkExportDestination(_ destination: URL, replacing: Bool, source: SendLedger) throws(PECError) {
        let path = destination.path
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                throw PECError(.usage, "\(path) exists and is not a regular file", hint: "name a new file")
            }
            if let own = (source.store as? SQLiteLedgerDatabase)?.url, sameFile(own, destination) {
                throw PECError(.usage, "\(path) is the ledger being exported", hint: "name a new file")
            }
            guard replacing else {
                throw PECError(
                    .usage,
                    "\(path) already exists",
                    hint: "name a new file, or add --force to replace it"
                )
            }
        }
        let directory = destination.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw PECError(.usage, "the directory \(directory) does not exist", hint: "create it first (mkdir -p)")
        }
    }

    /// A complete ledger at `temporary`: this pec's schema, then every row in one transaction, then out of WAL
    /// mode so that the file travels alone.
    static func writeCopy(_ snapshot: Snapshot, to temporary: URL) throws(PECError) {
        do {
            let copy = SendLedger(store: try SQLiteLedgerDatabase(at: temporary), url: temporary)
            try copy.write(action: "write the copy into") { db in
                for table in tables {
                    let sql = insert(table, columns: table.columns, conflict: "")
                    for row in snapshot.rows(table) { try db.execute(sql, row) }
                }
            }
        }
        try SQLiteLedgerDatabase.leaveWAL(at: temporary)
    }

    /// Renames `temporary` to `destination`; without `replacing`, never over a file created meanwhile.
    static func moveIntoPlace(_ temporary: URL, _ destination: URL, replacing: Bool) throws(PECError) {
        if !replacing {
            if link(temporary.path, destination.path) == 0 { return }
            let code = errno
            guard code != EEXIST else {
                throw PECError(.usage, "\(destination.path) already exists", hint: "name a new file, or add --force")
            }
            // A file system without hard links: the check before writing has to do.
            guard code == EPERM || code == ENOTSUP || code == EXDEV else {
                throw PECError(.io, "cannot create \(destination.path): \(SecureFiles.describe(code))")
            }
        }
        guard rename(temporary.path, destination.path) == 0 else {
            throw PECError(.io, "cannot create \(destination.path): \(SecureFiles.describe(errno))")
        }
    }

    /// The same file, also under another name.
    static func sameFile(_ first: URL, _ second: URL) -> Bool {
        if first.standardizedFileURL.path == second.standardizedFileURL.path { return true }
        var one = stat()
        var two = stat()
        guard stat(first.path, &one) == 0, stat(second.path, &two) == 0 else { return false }
        return one.st_dev == two.st_dev && one.st_ino == two.st_ino
    }

    // MARK: - Import

    /// An import reads the file as it is: one with an older schema would need migrating, which is a change.
    static func checkImportSource(_ source: SendLedger) throws(PECError) {
        let steps = try source.orderedSteps()
        let path = source.url.path
        guard !steps.isEmpty else {
            throw PECError(.usage, "\(path) is not a pec send ledger (it is empty)", hint: "name a ledger file")
        }
        let known = LedgerSchema.migrations.count
        guard steps.count == known else {
            let quoted = SecureFiles.shellQuoted(path)
            throw PECError(
                .usage,
                "\(path) has \(steps.count) of \(known) schema steps: it was written by an older pec",
                hint: "update it first (pec --ledger \(quoted) ledger migrate), then import it"
            )
        }
    }

    /// Inserts what the target lacks, and says how many rows of each table it took and already had.
    static func merge(_ snapshot: Snapshot, into db: any LedgerConnection) throws -> [LedgerTableCount] {
        var counts: [LedgerTableCount] = []

        let messageID = sends.index(of: "message_id")
        var imported = Set<String>()
        let insertSend = insert(sends, columns: sends.columns, conflict: " ON CONFLICT (message_id) DO NOTHING")
        for row in snapshot.rows(sends) {
            if try db.execute(insertSend, row) > 0, case .text(let id?) = row[messageID] { imported.insert(id) }
        }
        counts.append(count(sends, copied: imported.count, of: snapshot))

        // A send already here keeps its own recipients and attachments.
        for table in [recipients, attachments] {
            let sql = insert(table, columns: table.columns, conflict: " ON CONFLICT DO NOTHING")
            var copied = 0
            for row in snapshot.rows(table) {
                guard case .text(let id?) = row[table.index(of: "message_id")], imported.contains(id) else {
                    continue
                }
                copied += try db.execute(sql, row)
            }
            counts.append(count(table, copied: copied, of: snapshot))
        }

        // New numbers here, in the file's order; `seqs` maps the file's to this ledger's, for the parked events.
        var seqs: [Int64: Int64] = [:]
        var copiedEvents = 0
        let seq = events.index(of: "seq")
        let uniqueKey = events.index(of: "unique_key")
        let eventColumns = events.columns.filter { $0.name != "seq" }
        let insertEvent = insert(events, columns: eventColumns, conflict: " ON CONFLICT (unique_key) DO NOTHING")
        for row in snapshot.rows(events) {
            guard case .integer(let old?) = row[seq] else { continue }
            var values = row
            values.remove(at: seq)
            if let new = try db.insert(insertEvent, values, returning: "seq") {
                seqs[old] = new
                copiedEvents += 1
            } else if let existing = try db.fetchValue(
                Int64.self,
                column: "seq",
                "SELECT seq FROM tracking_events WHERE unique_key = ?",
                [row[uniqueKey]]
            ) {
                seqs[old] = existing
            }
        }
        counts.append(count(events, copied: copiedEvents, of: snapshot))

        // A folder this ledger has read keeps its own position: a later sync re-reads, never skips.
        let insertFolder = insert(
            folders,
            columns: folders.columns,
            conflict: " ON CONFLICT (account, folder) DO NOTHING"
        )
        var copiedFolders = 0
        for row in snapshot.rows(folders) { copiedFolders += try db.execute(insertFolder, row) }
        counts.append(count(folders, copied: copiedFolders, of: snapshot))

        let parkedSeq = parked.index(of: "seq")
        let insertParked = insert(parked, columns: parked.columns, conflict: " ON CONFLICT (target, seq) DO NOTHING")
        var copiedParked = 0
        for row in snapshot.rows(parked) {
            guard case .integer(let old?) = row[parkedSeq], let new = seqs[old] else { continue }
            var values = row
            values[parkedSeq] = .integer(new)
            copiedParked += try db.execute(insertParked, values)
        }
        counts.append(count(parked, copied: copiedParked, of: snapshot))
        return counts
    }

    private static func count(_ table: Table, copied: Int, of snapshot: Snapshot) -> LedgerTableCount {
        LedgerTableCount(table: table.name, copied: copied, alreadyPresent: snapshot.rows(table).count - copied)
    }
}

/// A value read from one store, bound as it is into the other.
extension LedgerValue: LedgerBindable {
    var ledgerValue: LedgerValue { self }
    static var ledgerNull: LedgerValue { .text(nil) }
}
