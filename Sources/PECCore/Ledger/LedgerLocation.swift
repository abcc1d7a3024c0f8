import Foundation

/// Which ledger a process uses, as `PEC_LEDGER_URL` (or `pec --ledger`, which sets it) names it: a PostgreSQL
/// database (`postgresql://…`, see ``PostgresLedgerSettings``), a SQLite ledger file elsewhere (`sqlite:///PATH`,
/// or simply a path), else the file at ``SendLedger/defaultLocation(environment:)``.
public struct LedgerLocation: Sendable, Equatable {
    enum Store: Sendable, Equatable {
        case file(URL)
        case postgres(PostgresLedgerSettings)
    }

    let store: Store

    init(store: Store) {
        self.store = store
    }

    /// The environment variable that selects the ledger.
    public static let environmentKey = "PEC_LEDGER_URL"

    /// The ledger `environment` selects.
    public init(environment: [String: String]) throws(PECError) {
        guard let value = environment[Self.environmentKey], !value.isEmpty else {
            self.init(store: .file(SendLedger.defaultLocation(environment: environment)))
            return
        }
        try self.init(value, source: Self.environmentKey, environment: environment)
    }

    /// Parses `text`; `source` names where it came from in messages (`PEC_LEDGER_URL`, `--ledger`). A relative
    /// path is taken from the current directory, `~/` from `HOME`.
    public init(
        _ text: String,
        source: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(PECError) {
        let text = text.trimmingCharacters(in: .whitespaces)
        let example = "postgresql://USER:PASSWORD@HOST:5432/DATABASE, sqlite:///PATH/ledger.sqlite or a file path"
        guard !text.isEmpty else {
            throw PECError(.usage, "\(source) is empty", hint: "give \(example)")
        }
        guard let schemeEnd = text.range(of: "://") else {
            store = .file(Self.fileURL(text, environment: environment))
            return
        }
        // Never the whole value in a message: a PostgreSQL URL holds the password.
        switch text[..<schemeEnd.lowerBound].lowercased() {
        case "postgresql", "postgres":
            store = .postgres(try PostgresLedgerSettings(url: text, source: source))
        case "sqlite":
            let path = String(text[schemeEnd.upperBound...])
            guard path.hasPrefix("/"), URL(string: text) != nil else {
                throw PECError(
                    .usage,
                    "\(source) names no absolute file path after \(text[..<schemeEnd.upperBound])",
                    hint: "give sqlite:///PATH/ledger.sqlite (three slashes), or the path alone"
                )
            }
            store = .file(URL(fileURLWithPath: path.removingPercentEncoding ?? path, isDirectory: false))
        case let scheme:
            throw PECError(
                .usage,
                "\(source) starts with \(scheme.isEmpty ? "://" : "\(scheme)://"), a kind of ledger pec does not know",
                hint: "give \(example)"
            )
        }
    }

    /// The ledger in messages: a file's path, or `postgresql://user@host:port/database` (never the password).
    public var displayName: String {
        switch store {
        case .file(let url): url.path
        case .postgres(let settings): settings.displayName
        }
    }

    /// The value to hand on in `PEC_LEDGER_URL` (to the commands pec runs): a file as an absolute path.
    public func environmentValue(original: String) -> String {
        switch store {
        case .file(let url): url.path
        case .postgres: original
        }
    }

    /// The file, for a SQLite ledger.
    public var file: URL? {
        if case .file(let url) = store { return url }
        return nil
    }

    private static func fileURL(_ path: String, environment: [String: String]) -> URL {
        if path == "~" || path.hasPrefix("~/"), let home = environment["HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home + path.dropFirst(), isDirectory: false).standardizedFileURL
        }
        let base = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        return URL(fileURLWithPath: path, isDirectory: false, relativeTo: base).standardizedFileURL
    }
}
