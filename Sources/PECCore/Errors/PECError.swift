/// How a `pec` process ends. The numbers are a public contract (README "Exit codes").
public enum PECExitCode: Int32, Sendable, Codable {
    case ok = 0
    /// Any failure that is not one of the specific cases below, usage errors included.
    case error = 1
    /// No saved account, or the saved credentials were rejected: run `pec auth login`.
    case notAuthenticated = 2
    /// A send was refused before anything was contacted (not a TTY and no `--yes`).
    case sendRefused = 3
}

/// The one error type every PECCore use-case throws, so that `pec` and `pec-mcp` report the same
/// problem the same way. `message` says what went wrong, `hint` what the user can do about it.
public struct PECError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// What kind of failure this is; stable strings, part of the `--json` error contract.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Bad flags or arguments.
        case usage
        /// Input the user gave (an address, a file, an id) is not acceptable.
        case invalidInput = "invalid_input"
        case notAuthenticated = "not_authenticated"
        /// Credentials just typed were rejected by the server (`auth login`: exit 1). Saved
        /// credentials the server rejects are `notAuthenticated` (exit 2: log in again).
        case authenticationFailed = "authentication_failed"
        case sendRefused = "send_refused"
        /// The same message was already sent (or may have been): the ledger refuses it again.
        case duplicate
        /// Too many sends to one recipient in a short time (`pec-mcp`'s limit): wait, or ask the user.
        case rateLimited = "rate_limited"
        /// The server could not be reached or the connection broke.
        case network
        case timeout
        /// TLS handshake or certificate verification failed.
        case tls
        /// The server answered with an error (IMAP NO/BAD, SMTP 4xx/5xx).
        case server
        /// The server or a message said something we cannot parse.
        case malformed
        case notFound = "not_found"
        /// Local files: unreadable, unwritable, wrong permissions.
        case io
        /// A bug in pec: please report it.
        case `internal`
    }

    public var kind: Kind
    public var message: String
    public var hint: String?
    /// Whether the same call may succeed if tried again later.
    public var retryable: Bool

    public init(_ kind: Kind, _ message: String, hint: String? = nil, retryable: Bool = false) {
        self.kind = kind
        self.message = message
        self.hint = hint
        self.retryable = retryable
    }

    public var exitCode: PECExitCode {
        switch kind {
        case .notAuthenticated: .notAuthenticated
        case .sendRefused: .sendRefused
        default: .error
        }
    }

    public var description: String {
        hint.map { "\(message) (\($0))" } ?? message
    }
}

extension PECError {
    /// The `--json` form: `{"error":{"kind":…,"message":…,"retryable":…,"hint":…}}`.
    public struct Envelope: Encodable, Sendable {
        public var error: PECError
        public init(_ error: PECError) { self.error = error }
    }

    private enum CodingKeys: String, CodingKey {
        case kind, message, retryable, hint
    }
}
