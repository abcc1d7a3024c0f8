import Foundation
import Logging

/// An account of a watch of several that cannot be watched now: printed as an `account_error` event
/// line (never stored: it is about pec, not about a message) and on stderr.
public struct AccountFailure: Encodable, Sendable {
    public let event = "account_error"
    public var account: String
    public var at: Date
    public var error: PECError
    /// When it is tried again; nil (left out of the record) while it waits for `pec auth login`.
    public var retryIn: Double?
    public var waitingForLogin: Bool

    enum CodingKeys: String, CodingKey {
        case event, account, at, error
        case retryIn = "retry_in"
        case waitingForLogin = "waiting_for_login"
    }

    /// The text form of `watch`.
    public var textLine: String {
        let what =
            waitingForLogin ? "waiting for `pec auth login --account \(account)`" : "retry in \(Int(retryIn ?? 0)) s"
        return "\(ISO8601DateFormatter().string(from: at)) account_error \(TextFormatter.oneLine(account)): "
            + "\(TextFormatter.oneLine(error.message)) (\(what))\n"
    }
}

/// `pec watch` of several accounts at once: one IDLE session per account, one ledger. One account
/// failing never stops the others: a fault is retried with backoff (1 s doubling to 5 minutes), a
/// rejected password waits until the account's saved password changes (`pec auth login`), each
/// reported once per step.
public struct AccountsWatch: Sendable {
    let contexts: [PECContext]
    let caFiles: [String]
    var loginPoll: Duration = .seconds(30)

    public init(contexts: [PECContext], caFiles: [String]) {
        self.contexts = contexts
        self.caFiles = caFiles
    }

    public func run(
        _ request: WatchRequest,
        deliver: @escaping @Sendable (TrackingEvent) async throws -> Void,
        report: @escaping @Sendable (AccountFailure) async -> Void
    ) async throws {
        // One trust store for all: the system roots are parsed once, not once per account.
        let trust = try PECTrustStore(caFiles: caFiles)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for context in contexts {
                group.addTask { try await watch(context, request, trust: trust, deliver: deliver, report: report) }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// One account's watch, until cancelled: what ``run(_:deliver:report:)`` runs for each account, and what a pool
    /// worker runs for each account it holds.
    public func watch(
        _ context: PECContext,
        _ request: WatchRequest,
        trust: PECTrustStore,
        deliver: @escaping @Sendable (TrackingEvent) async throws -> Void,
        report: @escaping @Sendable (AccountFailure) async -> Void
    ) async throws {
        let name = context.accountName ?? "default"
        var request = request
        request.onFault = { error, wait in
            await report(
                AccountFailure(
                    account: name,
                    at: Date(),
                    error: error,
                    retryIn: Double(wait.components.seconds),
                    waitingForLogin: false
                )
            )
        }
        var failures = 0
        while !Task.isCancelled {
            do {
                try await context.receipts(trust: trust).watch(request, deliver: deliver)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                try Task.checkCancellation()
                let failure = (error as? PECError) ?? PECError(.internal, "\(error)")
                if failure.kind == .notAuthenticated || failure.kind == .authenticationFailed {
                    let before = try? context.passwordFingerprint()
                    await report(
                        AccountFailure(account: name, at: Date(), error: failure, retryIn: nil, waitingForLogin: true)
                    )
                    // Bounded by cancellation: the watch ends only when the process does.
                    while (try? context.passwordFingerprint()) == before { try await Task.sleep(for: loginPoll) }
                    failures = 0
                    continue
                }
                let wait = EventOutbox.backoff(after: failures)
                failures += 1
                await report(
                    AccountFailure(
                        account: name,
                        at: Date(),
                        error: failure,
                        retryIn: Double(wait.components.seconds),
                        waitingForLogin: false
                    )
                )
                try await Task.sleep(for: wait)
            }
        }
    }
}
