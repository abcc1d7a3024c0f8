import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The ledger in a PostgreSQL database, shared by a team's workers (`PEC_LEDGER_URL`).
///
/// A synchronous facade over postgres-nio, as GRDB is synchronous: each statement is sent on the ledger's own event
/// loop and the calling thread waits for its answer (never that loop's thread: `wait()` refuses it). One
/// connection per ledger, opened on first use and again after it broke, used by one transaction at a time.
///
/// Writes take a transaction-scoped advisory lock on the ledger (its schema) before their first statement, then
/// run at READ COMMITTED: each statement after the lock sees every write committed before it, and no other writer
/// runs until this one commits. That is SQLite's `BEGIN IMMEDIATE`, so every guarantee the ledger's checks give on
/// a file holds as they stand: of two workers sending one message, or taking a recipient's last slot, one wins.
/// And events are numbered and committed in the same order, so a feed reader never skips a `seq` committed late.
/// SERIALIZABLE would allow concurrent writers but make every caller retry on serialization failures, and
/// `LOCK TABLE` would have to name every table a write may read; a ledger write lasts milliseconds.
/// Reads run at REPEATABLE READ, READ ONLY: one snapshot for a send and its recipients, as a SQLite read has.
final class PostgresLedgerDatabase: LedgerDatabase {
    let settings: PostgresLedgerSettings
    /// The open connection, if any; its lock is held for a whole transaction.
    private let connection = NIOLockedValueBox<PostgresConnection?>(nil)

    /// The first key of the advisory write lock ("PECL", as SQLite's application_id); the second is the schema's.
    static let writeLockKey: Int32 = 0x5045_434C
    /// Its own thread, not the mail connections' (``EventLoops/shared``): a ledger call made on that loop would wait
    /// for an answer the same blocked thread has to read. Created on first use: a file ledger never starts it.
    static let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    /// How long connecting may take before the ledger reports the server unreachable.
    static let connectTimeout: TimeAmount = .seconds(10)

    /// postgres-nio's logs stay out of pec's output: they can name the user and the database.
    static let logger = Logger(label: "pec.ledger.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Connects, and brings the schema up to date (creating `settings.schema` when missing); with `migrating`
    /// false, only checks that the database is a ledger this pec can use, and changes nothing
    /// (`pec ledger migrate --status`).
    init(settings: PostgresLedgerSettings, migrating: Bool = true) throws(PECError) {
        self.settings = settings
        do {
            if migrating {
                try write { db in try LedgerSchema.preparePostgres(db, settings: settings) }
            } else {
                _ = try read { db in try LedgerSchema.appliedPostgresSteps(db, settings: settings) }
            }
        } catch {
            throw ledgerError(error, action: "open")
        }
    }

    deinit {
        connection.withLockedValue { open in open.map(Self.close) }
    }

    /// postgres-nio wants each connection closed before it is released: the closure keeps it until then.
    private static func close(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    var displayName: String { settings.displayName }

    /// One channel per ledger (its schema: a validated SQL name), so two ledgers in one database do not wake
    /// each other.
    var eventsChannel: String? { "pec_events_\(settings.schema ?? "public")" }

    /// A wake-up each time another connection commits new events (``eventsChannel``), on a connection of its
    /// own: LISTEN holds it. A broken connection is opened again a second later; meanwhile callers keep their
    /// own polling, which this only shortens. Ends when the stream's consumer goes away.
    func eventNotifications() -> AsyncStream<Void> {
        let channel = eventsChannel ?? "pec_events_public"
        let configuration = Result { try makeConfiguration() }
        return AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let task = Task {
                while !Task.isCancelled {
                    if let connection = try? await PostgresConnection.connect(
                        on: Self.eventLoops.next(),
                        configuration: configuration.get(),
                        id: 2,
                        logger: Self.logger
                    ) {
                        do {
                            for try await _ in try await connection.listen(channel) { continuation.yield() }
                        } catch {}
                        try? await connection.close()
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func appliedSteps() throws -> Set<String> {
        try read { db in try LedgerSchema.appliedPostgresSteps(db, settings: settings) }
    }

    func read<T>(_ body: (any LedgerConnection) throws -> T) throws -> T {
        try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", locked: false, body)
    }

    func write<T>(_ body: (any LedgerConnection) throws -> T) throws -> T {
        try transaction(begin: "BEGIN ISOLATION LEVEL READ COMMITTED", locked: true, body)
    }

    private func transaction<T>(
        begin: String,
        locked: Bool,
        _ body: (any LedgerConnection) throws -> T
    ) throws -> T {
        try connection.withLockedValue { open in
            let statements = PostgresLedgerConnection(connection: try connected(&open))
            try statements.execute(begin, [])
            do {
                if locked {
                    try statements.execute(
                        "SELECT pg_advisory_xact_lock(\(Self.writeLockKey), hashtext(?))",
                        [settings.schema ?? "public"]
                    )
                }
                let result = try body(statements)
                try statements.execute("COMMIT", [])
                return result
            } catch {
                // A broken connection is opened again by the next transaction.
                if (try? statements.execute("ROLLBACK", [])) == nil {
                    open.map(Self.close)
                    open = nil
                }
                throw error
            }
        }
    }

    private func connected(_ open: inout PostgresConnection?) throws -> PostgresConnection {
        if let connection = open, !connection.isClosed { return connection }
        let connection = try PostgresConnection.connect(
            on: Self.eventLoops.next(),
            configuration: try makeConfiguration(),
            id: 1,
            logger: Self.logger
        ).wait()
        open = connection
        return connection
    }

    private func makeConfiguration() throws -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: settings.host,
            port: settings.port,
            username: settings.user,
            password: settings.password,
            database: settings.database,
            tls: try makeTLS()
        )
        configuration.options.connectTimeout = Self.connectTimeout
        // What a DBA sees in pg_stat_activity and the server's log: "pec watch", "pec-mcp".
        configuration.options.additionalStartupParameters = [("application_name", Self.applicationName)]
        if let schema = settings.schema {
            configuration.options.additionalStartupParameters.append(("search_path", schema))
        }
        return configuration
    }

    /// The program and its command, e.g. `pec watch`: the first argument that is not an option.
    static let applicationName: String = {
        let arguments = ProcessInfo.processInfo.arguments
        let program = arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "pec"
        let command = arguments.dropFirst().first { !$0.hasPrefix("-") && $0.allSatisfy(\.isLetter) }
        return String([program, command].compactMap { $0 }.joined(separator: " ").prefix(63))
    }()

    private func makeTLS() throws -> PostgresConnection.Configuration.TLS {
        switch settings.tlsMode {
        case .disable:
            return .disable
        case .prefer, .require:
            // libpq's meaning: encrypted, but the certificate is not checked.
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            let context = try NIOSSLContext(configuration: tls)
            return settings.tlsMode == .prefer ? .prefer(context) : .require(context)
        case .verifyFull:
            var tls = SystemCertificates.verifyingClientConfiguration()
            if let file = settings.rootCertificate {
                guard FileManager.default.isReadableFile(atPath: file) else {
                    throw PECError(
                        .usage,
                        "the CA file \(file) (sslrootcert in \(PostgresLedgerSettings.environmentKey)) cannot be read",
                        hint: "name a readable PEM file with the CA that issued the PostgreSQL server's certificate"
                    )
                }
                // libpq's meaning: this CA alone, not the system's roots besides.
                tls.trustRoots = .file(file)
            }
            return .require(try NIOSSLContext(configuration: tls))
        }
    }

    // MARK: - Errors

    func ledgerError(_ error: any Error, action: String) -> PECError {
        if let error = error as? PECError { return error }
        let name = displayName
        if let unreadable = error as? UnreadableLedgerValue {
            return PECError(
                .io,
                "cannot \(action) the send ledger \(name): it holds data pec cannot read in column \(unreadable.column)"
            )
        }
        let variable = PostgresLedgerSettings.environmentKey
        if let tlsFailure = Self.tlsFailure(error) {
            return PECError(
                .tls,
                "cannot \(action) the send ledger \(name): the TLS connection failed (\(tlsFailure))",
                hint: settings.tlsMode == .verifyFull
                    ? "with sslmode=verify-full, sslrootcert in \(variable) must name the CA that issued the server's "
                        + "certificate, and the certificate must be for the host in the URL"
                    : "check the server's TLS settings, or the sslmode in \(variable)"
            )
        }
        guard let error = error as? PSQLError else {
            return PECError(.io, "cannot \(action) the send ledger \(name): \(error)")
        }
        switch error.code {
        case .server:
            let message = error.serverInfo?[.message] ?? "the server refused"
            let state = error.serverInfo?[.sqlState] ?? ""
            switch state {
            case "28P01", "28000":
                return PECError(
                    .io,
                    "cannot \(action) the send ledger \(name): \(message)",
                    hint: "check the user and password in \(variable), and the server's pg_hba.conf"
                )
            case "3D000":
                return PECError(
                    .io,
                    "cannot \(action) the send ledger \(name): \(message)",
                    hint: "create the database (createdb), or name an existing one in \(variable)"
                )
            case "40001", "40P01", "55P03", "57014":
                return PECError(
                    .io,
                    "cannot \(action) the send ledger \(name): \(message)",
                    hint: "another worker was using the ledger; try again",
                    retryable: true
                )
            default:
                return PECError(.io, "cannot \(action) the send ledger \(name): \(message) (SQLSTATE \(state))")
            }
        case .sslUnsupported:
            return PECError(
                .tls,
                "cannot \(action) the send ledger \(name): the server does not offer TLS",
                hint: "enable ssl on the server, or set sslmode=disable in \(variable) on a trusted network"
            )
        case .authMechanismRequiresPassword:
            return PECError(
                .io,
                "cannot \(action) the send ledger \(name): the server asks for a password",
                hint: "put the password in \(variable): postgresql://USER:PASSWORD@HOST/DATABASE"
            )
        default:
            let cause = error.underlying.map { ": \($0)" } ?? ""
            return PECError(
                .network,
                "cannot \(action) the send ledger \(name): the PostgreSQL server cannot be reached\(cause)",
                hint: "check that the server runs and accepts connections at the host and port in \(variable)",
                retryable: true
            )
        }
    }

    /// The TLS error inside `error`, if the connection failed on TLS.
    private static func tlsFailure(_ error: any Error) -> String? {
        if let error = error as? NIOSSLError { return "\(error)" }
        if let error = error as? BoringSSLError { return "\(error)" }
        if let error = error as? NIOSSLExtraError { return "\(error)" }
        if let error = error as? PSQLError {
            if error.code == .failedToAddSSLHandler { return "\(error.underlying.map { "\($0)" } ?? "no handler")" }
            if let underlying = error.underlying { return tlsFailure(underlying) }
        }
        return nil
    }
}

/// The statements of one transaction on the connection.
private struct PostgresLedgerConnection: LedgerConnection {
    let connection: PostgresConnection

    @discardableResult
    func execute(_ sql: String, _ arguments: [any LedgerBindable]) throws -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    func fetchAll(_ sql: String, _ arguments: [any LedgerBindable]) throws -> [LedgerRow] {
        try run(sql, arguments).rows.map { LedgerRow(storage: .postgres($0.makeRandomAccess())) }
    }

    func insert(_ sql: String, _ arguments: [any LedgerBindable], returning key: String) throws -> Int64? {
        try fetchAll(sql + " RETURNING \(key)", arguments).first?.decode(Int64.self, key)
    }

    private func run(_ sql: String, _ arguments: [any LedgerBindable]) throws -> PostgresQueryResult {
        let query = try PostgresDialect.query(sql, arguments)
        return try connection.query(query, logger: PostgresLedgerDatabase.logger).wait()
    }
}

/// The one place the ledger's shared SQL becomes PostgreSQL's.
enum PostgresDialect {
    /// `?` placeholders become `$1`, `$2`…, each cast to its argument's type (PostgreSQL cannot infer the type
    /// of `? IS NULL`); dates are sent to the millisecond, as GRDB stores them, so both stores compare alike.
    static func query(_ sql: String, _ arguments: [any LedgerBindable]) throws -> PostgresQuery {
        var bindings = PostgresBindings(capacity: arguments.count)
        var text = ""
        text.reserveCapacity(sql.utf8.count + 12 * arguments.count)
        var index = 0
        var inString = false
        for character in sql {
            if character == "'" { inString.toggle() }
            guard character == "?", !inString else {
                text.append(character)
                continue
            }
            guard index < arguments.count else {
                throw PECError(.internal, "a ledger statement has more placeholders than arguments")
            }
            let type: String
            switch arguments[index].ledgerValue {
            case .text(let value):
                type = "text"
                try bindings.append(value)
            case .integer(let value):
                type = "int8"
                try bindings.append(value)
            case .bool(let value):
                type = "bool"
                try bindings.append(value)
            case .date(let value):
                type = "timestamptz"
                try bindings.append(value.map(millisecond))
            }
            index += 1
            text += "$\(index)::\(type)"
        }
        guard index == arguments.count else {
            throw PECError(.internal, "a ledger statement has fewer placeholders than arguments")
        }
        return PostgresQuery(unsafeSQL: text, binds: bindings)
    }

    /// GRDB's precision: whole milliseconds, rounded down. Rounded to the microsecond first: a date read back from
    /// either store (e.g. `…23.456`) is a Double a hair below it, which must not lose a millisecond each time it is
    /// written again (`pec ledger import` of an exported file).
    static func millisecond(_ date: Date) -> Date {
        let microseconds = (date.timeIntervalSince1970 * 1_000_000).rounded()
        return Date(timeIntervalSince1970: (microseconds / 1000).rounded(.down) / 1000)
    }
}
