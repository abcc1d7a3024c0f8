import Foundation
import Logging

/// `send`: builds the message once, records it in the ledger before contacting anyone, submits it
/// over SMTP with retries only while nothing can have been sent, and records how it ended.
///
/// A PEC has the legal weight of a registered letter: the same content is never sent twice by
/// accident (the ledger refuses a Message-ID it has seen go out), a message never goes to only
/// some of its recipients, and a send whose outcome is unknown is reported as such, not retried.
public struct SendService: Sendable {
    public let account: Account
    let password: String
    let passwordIsSaved: Bool
    var settings: ConnectionSettings
    var imapSettings: ConnectionSettings
    let ledger: SendLedger
    let retry: RetryPolicy
    let logger: Logger
    /// What sends are allowed beyond valid ones (`pec-mcp` restricts them; `pec` does not).
    public var policy: SendPolicy = .unrestricted
    /// How long the same content is refused again without a deliberate resend.
    public var duplicateWindow: DuplicateWindow = .default
    /// Where accepted logins with the saved password are noted (see ``LoginHistory``).
    public var loginHistory: LoginHistory?
    /// Told how the message's bytes go out (`pec send` on a terminal).
    public var progress: ProgressHandler?

    public init(
        account: Account,
        password: String,
        passwordIsSaved: Bool = true,
        ledger: SendLedger,
        timeout: Double? = nil,
        retry: RetryPolicy = RetryPolicy(),
        logger: Logger = Logger(label: "pec.send")
    ) {
        self.account = account
        self.password = password
        self.passwordIsSaved = passwordIsSaved
        self.settings = account.smtpSettings(timeout: timeout)
        // Only for the INBOX bookmark before a send: never worth a long wait.
        self.imapSettings = account.connectionSettings(timeout: min(timeout ?? 10, 10))
        self.ledger = ledger
        self.retry = retry
        self.logger = logger
    }

    // MARK: - Preparing

    /// Checks everything that can be checked without the network (addresses, files, size, the
    /// ledger) and builds the message. Nothing is contacted and nothing is recorded.
    public func prepare(_ request: SendRequest, now: Date = Date()) throws -> PreparedSend {
        let request = try policy.apply(to: request)
        let ref = try SendRequest.checkedRef(request.ref)
        let message = request.draft
        guard message.from.lowercased() == account.address.lowercased() else {
            throw PECError(
                .invalidInput,
                "the message is from \(message.from), not from the account \(account.name) (\(account.address))"
            )
        }
        var composed = try MessageComposer.compose(message, date: now)
        var resendOf: LedgerSend?
        if let earlier = try ledger.send(messageID: composed.messageID), earlier.status.mayHaveBeenSubmitted {
            guard request.resend else { throw Self.duplicate(earlier) }
            // A new message on purpose: its own id (and so its own receipts), the same content.
            composed = try MessageComposer.compose(
                message,
                date: now,
                resend: "\(earlier.messageID) \(now.timeIntervalSince1970)"
            )
            resendOf = earlier
        } else if !duplicateWindow.isOff,
            let earlier = try ledger.sendWithSameContent(
                fingerprint: composed.contentFingerprint,
                within: duplicateWindow.seconds
            )
        {
            guard request.resend else { throw Self.duplicate(earlier, sameContent: true) }
            resendOf = earlier
        }
        if let limit = policy.rateLimit,
            let refusal = try ledger.rateLimitRefusal(recipients: message.to + message.cc, limit: limit)
        {
            throw refusal.pecError
        }
        if composed.size > Self.maximumSize {
            throw PECError(
                .invalidInput,
                "the message would be \(composed.size) bytes: PEC providers accept at most \(Self.maximumSize / 1_000_000) MB",
                hint: "send fewer or smaller attachments"
            )
        }
        try SendPreflight(account: account).check(composed, ledger: ledger, now: now)
        var prepared = PreparedSend(account: account.name, message: message, composed: composed, resendOf: resendOf)
        prepared.ref = ref
        return prepared
    }

    /// Providers' limit on a whole PEC message (pec-standard.md: 100 MB at most, often 30–50 MB;
    /// the server's own SIZE is checked before sending).
    static let maximumSize = 100_000_000

    /// What `--dry-run` reports: the message as it would go, nobody contacted.
    public func dryRun(_ prepared: PreparedSend) -> SendResult {
        Self.result(prepared, status: .dryRun, outcomes: [:])
    }

    // MARK: - Sending

    /// Records the send, submits it and records the outcome. SMTP outcomes (refused, failed,
    /// uncertain) come back as the result's `status` and `error`; errors before anything was
    /// attempted (the ledger) are thrown.
    public func send(_ prepared: PreparedSend) async throws -> SendResult {
        let composed = prepared.composed
        do {
            _ = try ledger.beginAttempt(
                NewSend(
                    messageID: composed.messageID,
                    account: account.name,
                    from: composed.from,
                    to: prepared.message.to,
                    cc: prepared.message.cc,
                    subject: prepared.message.subject,
                    preparedAt: composed.date,
                    size: composed.size,
                    attachments: prepared.attachments,
                    rateLimit: policy.rateLimit,
                    contentFingerprint: composed.contentFingerprint,
                    // A deliberate resend is the same content on purpose.
                    duplicateWindow: prepared.resendOf != nil || duplicateWindow.isOff ? nil : duplicateWindow.seconds,
                    ref: prepared.ref
                )
            )
        } catch let duplicate as LedgerDuplicate {
            throw Self.duplicate(duplicate.existing, sameContent: duplicate.sameContent)
        } catch let refusal as RecipientRateLimited {
            throw refusal.pecError
        }
        await bookmarkInbox(messageID: composed.messageID)
        let copy = SentCopy(store: keptStore())
        let outcome = await submit(composed, keeping: copy)
        recordSentCopy(copy, messageID: composed.messageID)
        var result = Self.result(prepared, status: outcome.status, outcomes: outcome.recipients)
        result.smtpReply = outcome.reply
        result.error = outcome.error
        do {
            try ledger.recordOutcome(
                messageID: composed.messageID,
                status: outcome.ledgerStatus,
                smtpReply: outcome.reply,
                error: outcome.error?.message,
                recipients: outcome.recipients.values.map {
                    RecipientOutcome(address: $0.address, accepted: $0.accepted, code: $0.code, text: $0.text)
                }
            )
        } catch {
            // The send itself is what matters: report it, and say the ledger missed it.
            logger.error("the outcome of \(composed.messageID) could not be recorded in the ledger: \(error)")
            if result.error == nil {
                result.error = PECError(
                    .io,
                    "the message was sent but the ledger could not record it: \(error)",
                    hint: "a later identical send will not be recognised as a duplicate"
                )
            }
        }
        return result
    }

    /// The exact bytes handed to SMTP (before dot-stuffing), kept in the evidence store while they
    /// stream out: the message a dossier shows was sent, and the SHA-256 the REM-DigestValue of its
    /// receipts is checked against. Best effort: a store that cannot be written never stops a send.
    final class SentCopy {
        private let store: EvidenceStore?
        private var writer: EvidenceStore.Writer?
        private(set) var stored: EvidenceStore.StoredFile?
        private(set) var failure: (any Error)?

        init(store: EvidenceStore?) { self.store = store }

        /// Starts a copy for this attempt, unless an earlier attempt already produced one (the bytes are the same).
        func begin() {
            guard stored == nil, failure == nil, let store else { return }
            writer?.abandon()
            do { writer = try store.writer() } catch { failure = error }
        }

        func write(_ bytes: ArraySlice<UInt8>) {
            guard let current = writer else { return }
            do { try current.write(bytes) } catch {
                current.abandon()
                writer = nil
                failure = error
            }
        }

        /// Every byte was handed to SMTP.
        func finish() {
            guard let current = writer else { return }
            writer = nil
            do { stored = try current.finish() } catch { failure = error }
        }

        /// The attempt stopped before the end of the message: what was written is not the message.
        func abandon() {
            writer?.abandon()
            writer = nil
        }

        func flush() throws { try store?.flush() }
    }

    private func keptStore() -> EvidenceStore? {
        do {
            return try EvidenceStore(ledger: ledger)
        } catch {
            logger.info("the message as sent is not kept (no dossier, no REM digest check): \(error)")
            return nil
        }
    }

    private func recordSentCopy(_ copy: SentCopy, messageID: String) {
        copy.abandon()
        do {
            if let failure = copy.failure { throw failure }
            guard let stored = copy.stored else { return }
            try copy.flush()
            try ledger.setMessageSHA256(stored.sha256, forMessageID: messageID)
        } catch {
            logger.info("the message as sent is not kept (no dossier, no REM digest check): \(error)")
        }
    }

    /// Notes where the INBOX stands (UIDVALIDITY, UIDNEXT) before the message goes out: its
    /// receipts will all come after, so `trace` need not search older mail. Best effort: a send
    /// never fails or waits long because of it.
    private func bookmarkInbox(messageID: String) async {
        var access = MailboxAccess(
            settings: imapSettings,
            username: account.address,
            password: password,
            retry: RetryPolicy(maxRetries: 0),
            passwordIsSaved: passwordIsSaved
        )
        access.loginHistory = loginHistory
        do {
            let status = try await access.withSession(logger: logger) { client in
                try await client.status(of: IMAP.MailboxName("INBOX"), [.uidValidity, .uidNext])
            }
            guard let validity = status.uidValidity?.rawValue, let next = status.uidNext?.rawValue else { return }
            try ledger.setInboxBookmark(InboxBookmark(uidValidity: validity, uidNext: next), forMessageID: messageID)
        } catch {
            logger.info("the INBOX position before sending is not known (trace will search more mail): \(error)")
        }
    }

    private struct Outcome {
        var status: SendResult.Status
        var ledgerStatus: LedgerSendStatus
        var recipients: [String: SMTPRecipientResult] = [:]
        var reply: String?
        var error: PECError?
    }

    /// The SMTP exchange with retries for what cannot have sent anything: failures before the end
    /// of the message (connect, TLS, 4xx, a temporary recipient refusal).
    private func submit(_ composed: ComposedMessage, keeping copy: SentCopy) async -> Outcome {
        let envelope = SMTPEnvelope(from: composed.from, recipients: composed.recipients, size: composed.size)
        var attempt = 0
        while true {
            var retryable = false
            var outcome: Outcome
            do {
                let receipt = try await SMTPClient.withConnection(settings, logger: logger) { client in
                    try await client.authenticate(user: account.address, password: password)
                    if passwordIsSaved { loginHistory?.recordAccepted(account.address) }
                    return try await client.send(envelope) { writer in
                        copy.begin()
                        defer { copy.abandon() }
                        var sent = 0
                        try await composed.write { chunk in
                            copy.write(chunk)
                            try await writer.write(Array(chunk))
                            sent += chunk.count
                            progress?(WorkProgress(.sending, done: sent, total: composed.size, unit: .bytes))
                        }
                        copy.finish()
                    }
                }
                let reply = "\(receipt.code)\(receipt.enhancedCode.map { " \($0)" } ?? "") \(receipt.text)"
                return Outcome(
                    status: .sent,
                    ledgerStatus: .sent,
                    recipients: Dictionary(receipt.recipients.map { ($0.address, $0) }) { first, _ in first },
                    reply: reply
                )
            } catch let refused as SMTPRecipientsRefused {
                retryable = refused.retryable
                outcome = Outcome(
                    status: .refused,
                    ledgerStatus: .refused,
                    recipients: Dictionary(refused.results.map { ($0.address, $0) }) { first, _ in first },
                    error: refused.pecError
                )
            } catch let uncertain as SMTPDeliveryUncertain {
                var error = uncertain.pecError
                error.hint = "do not send it again blindly"
                error.remedies = [.trace(messageID: composed.messageID)]
                return Outcome(status: .uncertain, ledgerStatus: .uncertain, error: error)
            } catch let error as PECError {
                retryable = error.retryable
                outcome = Outcome(status: .failed, ledgerStatus: .failed, error: authenticationAware(error))
            } catch {
                outcome = Outcome(
                    status: .failed,
                    ledgerStatus: .failed,
                    error: PECError(.internal, "sending failed unexpectedly: \(error)")
                )
            }
            guard retryable, attempt < retry.maxRetries else { return outcome }
            let delay = retry.delay(beforeRetry: attempt)
            attempt += 1
            logger.info(
                "sending \(composed.messageID) failed, retry \(attempt) of \(retry.maxRetries) in \(NetworkFailure.short(delay)): \(outcome.error?.message ?? "")"
            )
            do {
                try await Task.sleep(for: delay)
            } catch {
                return outcome
            }
        }
    }

    /// A saved password the SMTP server rejects means: log in again (exit 2).
    private func authenticationAware(_ error: PECError) -> PECError {
        guard passwordIsSaved, error.kind == .authenticationFailed || error.kind == .notAuthenticated else {
            return error
        }
        return LoginHistory.rejection(
            of: error,
            address: account.address,
            server: .smtp,
            lastAccepted: loginHistory?.lastAccepted(account.address)
        )
    }

    static func duplicate(_ earlier: LedgerSend, sameContent: Bool = false) -> PECError {
        var error = LedgerDuplicate(existing: earlier, sameContent: sameContent).pecError
        // Refusing a duplicate is an error (exit 1), not the "needs --yes" refusal (exit 3).
        error.kind = .duplicate
        return error
    }

    static func result(
        _ prepared: PreparedSend,
        status: SendResult.Status,
        outcomes: [String: SMTPRecipientResult]
    ) -> SendResult {
        let message = prepared.message
        let roles = message.to.map { ($0, LedgerRecipient.Role.to) } + message.cc.map { ($0, .cc) }
        var result = SendResult(
            status: status,
            messageID: prepared.composed.messageID,
            from: prepared.composed.from,
            subject: message.subject,
            date: prepared.composed.date,
            size: prepared.composed.size,
            bodySize: message.body.utf8.count,
            recipients: roles.map { address, role in
                let outcome = outcomes[address]
                return SendResult.Recipient(
                    address: address,
                    role: role,
                    status: outcome.map { $0.accepted ? .accepted : .refused } ?? .pending,
                    smtpCode: outcome?.code,
                    smtpText: outcome?.text
                )
            },
            attachments: prepared.attachments,
            resendOf: prepared.resendOf?.messageID
        )
        result.ref = prepared.ref
        return result
    }
}
