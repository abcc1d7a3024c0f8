import Foundation
import Testing

@testable import PECCore

@Suite("Ledger on PostgreSQL: PEC_LEDGER_URL, TLS, errors")
struct PostgresLedgerTests {
    static let password = "s3cret-pw"

    @Test("the URL's parts, its two schemes and its settings")
    func parsesURL() throws {
        let settings = try PostgresLedgerSettings(
            url: "postgresql://pec:\(Self.password)@db.example.it:6432/ledger?sslmode=verify-full"
                + "&sslrootcert=/etc/pec/ca.pem&schema=team_a"
        )
        #expect(settings.host == "db.example.it")
        #expect(settings.port == 6432)
        #expect(settings.user == "pec")
        #expect(settings.password == Self.password)
        #expect(settings.database == "ledger")
        #expect(settings.tlsMode == .verifyFull)
        #expect(settings.rootCertificate == "/etc/pec/ca.pem")
        #expect(settings.schema == "team_a")
        #expect(!settings.displayName.contains(Self.password))
        let short = try PostgresLedgerSettings(url: "postgres://pec@localhost/ledger")
        #expect(short.port == 5432)
        #expect(short.tlsMode == .prefer)
        #expect(short.password == nil)
    }

    @Test(
        "a URL pec cannot use is a usage error that says what to fix, never with the password",
        arguments: [
            ("mysql://pec:s3cret-pw@localhost/ledger", "mysql://"),
            ("postgresql://pec:s3cret-pw@localhost", "names no database"),
            ("postgresql://:s3cret-pw@localhost/ledger", "names no user"),
            ("postgresql://pec:s3cret-pw@localhost/ledger?sslmode=allow", "sslmode=allow"),
            ("postgresql://pec:s3cret-pw@localhost/ledger?sslmode=require&sslrootcert=/ca.pem", "verify-full"),
            ("postgresql://pec:s3cret-pw@localhost/ledger?schema=Bad-Name", "schema=Bad-Name"),
            ("postgresql://pec:s3cret-pw@localhost/ledger?connect_timeout=3", "connect_timeout"),
        ]
    )
    func refusesBadURL(url: String, problem: String) throws {
        let error = try #require(throws: PECError.self) { try PostgresLedgerSettings(url: url) }
        #expect(error.kind == .usage)
        #expect(error.message.contains("PEC_LEDGER_URL"))
        #expect(error.message.contains(problem), "\(error.message)")
        #expect(!error.message.contains(Self.password) && error.hint?.contains(Self.password) != true)
    }

    @Test("without PEC_LEDGER_URL the ledger is the file; with it, the PostgreSQL database", arguments: [true, false])
    func selection(postgres: Bool) throws {
        let sandbox = try LedgerSandbox(store: .postgres)
        var environment = ["HOME": sandbox.root.path]
        if postgres {
            guard LedgerStore.postgresURL != nil else { return }
            environment["PEC_LEDGER_URL"] = try sandbox.postgresURL
        }
        let ledger = try PECContext(environment: environment).ledger()
        #expect((ledger.store is PostgresLedgerDatabase) == postgres)
        #expect(ledger.url == SendLedger.defaultLocation(environment: environment))
        #expect(FileManager.default.fileExists(atPath: ledger.url.path) == !postgres)
    }

    @Test("an unreachable server: a network error naming host and port, never the password")
    func unreachable() throws {
        let url = "postgresql://pec:\(Self.password)@127.0.0.1:1/ledger?sslmode=disable"
        let error = try #require(throws: PECError.self) {
            try PostgresLedgerDatabase(settings: try PostgresLedgerSettings(url: url))
        }
        #expect(error.kind == .network)
        #expect(error.retryable)
        #expect(error.message.contains("postgresql://pec@127.0.0.1:1/ledger"))
        #expect(error.hint?.contains("PEC_LEDGER_URL") == true)
        #expect(!"\(error.message) \(error.hint ?? "")".contains(Self.password))
    }

    @Test("a wrong password: refused, with what to check, and the password nowhere", .postgresAvailable)
    func wrongPassword() throws {
        let url = try #require(LedgerStore.postgresURL.map(Self.withWrongPassword))
        let error = try #require(throws: PECError.self) {
            try PostgresLedgerDatabase(settings: try PostgresLedgerSettings(url: url))
        }
        #expect(error.message.contains("password authentication failed"), "\(error.message)")
        #expect(error.hint?.contains("user and password") == true)
        #expect(!"\(error.message) \(error.hint ?? "")".contains(Self.password))
    }

    @Test(
        "sslmode=verify-full with the server's CA: an encrypted, verified connection, by address and by name",
        .postgresAvailable
    )
    func verifiedTLS() throws {
        let ca = try #require(ProcessInfo.processInfo.environment["PEC_TEST_POSTGRES_CA"])
        for host in ["127.0.0.1", "localhost"] {
            let store = try PostgresLedgerDatabase(
                settings: try Self.settings(sslmode: "verify-full&sslrootcert=\(ca)", host: host)
            )
            let encrypted = try store.read { db in
                try db.fetchOne("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", [])?.decode(
                    Bool.self,
                    "ssl"
                )
            }
            #expect(encrypted == true, "\(host)")
        }
    }

    @Test("sslmode=verify-full with another CA: a TLS error that says what to fix", .postgresAvailable)
    func wrongCA() throws {
        let otherCA = SignatureFixtures.bundledPath("sandbox-ca.pem")
        let error = try #require(throws: PECError.self) {
            try PostgresLedgerDatabase(settings: try Self.settings(sslmode: "verify-full&sslrootcert=\(otherCA)"))
        }
        #expect(error.kind == .tls, "\(error)")
        #expect(error.message.contains("TLS"))
        #expect(error.hint?.contains("sslrootcert") == true)
    }

    @Test("sslmode=verify-full with a CA file that is not there: a usage error naming it")
    func missingCA() throws {
        let error = try #require(throws: PECError.self) {
            try PostgresLedgerDatabase(
                settings: try PostgresLedgerSettings(
                    url: "postgresql://pec@127.0.0.1:1/ledger?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"
                )
            )
        }
        #expect(error.kind == .usage)
        #expect(error.message.contains("/nonexistent/ca.pem"))
    }

    @Test("a database whose tables pec did not create is refused", .postgresAvailable)
    func foreignTables() throws {
        let sandbox = try LedgerSandbox(store: .postgres)
        let settings = try PostgresLedgerSettings(url: try sandbox.postgresURL)
        let other = try PostgresLedgerDatabase(settings: settings)
        try other.write { db in
            try db.execute("DROP TABLE ledger_migrations", [])
        }
        let error = try #require(throws: PECError.self) { try PostgresLedgerDatabase(settings: settings) }
        #expect(error.kind == .io)
        #expect(error.message.contains("is not a pec send ledger"))
    }

    /// The test server's settings with `sslmode` (and what follows it), on `host`.
    private static func settings(sslmode: String, host: String = "127.0.0.1") throws -> PostgresLedgerSettings {
        let url = try #require(LedgerStore.postgresURL)
        var settings = try PostgresLedgerSettings(url: url + "?sslmode=" + sslmode)
        settings.host = host
        return settings
    }

    private static func withWrongPassword(_ url: String) -> String {
        var components = URLComponents(string: url)
        components?.password = password
        return components?.string ?? url
    }
}

/// Only with a PostgreSQL for the tests (`make test`).
extension Trait where Self == ConditionTrait {
    static var postgresAvailable: Self {
        .enabled(if: LedgerStore.postgresURL != nil, "PEC_TEST_POSTGRES_URL is not set")
    }
}
