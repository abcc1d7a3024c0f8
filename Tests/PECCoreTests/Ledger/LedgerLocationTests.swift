import Foundation
import GRDB
import Testing

@testable import PECCore
@testable import PECTestSupport

@Suite("PEC_LEDGER_URL: a PostgreSQL database, a SQLite file elsewhere, or the default file")
struct LedgerLocationTests {
    @Test("unset or empty: the default file; a path, sqlite:///PATH or ~/PATH: that file; postgresql://: the database")
    func parses() throws {
        let home = ["HOME": "/home/mario"]
        #expect(try LedgerLocation(environment: home).file?.path == "/home/mario/.local/state/pec/ledger.sqlite")
        #expect(
            try LedgerLocation(environment: home.merging(["PEC_LEDGER_URL": ""]) { $1 }).file
                == LedgerLocation(environment: home).file
        )
        #expect(try LedgerLocation("/srv/pec/ledger.sqlite", source: "--ledger").file?.path == "/srv/pec/ledger.sqlite")
        #expect(
            try LedgerLocation("sqlite:///srv/pec/a%20b.sqlite", source: "--ledger").file?.path == "/srv/pec/a b.sqlite"
        )
        #expect(
            try LedgerLocation("~/l.sqlite", source: "--ledger", environment: home).file?.path == "/home/mario/l.sqlite"
        )
        let relative = try LedgerLocation("sub/../l.sqlite", source: "--ledger").file?.path
        #expect(relative == FileManager.default.currentDirectoryPath + "/l.sqlite")
        let postgres = try LedgerLocation("postgresql://pec:pw@db:6432/pec?schema=team", source: "--ledger")
        #expect(postgres.file == nil)
        #expect(postgres.displayName == "postgresql://pec@db:6432/pec (schema team)")
        #expect(postgres.environmentValue(original: "postgresql://pec:pw@db:6432/pec?schema=team").contains("pw"))
    }

    @Test(
        "what is neither is a usage error naming where it came from, never the password",
        arguments: [
            ("mysql://pec:pw-secret@db/pec", "starts with mysql://"),
            ("sqlite://relative.sqlite", "names no absolute file path"),
            ("postgresql://pec:pw-secret@db", "is not a usable PostgreSQL URL"),
            ("  ", "is empty"),
        ]
    )
    func refuses(text: String, problem: String) throws {
        let error = try #require(throws: PECError.self) { try LedgerLocation(text, source: "--ledger") }
        #expect(error.kind == .usage)
        #expect(error.message.hasPrefix("--ledger "), "\(error.message)")
        #expect(error.message.contains(problem), "\(error.message)")
        #expect(!error.message.contains("pw-secret") && error.hint?.contains("pw-secret") != true)
    }

    @Test("a SQLite file in PEC_LEDGER_URL is the ledger every command opens, and the one doctor checks")
    func fileElsewhere() throws {
        let sandbox = try LedgerSandbox()
        let file = sandbox.root.appendingPathComponent("elsewhere/ledger.sqlite")
        let environment = ["HOME": sandbox.root.path, "PEC_LEDGER_URL": file.path]
        let ledger = try PECContext(environment: environment).ledger()
        #expect((ledger.store as? SQLiteLedgerDatabase)?.url == file)
        #expect(FileManager.default.fileExists(atPath: file.path))
        #expect(!FileManager.default.fileExists(atPath: sandbox.root.appendingPathComponent(".local").path))

        let account = Account(
            address: "a@pec.sandbox",
            imap: ServerEndpoint(host: "127.0.0.1", port: 1),
            smtp: ServerEndpoint(host: "127.0.0.1", port: 1)
        )
        let check = DoctorService(account: account, store: AccountStore(environment: environment)).ledgerCheck()
        #expect(check.status == .ok || check.status == .warning, "\(check)")
        #expect(check.details?.path == file.path)

        let bad = ["HOME": sandbox.root.path, "PEC_LEDGER_URL": "redis://db/0"]
        let refused = DoctorService(account: account, store: AccountStore(environment: bad)).ledgerCheck()
        #expect(refused.status == .failed)
        #expect(refused.found.contains("PEC_LEDGER_URL starts with redis://"), "\(refused.found)")
    }

    @Test(
        "migrate --status changes nothing; migrate applies what is pending, and says so",
        arguments: LedgerStore.available
    )
    func migrate(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let location: LedgerLocation =
            switch store {
            case .sqlite: try LedgerLocation(sandbox.ledgerURL.path, source: "test")
            case .postgres: try LedgerLocation(try sandbox.postgresURL, source: "test")
            }
        let environment = ["HOME": sandbox.root.path]
        let known = LedgerSchema.migrations.map(\.identifier)

        let status = try SendLedger.migrate(location, environment: environment, applying: false)
        #expect(status.stepsBefore == 0 && status.stepsAfter == 0 && status.pending == known && status.statusOnly)
        #expect(try SendLedger.migrate(location, environment: environment, applying: false).pending == known)
        if store == .sqlite { #expect(!FileManager.default.fileExists(atPath: sandbox.ledgerURL.path)) }

        let applied = try SendLedger.migrate(location, environment: environment, applying: true)
        #expect(applied.stepsBefore == 0 && applied.stepsAfter == known.count && applied.applied == known)
        #expect(applied.pending.isEmpty && applied.isUpToDate)
        let again = try SendLedger.migrate(location, environment: environment, applying: true)
        #expect(again.applied.isEmpty && again.stepsBefore == known.count)

        // A step of a newer pec: refused by --status as by migrate, and left there.
        let table = store == .sqlite ? "grdb_migrations" : "ledger_migrations"
        try SendLedger.open(location, environment: environment).write(action: "test") { db in
            try db.execute("INSERT INTO \(table) (identifier) VALUES (?)", ["v99-future"])
        }
        for applying in [false, true] {
            let newer = try #require(throws: PECError.self) {
                try SendLedger.migrate(location, environment: environment, applying: applying)
            }
            #expect(newer.message.contains("newer version of pec") && newer.message.contains("v99-future"))
        }
    }

    @Test("a ledger one step behind: --status shows the step, migrate applies only it")
    func oneStepBehind() throws {
        let sandbox = try LedgerSandbox()
        _ = try sandbox.open()
        // What a ledger of the pec before v8 looked like: its tables dropped, its step forgotten.
        let raw = try DatabaseQueue(path: sandbox.ledgerURL.path)
        try raw.write { db in
            try db.execute(sql: "DROP TABLE workers; DROP TABLE leases; DROP TABLE shared_accounts")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v8-pool'")
        }
        try raw.close()
        let location = try LedgerLocation(sandbox.ledgerURL.path, source: "test")
        let status = try SendLedger.migrate(location, environment: [:], applying: false)
        #expect(status.stepsBefore == LedgerSchema.migrations.count - 1 && status.pending == ["v8-pool"])
        let file = sandbox.root.appendingPathComponent("old.sqlite")
        try FileManager.default.copyItem(at: sandbox.ledgerURL, to: file)
        let team = try LedgerSandbox().open()
        let refused = try #require(throws: PECError.self) { try team.importLedger(from: file, account: nil) }
        let known = LedgerSchema.migrations.count
        #expect(refused.message.contains("\(known - 1) of \(known) schema steps"), "\(refused.message)")
        #expect(refused.hint?.contains("ledger migrate") == true)

        let applied = try SendLedger.migrate(location, environment: [:], applying: true)
        #expect(applied.applied == ["v8-pool"] && applied.stepsAfter == LedgerSchema.migrations.count)
    }
}
