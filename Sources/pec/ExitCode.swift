import PECCore

/// How a `pec` process ends. The numbers are a public contract (README "Exit codes").
enum PECExitCode: Int32, Sendable {
    case ok = 0
    /// Any failure that is not one of the specific cases below, usage errors included.
    case error = 1
    /// No saved account, or the saved credentials were rejected: run `pec auth login`.
    case notAuthenticated = 2
    /// A send was refused before anything was contacted (not a TTY and no `--yes`).
    case sendRefused = 3
}

extension PECError {
    var exitCode: PECExitCode {
        switch kind {
        case .notAuthenticated: .notAuthenticated
        case .sendRefused: .sendRefused
        default: .error
        }
    }
}
