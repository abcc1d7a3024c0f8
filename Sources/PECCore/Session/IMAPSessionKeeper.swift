import Logging
import NIOConcurrencyHelpers

/// Keeps one logged-in IMAP session open between use-cases, for a process that answers many calls
/// (`pec-mcp`): the second `pec_list` costs one round trip, not a TCP + TLS + LOGIN handshake.
///
/// Calls are queued and run one at a time on the kept session, by a worker task that owns the
/// connection from connect to logout. A session the server dropped meanwhile (autologout after
/// idling, `doveadm kick`, a restart, a network blip) is noticed by the next call's first command;
/// that call is then repeated once on a new connection, unless it had started changing the mailbox.
/// Nothing is connected until the first call.
public final class IMAPSessionKeeper: Sendable {
    private let queue: AsyncStream<Job>.Continuation
    private let jobs: AsyncStream<Job>
    private let worker = NIOLockedValueBox<Task<Void, Never>?>(nil)

    public init() {
        (jobs, queue) = AsyncStream.makeStream(of: Job.self)
    }

    /// Runs `body` on the kept session of `access`'s account (connecting and logging in first if
    /// there is none). `mayRepeat` is asked before repeating a call whose session turned out to be
    /// dead: it must say false once the call has started changing the mailbox.
    func run<Result: Sendable>(
        _ access: MailboxAccess,
        logger: Logger,
        mayRepeat: @escaping @Sendable () -> Bool,
        _ body: @escaping @Sendable (IMAPClient) async throws -> Result
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            let answer = Answer(continuation)
            let job = Job(access: access, logger: logger) { client, reused in
                do {
                    answer.give(.success(try await body(client)))
                    return .keep
                } catch {
                    let keep = Self.sessionSurvives(error)
                    if !keep, reused, mayRepeat() {
                        logger.info("the kept IMAP session was gone (\(error)); repeating on a new one")
                        return .repeatOnNewSession
                    }
                    answer.give(.failure(error))
                    return keep ? .keep : .close
                }
            } fail: { error in
                answer.give(.failure(error))
            }
            queue.yield(job)
            worker.withLockedValue { task in
                if task == nil { task = Task { await self.work() } }
            }
        }
    }

    /// Logs out and stops the worker once the queued calls are done.
    public func shutdown() async {
        queue.finish()
        let task = worker.withLockedValue { $0 }
        await task?.value
    }

    /// Errors after which the connection is still in a known state: the server answered, or the
    /// problem was ours. Anything else (network, timeout, unparsable replies) closes it.
    static func sessionSurvives(_ error: any Error) -> Bool {
        guard let error = error as? PECError else { return false }
        switch error.kind {
        case .usage, .invalidInput, .notFound, .server, .io, .duplicate, .sendRefused: return !error.retryable
        default: return false
        }
    }

    // MARK: - Worker

    private func work() async {
        var iterator = jobs.makeAsyncIterator()
        var waiting: Job?
        while true {
            if waiting == nil { waiting = await iterator.next() }
            guard let first = waiting else { return }
            waiting = nil
            var ranFirst = false
            do {
                try await IMAPClient.withConnection(first.access.settings, logger: first.logger) { client in
                    try await client.login(username: first.access.username, password: first.access.password)
                    first.access.loginAccepted()
                    var job: Job? = first
                    var reused = false
                    while let current = job {
                        guard current.access.sameMailbox(as: first.access) else {
                            waiting = current  // another account: a session of its own
                            return
                        }
                        // A new call sees the mailbox as it is now: SELECT again rather than trust
                        // counts from an earlier call.
                        client.selected = nil
                        ranFirst = true
                        switch await current.run(client, reused) {
                        case .keep: break
                        case .close: return
                        case .repeatOnNewSession:
                            waiting = current
                            return
                        }
                        reused = true
                        job = await iterator.next()
                    }
                }
            } catch {
                // Connecting or logging in failed: the call waiting for this session fails with it.
                // (After a call ran, only closing can fail, and the answers are already given.)
                if !ranFirst { first.fail(error) }
            }
        }
    }

    struct Job: Sendable {
        enum Outcome { case keep, close, repeatOnNewSession }

        let access: MailboxAccess
        let logger: Logger
        let run: @Sendable (IMAPClient, _ reused: Bool) async -> Outcome
        let fail: @Sendable (any Error) -> Void

        init(
            access: MailboxAccess,
            logger: Logger,
            run: @escaping @Sendable (IMAPClient, Bool) async -> Outcome,
            fail: @escaping @Sendable (any Error) -> Void
        ) {
            self.access = access
            self.logger = logger
            self.run = run
            self.fail = fail
        }
    }

    /// Resumes a caller exactly once, however many paths try to answer it.
    private final class Answer<Value: Sendable>: Sendable {
        private let continuation: NIOLockedValueBox<CheckedContinuation<Value, any Error>?>

        init(_ continuation: CheckedContinuation<Value, any Error>) {
            self.continuation = NIOLockedValueBox(continuation)
        }

        func give(_ result: Swift.Result<Value, any Error>) {
            let taken = continuation.withLockedValue { stored in
                defer { stored = nil }
                return stored
            }
            taken?.resume(with: result)
        }
    }
}

extension MailboxAccess {
    /// The same server and login: a kept session of one can serve the other.
    func sameMailbox(as other: MailboxAccess) -> Bool {
        settings == other.settings && username == other.username && password == other.password
    }
}
