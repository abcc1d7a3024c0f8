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
    /// Advice in words that hold for every front-end (no flags, no tool names).
    public var hint: String?
    /// What to do next that names a command or an argument: each front-end words it its own way.
    public var remedies: [Remedy]
    /// Whether the same call may succeed if tried again later.
    public var retryable: Bool

    public init(
        _ kind: Kind,
        _ message: String,
        hint: String? = nil,
        remedies: [Remedy] = [],
        retryable: Bool = false
    ) {
        self.kind = kind
        self.message = message
        self.hint = hint
        self.remedies = remedies
        self.retryable = retryable
    }

    public init(_ kind: Kind, _ message: String, hint: String? = nil, remedy: Remedy, retryable: Bool = false) {
        self.init(kind, message, hint: hint, remedies: [remedy], retryable: retryable)
    }

    /// The hint and the remedies in one text, each remedy worded by `wording` (`pec`: flags and
    /// commands; `pec-mcp`: tools and arguments).
    public func hint(wording: (Remedy) -> String) -> String? {
        let parts = (hint.map { [$0] } ?? []) + remedies.map(wording)
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// `message (advice)`, the remedies worded by `wording`.
    public func description(wording: (Remedy) -> String) -> String {
        hint(wording: wording).map { "\(message) (\($0))" } ?? message
    }

    /// For logs and tests: the remedies by their action names.
    public var description: String {
        description(wording: { "\($0)" })
    }
}

extension PECError {
    /// The `--json` form: `{"error":{"kind":…,"message":…,"retryable":…,"hint":…,"remedies":[…]}}`
    /// (README "Errors"). `hint` is the whole advice in the front-end's words, `remedies` the
    /// same remedies in their structured form.
    public struct Envelope: Encodable, Sendable {
        public var error: PECError
        public init(_ error: PECError, wording: (Remedy) -> String) {
            var worded = error
            worded.hint = error.hint(wording: wording)
            self.error = worded
        }
    }

    private enum CodingKeys: String, CodingKey {
        case kind, message, retryable, hint, remedies
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(Kind.self, forKey: .kind)
        message = try container.decode(String.self, forKey: .message)
        retryable = try container.decodeIfPresent(Bool.self, forKey: .retryable) ?? false
        hint = try container.decodeIfPresent(String.self, forKey: .hint)
        remedies = try container.decodeIfPresent([Remedy].self, forKey: .remedies) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(message, forKey: .message)
        try container.encode(retryable, forKey: .retryable)
        try container.encodeIfPresent(hint, forKey: .hint)
        if !remedies.isEmpty { try container.encode(remedies, forKey: .remedies) }
    }
}
