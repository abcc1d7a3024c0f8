import Logging
import NIOConcurrencyHelpers

/// How to reach and log in to one mailbox: the IMAP server, the credentials, the retry policy.
/// Use-cases open a session through ``withSession(readOnly:_:)`` and never see the network.
public struct MailboxAccess: Sendable {
    public var settings: ConnectionSettings
    public var username: String
    public var password: String
    public var retry: RetryPolicy
    /// True when the password came from the saved credentials: a rejected login then means the
    /// saved login is stale (exit 2, "log in again") rather than a mistyped password.
    public var passwordIsSaved: Bool
    /// Where accepted logins with the saved password are noted, for the message when one is rejected.
    public var loginHistory: LoginHistory?
    /// Where full folder listings are kept for shell completion.
    public var folderNames: FolderNameCache?
    /// When set, sessions are kept open between calls (see ``IMAPSessionKeeper``); otherwise each
    /// call connects, logs in and logs out.
    public var keeper: IMAPSessionKeeper?

    public init(
        settings: ConnectionSettings,
        username: String,
        password: String,
        retry: RetryPolicy = RetryPolicy(),
        passwordIsSaved: Bool = true,
        keeper: IMAPSessionKeeper? = nil
    ) {
        self.settings = settings
        self.username = username
        self.password = password
        self.retry = retry
        self.passwordIsSaved = passwordIsSaved
        self.keeper = keeper
    }

    /// Connects, logs in and runs `body`. Transient failures (timeouts, resets, TRYAGAIN, a BYE
    /// greeting) restart the whole session after a backoff, unless `change` says the body has
    /// started changing the mailbox: a change is never applied twice.
    func withSession<Result: Sendable>(
        logger: Logger,
        change: ChangeProgress? = nil,
        _ body: @escaping @Sendable (IMAPClient) async throws -> Result
    ) async throws -> Result {
        let body: @Sendable (IMAPClient) async throws -> Result = { client in
            do {
                return try await body(client)
            } catch let error as PECError where change?.started == true {
                throw NotRetried(error: error)
            }
        }
        do {
            return try await retry.run("IMAP session with \(settings.address)", logger: logger) {
                if let keeper {
                    return try await keeper.run(self, logger: logger, mayRepeat: { change?.started != true }, body)
                }
                return try await IMAPClient.withConnection(settings, logger: logger) { client in
                    try await client.login(username: username, password: password)
                    loginAccepted()
                    return try await body(client)
                }
            }
        } catch let wrapped as NotRetried {
            throw wrapped.error
        } catch let error as PECError where error.kind == .authenticationFailed && passwordIsSaved {
            throw LoginHistory.rejection(
                of: error,
                address: username,
                server: .imap,
                lastAccepted: loginHistory?.lastAccepted(username)
            )
        }
    }

    /// The server took the password: noted for the saved ones (best effort, one syscall).
    func loginAccepted() {
        if passwordIsSaved { loginHistory?.recordAccepted(username) }
    }
}

/// Set by a use-case just before it sends the command that changes the mailbox, so that
/// ``MailboxAccess/withSession(logger:change:_:)`` retries the checks before it but never the change.
/// (Set in the session's task, read by the retry loop around it: a lock, so the compiler checks it.
/// `Atomic<Bool>` would need macOS 15.)
final class ChangeProgress: Sendable {
    private let flag = NIOLockedValueBox(false)

    var started: Bool { flag.withLockedValue { $0 } }

    func start() { flag.withLockedValue { $0 = true } }
}

/// Carries an error out of a session whose changes may already be applied, past the retry loop.
private struct NotRetried: Error {
    var error: PECError
}
