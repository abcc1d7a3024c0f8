import Logging

/// One SMTP submission session on a ``MailByteStream``: greeting, EHLO, AUTH, then any number of
/// messages, each a MAIL FROM / RCPT TO / DATA transaction.
///
/// It lives inside ``SMTPClient/withConnection(_:clientName:logger:_:)`` and is used from one task
/// at a time. Every error it throws is a ``PECError``, except the two outcomes of a send that a
/// caller must tell apart: ``SMTPRecipientsRefused`` (nothing was sent) and
/// ``SMTPDeliveryUncertain`` (the message may have been sent: never retry it).
final class SMTPClient {
    /// How long to wait for the answer to the end of the data, at least: the server may scan and
    /// sign the message first (RFC 5321 §4.5.3.2.6 suggests 10 minutes), and giving up early turns
    /// a sent message into an uncertain one.
    static let minimumFinalReplyTimeout: Duration = .seconds(120)
    static let quitTimeout: Duration = .seconds(3)

    let stream: any MailByteStream
    let logger: Logger
    let clientName: String
    private var parser = SMTPReplyParser()
    /// From the last EHLO; empty after HELO.
    private(set) var capabilities = SMTPCapabilities()
    /// The greeting and the EHLO reply, for `pec doctor` (no greeting after STARTTLS: the dialog read it).
    private(set) var greeting: SMTPReply?
    private(set) var helloReply: SMTPReply?
    /// Set once the session cannot go on (a message abandoned in the middle, an unreadable reply):
    /// every later command throws it instead of writing anything.
    private var unusable: PECError?
    /// How long to wait for the answer to the end of the data.
    var finalReplyTimeout: Duration

    init(stream: any MailByteStream, clientName: String, logger: Logger) {
        self.stream = stream
        self.clientName = clientName
        self.logger = logger
        self.finalReplyTimeout = max(stream.settings.timeout, Self.minimumFinalReplyTimeout)
    }

    var settings: ConnectionSettings { stream.settings }

    /// The largest message the server accepts (its SIZE), if it names one.
    var maximumSize: Int? { capabilities.maximumSize }

    /// Connects (implicit TLS, or STARTTLS when the endpoint asks for it), reads the greeting, says
    /// EHLO (HELO only if EHLO is not understood), runs `body`, then says QUIT.
    static func withConnection<Result>(
        _ settings: ConnectionSettings,
        clientName: String = "localhost",
        logger: Logger,
        _ body: (SMTPClient) async throws -> Result
    ) async throws -> Result {
        do {
            try SMTPCommandEncoder.checkClientName(clientName)
        } catch {
            throw PECError(.invalidInput, "\(error)")
        }
        let dialog: SMTPStartTLSDialog? =
            settings.endpoint.security == .startTLS
            ? SMTPStartTLSDialog(clientName: clientName, address: settings.address) : nil
        return try await settings.connector.withStream(settings, startTLS: dialog, logger: logger) { stream in
            let client = SMTPClient(stream: stream, clientName: clientName, logger: logger)
            if dialog == nil {
                try await client.readGreeting()
            }  // else the dialog read it in cleartext; what came before TLS is forgotten
            try await client.hello()
            let result = try await body(client)
            await client.quitQuietly()
            return result
        }
    }

    // MARK: - Session

    // Greeting = ( "220 " (Domain / address-literal) [ SP textstring ] CRLF ) /
    //            ( "220-" (Domain / address-literal) [ SP textstring ] CRLF
    //              *( "220-" [ textstring ] CRLF )
    //              "220" [ SP textstring ] CRLF )
    private func readGreeting() async throws {
        let started = ContinuousClock.now
        let reply = try await nextReply()
        if let failure = Self.greetingFailure(reply, address: settings.address) { throw failure }
        greeting = reply
        logger.debug("greeting from \(settings.address) after \(NetworkFailure.short(ContinuousClock.now - started))")
    }

    /// Nil for a 220 greeting; the error to throw otherwise (421: busy, try later; 554: refused).
    static func greetingFailure(_ reply: SMTPReply, address: String) -> PECError? {
        if reply.code == 220 { return nil }
        if reply.isTransientFailure || reply.isPermanentFailure {
            return PECError(
                .server,
                "the SMTP server at \(address) refused the connection: \(reply)",
                retryable: reply.isTransientFailure
            )
        }
        return PECError(
            .malformed,
            "the server at \(address) did not greet as an SMTP server does (\(reply))",
            hint: "is this an SMTP server? check host and port"
        )
    }

    /// EHLO, and what the server offers; HELO (offering nothing) if EHLO is not understood.
    func hello() async throws {
        capabilities = SMTPCapabilities()
        helloReply = nil
        let reply = try await exchange(.ehlo(clientName: clientName))
        if reply.code == 250 {
            capabilities = SMTPCapabilities(ehloReply: reply)
            helloReply = reply
            return
        }
        guard reply.code == 500 || reply.code == 502 else { throw failure(of: .ehlo(clientName: clientName), reply) }
        let helo = try await exchange(.helo(clientName: clientName))
        guard helo.code == 250 else { throw failure(of: .helo(clientName: clientName), helo) }
    }

    /// Logs in: AUTH PLAIN when offered, else AUTH LOGIN (`mechanisms` narrows the choice, for
    /// tests). Rejected credentials (535) are `notAuthenticated`; a temporary refusal (454, 4xx)
    /// is retryable.
    func authenticate(user: String, password: String, mechanisms: Set<String> = ["PLAIN", "LOGIN"]) async throws {
        let usable = capabilities.authMechanisms.intersection(mechanisms)
        let reply: SMTPReply
        if usable.contains("PLAIN") {
            reply = try await exchange(.authPlain(user: user, password: password))
        } else if usable.contains("LOGIN") {
            // C: AUTH LOGIN / S: 334 VXNlcm5hbWU6 / C: user / S: 334 UGFzc3dvcmQ6 / C: password / S: 235
            var step = try await exchange(.authLogin)
            if step.code == 334 { step = try await exchange(.authLoginResponse(user)) }
            if step.code == 334 { step = try await exchange(.authLoginResponse(password)) }
            if step.code == 334 {
                throw markUnusable(
                    PECError(
                        .malformed,
                        "the SMTP server at \(settings.address) asked for more than a user and password"
                    )
                )
            }
            reply = step
        } else {
            throw PECError(
                .server,
                "the SMTP server at \(settings.address) offers no password login (AUTH PLAIN or LOGIN)",
                hint: "check the SMTP host and port (PEC submission is usually port 465)"
            )
        }
        if reply.isPositive { return }
        if reply.code == 535 {
            throw PECError(
                .notAuthenticated,
                "the SMTP server at \(settings.address) rejected the user name or password: \(reply)",
                hint: "run `pec auth login` again"
            )
        }
        throw failure(of: .authLogin, reply)
    }

    private func quitQuietly() async {
        guard unusable == nil else { return }
        do {
            _ = try await exchange(.quit, readTimeout: Self.quitTimeout)
        } catch {
            logger.debug("QUIT: \(error)")
        }
    }

    // MARK: - Sending

    /// Submits one message: MAIL FROM, RCPT TO for each recipient, DATA, the content `content`
    /// writes, the end of data. Returns once the server has taken the message (250).
    ///
    /// - Nothing is sent when the envelope's size exceeds the server's SIZE, or an address cannot
    ///   be sent (`invalidInput`).
    /// - If any recipient is refused, the transaction is reset and ``SMTPRecipientsRefused`` is
    ///   thrown: a PEC goes to all its recipients or to none.
    /// - If `content` throws, the end of data is never sent: the connection is closed (the server
    ///   then discards the message) and the error rethrown. The session is over.
    /// - If the connection breaks after the end of data was sent and before the answer arrives,
    ///   ``SMTPDeliveryUncertain`` is thrown: never retry it. Before that, network failures are
    ///   ordinary (mostly retryable) ``PECError``s.
    func send(
        _ envelope: SMTPEnvelope,
        content: (SMTPContentWriter) async throws -> Void
    ) async throws -> SMTPSendReceipt {
        try checkUsable()
        if let limit = capabilities.maximumSize, envelope.size > limit {
            throw PECError(
                .invalidInput,
                "the message is \(envelope.size) bytes, more than the \(limit) bytes the SMTP server at "
                    + "\(settings.address) accepts",
                hint: "send smaller or fewer attachments"
            )
        }
        guard !envelope.recipients.isEmpty else {
            throw PECError(.invalidInput, "a message needs at least one recipient")
        }
        let addresses = [envelope.from] + envelope.recipients
        if !envelope.smtpUTF8, let address = addresses.first(where: { $0.utf8.contains { $0 >= 0x80 } }) {
            throw PECError(
                .invalidInput,
                "the address \"\(SMTPCommandEncoder.visible(address))\" is not ASCII: it needs SMTPUTF8"
            )
        }
        let mailFrom = SMTPCommand.mailFrom(
            envelope.from,
            SMTPMailParameters(size: envelope.size, eightBitMIME: envelope.eightBit, smtpUTF8: envelope.smtpUTF8)
        )
        // Every command is checked before the first one is sent.
        _ = try encode(mailFrom)
        for recipient in envelope.recipients { _ = try encode(.rcptTo(recipient)) }

        let mail = try await exchange(mailFrom)
        guard mail.isPositive else { throw failure(of: mailFrom, mail) }
        var results: [SMTPRecipientResult] = []
        for recipient in envelope.recipients {
            let reply = try await exchange(.rcptTo(recipient))
            results.append(SMTPRecipientResult(address: recipient, reply: reply))
        }
        if results.contains(where: { !$0.accepted }) {
            await resetQuietly()
            throw SMTPRecipientsRefused(results: results)
        }
        let data = try await exchange(.data)
        guard data.code == 354 else {
            await resetQuietly()
            throw failure(of: .data, data)
        }

        let writer = SMTPContentWriter(stream: stream)
        let started = ContinuousClock.now
        do {
            try await content(writer)
            try await writer.flush()
        } catch {
            // Without its terminator the message is incomplete: closing the connection makes the
            // server discard it. Nothing else may be written on this connection.
            writer.abandon()
            markUnusable(PECError(.network, "the SMTP session was ended in the middle of a message"))
            await stream.close()
            logger.debug("message content failed after \(writer.encoder.contentByteCount) bytes: connection closed")
            throw error
        }
        let terminator = writer.end()
        let final: SMTPReply
        do {
            // From the first byte of the terminator on, the server may complete the submission.
            try await stream.write(terminator)
            final = try await nextReply(readTimeout: finalReplyTimeout)
        } catch {
            markUnusable(PECError(.network, "the SMTP session broke while the server was accepting a message"))
            let underlying =
                error as? PECError ?? PECError(.network, "connection error with \(settings.address): \(error)")
            logger.debug("end of data → no answer (\(underlying.message))")
            throw SMTPDeliveryUncertain(underlying: underlying, recipients: envelope.recipients)
        }
        let elapsed = NetworkFailure.short(ContinuousClock.now - started)
        logger.debug("DATA \(writer.encoder.contentByteCount) bytes, end of data → \(final.code) in \(elapsed)")
        guard final.isPositive else {
            throw PECError(
                .server,
                "the SMTP server at \(settings.address) did not accept the message: \(final)",
                retryable: final.isTransientFailure
            )
        }
        return SMTPSendReceipt(
            recipients: results,
            code: final.code,
            enhancedCode: final.enhancedCode?.description,
            text: final.text
        )
    }

    /// RSET after a refused recipient or DATA; a session that cannot reset is not used again.
    private func resetQuietly() async {
        do {
            let reply = try await exchange(.rset, readTimeout: Self.quitTimeout)
            if !reply.isPositive { markUnusable(failure(of: .rset, reply)) }
        } catch {
            markUnusable(error as? PECError ?? PECError(.network, "RSET failed: \(error)"))
        }
    }

    // MARK: - Commands and replies

    /// Sends `command` and reads its reply, whatever the code: callers decide what a code means.
    func exchange(_ command: SMTPCommand, readTimeout: Duration? = nil) async throws -> SMTPReply {
        try checkUsable()
        let encoded = try encode(command)
        let started = ContinuousClock.now
        try await stream.write(encoded.bytes)
        let reply = try await nextReply(readTimeout: readTimeout)
        let elapsed = NetworkFailure.short(ContinuousClock.now - started)
        logger.debug("\(encoded.redactedDescription) → \(reply.code) in \(elapsed)")
        return reply
    }

    private func encode(_ command: SMTPCommand) throws -> SMTPEncodedCommand {
        do {
            return try SMTPCommandEncoder(capabilities: capabilities).encode(command)
        } catch {
            throw PECError(.invalidInput, "cannot send \(command.name) to the SMTP server: \(error)")
        }
    }

    /// The next complete reply, reading from the network as needed. The whole reply must arrive
    /// by one ``ResponseDeadline`` of `readTimeout` (the settings' timeout when nil).
    private func nextReply(readTimeout: Duration? = nil) async throws -> SMTPReply {
        // Bounded by the parser's limits: a reply that never ends fails there, a silent or
        // dripping server on the deadline.
        var deadline = ResponseDeadline(readTimeout ?? settings.timeout)
        while true {
            do {
                if let reply = try parser.next() { return reply }
            } catch {
                throw markUnusable(Self.notSMTP(settings.address, error))
            }
            let buffer = try await stream.read(before: &deadline)
            parser.append(buffer.readableBytesView)
        }
    }

    private func checkUsable() throws {
        if let unusable { throw unusable }
    }

    @discardableResult
    private func markUnusable(_ error: PECError) -> PECError {
        if unusable == nil { unusable = error }
        return error
    }

    static func notSMTP(_ address: String, _ error: any Error) -> PECError {
        PECError(
            .malformed,
            "unreadable reply from the SMTP server at \(address) (\(error))",
            hint: "is this an SMTP server? check host and port"
        )
    }

    /// A 4xx/5xx reply to `command` as a ``PECError``: retryable when temporary (4xx).
    func failure(of command: SMTPCommand, _ reply: SMTPReply) -> PECError {
        let closing = reply.code == 421 ? " (it is closing the connection)" : ""
        return PECError(
            .server,
            "the SMTP server at \(settings.address) refused \(command.name)\(closing): \(reply)",
            retryable: reply.isTransientFailure
        )
    }
}
