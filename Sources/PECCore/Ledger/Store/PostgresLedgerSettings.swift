import Foundation

/// Where a PostgreSQL ledger is and how to reach it: `PEC_LEDGER_URL`, in libpq's URL form
/// `postgresql://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=…&sslrootcert=FILE&schema=NAME`.
///
/// `sslmode` is `disable`, `prefer` (the default, as libpq's: TLS when the server offers it, unverified),
/// `require` (TLS, unverified) or `verify-full` (TLS, the server's certificate checked against `sslrootcert`,
/// else the system's roots, and its name against the host). `schema` keeps the ledger's tables in a schema
/// of their own (created when missing), for a database shared with other applications.
struct PostgresLedgerSettings: Sendable, Equatable {
    enum TLSMode: String, Sendable, CaseIterable {
        case disable
        case prefer
        case require
        case verifyFull = "verify-full"
    }

    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String
    var tlsMode: TLSMode
    var rootCertificate: String?
    var schema: String?

    /// The environment variable that selects a PostgreSQL ledger.
    static let environmentKey = "PEC_LEDGER_URL"

    /// `source` names where `text` came from in messages (`PEC_LEDGER_URL`, `--ledger`).
    init(url text: String, source: String = environmentKey) throws(PECError) {
        let example = "postgresql://USER:PASSWORD@HOST:5432/DATABASE?sslmode=verify-full&sslrootcert=/path/ca.pem"
        // Never the URL itself in a message: it holds the password.
        func invalid(_ problem: String) -> PECError {
            PECError(
                .usage,
                "\(source) is not a usable PostgreSQL URL: \(problem)",
                hint: "set it to \(example)"
            )
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw invalid("it does not parse as a URL")
        }
        guard scheme == "postgresql" || scheme == "postgres" else {
            throw invalid("it starts with \(scheme):// instead of postgresql://")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("it names no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("it names no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw invalid("it names no database (…/DATABASE)") }
        self.host = host
        port = components.port ?? 5432
        self.user = user
        password = components.password
        self.database = database
        tlsMode = .prefer
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw invalid(
                        "sslmode=\(value) is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                tlsMode = mode
            case "sslrootcert":
                rootCertificate = value
            case "schema":
                guard value.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
                    throw invalid("schema=\(value) is not a lower-case SQL name (letters, digits, _)")
                }
                schema = value
            default:
                throw invalid("\(item.name) is not a setting pec knows (sslmode, sslrootcert, schema)")
            }
        }
        if rootCertificate != nil, tlsMode != .verifyFull {
            throw invalid("sslrootcert is only used with sslmode=verify-full")
        }
    }

    /// The ledger in messages and logs: everything but the password.
    var displayName: String {
        "postgresql://\(user)@\(host):\(port)/\(database)" + (schema.map { " (schema \($0))" } ?? "")
    }
}
