/// Why `pec-mcp install` or `uninstall` changed nothing. Each names the file, so the user can look at it.
enum SetupError: Error, Sendable, Equatable, CustomStringConvertible {
    case noHome(variable: String)
    case executableNotFound
    /// The server options given to install would not start the server (e.g. --allow-send without --allow-recipient).
    case invalidServerOptions(String)
    case invalidServerName(String)
    case unreadable(path: String, reason: String)
    case invalidJSON(path: String, line: Int, column: Int, problem: String)
    case notAnObject(path: String, key: String?)
    case duplicateKey(path: String, key: String)
    /// A server with our name is there with other settings: replaced only with --force.
    case conflictingEntry(path: String, name: String, existing: String, wanted: String)
    case cannotWrite(path: String, reason: String)

    var description: String {
        switch self {
        case .noHome(let variable):
            "\(variable) is not set: cannot find the client's configuration (or give --config FILE)"
        case .executableNotFound:
            "cannot tell where this pec-mcp is installed: run it by its full path"
        case .invalidServerOptions(let message):
            message
        case .invalidServerName(let name):
            "--name \"\(name)\": use letters, digits, '-', '_' or '.'"
        case .unreadable(let path, let reason):
            "cannot read \(path): \(reason)"
        case .invalidJSON(let path, let line, let column, let problem):
            "\(path) is not valid JSON (line \(line), column \(column): \(problem)); nothing was changed: fix it, or move it away"
        case .notAnObject(let path, nil):
            "\(path) does not hold a JSON object ({ … }); nothing was changed"
        case .notAnObject(let path, let key?):
            "\"\(key)\" in \(path) is not a JSON object ({ … }); nothing was changed"
        case .duplicateKey(let path, let key):
            "\"\(key)\" appears more than once in \(path); nothing was changed: keep one"
        case .conflictingEntry(let path, let name, let existing, let wanted):
            "\(path) already has a server named \"\(name)\" with other settings: \(existing), not \(wanted); nothing was changed (--force replaces it, --name NAME installs beside it)"
        case .cannotWrite(let path, let reason):
            "cannot write \(path): \(reason)"
        }
    }
}
