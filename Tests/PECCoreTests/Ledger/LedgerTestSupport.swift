import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

/// The store a ledger test runs on: the SQLite file always, PostgreSQL too when one runs for the tests
/// (`make test` starts one: scripts/postgres.sh, `PEC_TEST_POSTGRES_URL`).
enum LedgerStore: String, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    static let postgresURL = ProcessInfo.processInfo.environment["PEC_TEST_POSTGRES_URL"].flatMap {
        $0.isEmpty ? nil : $0
    }

    static var available: [LedgerStore] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }
}

/// A private temporary directory for one test's ledger files, deleted when it is released; on PostgreSQL,
/// a schema of the test's own in the test database as well (left there: the database is thrown away).
final class LedgerSandbox: Sendable {
    private let home: TemporaryHome
    let store: LedgerStore
    /// The test's own schema, on PostgreSQL.
    let schema: String
    var root: URL { home.url }

    init(store: LedgerStore = .sqlite) throws {
        home = try TemporaryHome(prefix: "pec-ledger")
        self.store = store
        schema = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// `PEC_LEDGER_URL` for this test's PostgreSQL ledger.
    var postgresURL: String {
        get throws {
            let url = try #require(LedgerStore.postgresURL, "PEC_TEST_POSTGRES_URL is not set")
            return url + (url.contains("?") ? "&" : "?") + "schema=\(schema)"
        }
    }

    /// Inside a directory that does not exist yet, so opening the ledger has to create it.
    var ledgerURL: URL { root.appendingPathComponent("state/pec/ledger.sqlite") }

    func open(clock: TestClock? = nil) throws -> SendLedger {
        let now: @Sendable () -> Date = { clock?.now() ?? Date() }
        switch store {
        case .sqlite:
            return try SendLedger(at: ledgerURL, now: now)
        case .postgres:
            let settings = try PostgresLedgerSettings(url: try postgresURL)
            return SendLedger(store: try PostgresLedgerDatabase(settings: settings), url: ledgerURL, now: now)
        }
    }

    func mode(of url: URL) throws -> mode_t {
        var info = stat()
        try #require(stat(url.path, &info) == 0)
        return info.st_mode & 0o777
    }
}

/// A clock that moves one second each time it is read, so attempts have distinct, known times.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(start: Date = Date(timeIntervalSince1970: 1_750_000_000)) {
        current = start
    }

    func now() -> Date {
        lock.withLock {
            current += 1
            return current
        }
    }

    func advance(by seconds: TimeInterval) {
        lock.withLock { current += seconds }
    }
}

enum LedgerFixtures {
    static let preparedAt = Date(timeIntervalSince1970: 1_749_999_000)

    static func newSend(
        _ messageID: String = "<20250615.1@pec.example.it>",
        account: String = "mario.rossi@pec.example.it",
        to: [String] = ["ufficio@pec.comune.example.it"],
        cc: [String] = []
    ) -> NewSend {
        NewSend(
            messageID: messageID,
            account: account,
            from: account,
            to: to,
            cc: cc,
            subject: "Diffida ad adempiere",
            preparedAt: preparedAt,
            size: 48_213,
            attachments: [
                LedgerAttachment(
                    filename: "diffida.pdf",
                    contentType: "application/pdf",
                    size: 40_000,
                    sha256: String(repeating: "ab", count: 32)
                )
            ]
        )
    }
}
