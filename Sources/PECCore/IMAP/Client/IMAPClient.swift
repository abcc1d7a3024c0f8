import Logging

/// One IMAP session on a ``MailByteStream``: reads the greeting, sends tagged commands (waiting for
/// continuations where a synchronizing literal needs one) and hands every untagged response and
/// FETCH event to the caller while it waits for the tagged completion.
///
/// It lives inside ``IMAPClient/withSession(_:logger:_:)`` and is used from one task at a time.
/// Every error it throws is a ``PECError``.
final class IMAPClient {
    let stream: any MailByteStream
    let logger: Logger
    private var parser = IMAP.ResponseParser()
    var nextTag = 1
    var capabilities: Set<IMAP.Capability> = []
    /// The server greeted with PREAUTH (over TLS): the session is already logged in.
    var preauthenticated = false
    /// The greeting's text (nil after STARTTLS, whose dialog read it in cleartext), for `pec doctor`.
    private(set) var greeting: String?
    /// The mailbox selected last, so that repeated selects of the same one are free.
    var selected: SelectedMailbox?

    init(stream: any MailByteStream, logger: Logger) {
        self.stream = stream
        self.logger = logger
    }

    var settings: ConnectionSettings { stream.settings }

    /// Connects, reads the greeting (and upgrades with STARTTLS when the endpoint asks for it),
    /// runs `body`, then logs out. Connection problems are ``PECError``s with `retryable` set
    /// when a retry may help.
    static func withConnection<Result>(
        _ settings: ConnectionSettings,
        logger: Logger,
        _ body: (IMAPClient) async throws -> Result
    ) async throws -> Result {
        let dialog: (any StartTLSDialog)? = settings.endpoint.security == .startTLS ? IMAPStartTLSDialog() : nil
        return try await settings.connector.withStream(settings, startTLS: dialog, logger: logger) { stream in
            let client = IMAPClient(stream: stream, logger: logger)
            if dialog == nil {
                try await client.readGreeting()
            }  // else the greeting was read in cleartext by the dialog, and forgotten
            if client.capabilities.isEmpty {
                try await client.refreshCapabilities()
            }
            let result = try await body(client)
            await client.logoutQuietly()
            return result
        }
    }

    // MARK: - Greeting and TLS

    // greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF
    private func readGreeting() async throws {
        let started = ContinuousClock.now
        var deadline = ResponseDeadline(settings.timeout)
        let response = try await nextResponse(within: &deadline)
        guard case .untagged(.condition(let condition, let text)) = response else {
            throw malformed("the server did not greet as an IMAP server does")
        }
        switch condition {
        case .ok, .preauth:
            if case .capability(let list) = text.code { capabilities = Set(list) }
            greeting = text.text
            preauthenticated = condition == .preauth
            logger.debug(
                "greeting from \(settings.address) after \(NetworkFailure.short(ContinuousClock.now - started))"
            )
        case .bye:
            throw PECError(
                .server,
                "the server at \(settings.address) refused the connection: \(text.text)",
                retryable: true
            )
        default:
            throw malformed("unexpected greeting \(condition)")
        }
    }

    func refreshCapabilities() async throws {
        var found: [IMAP.Capability] = []
        try await run(.capability) { response in
            if case .untagged(.capability(let list)) = response { found = list }
        }
        capabilities = Set(found)
    }

    private func logoutQuietly() async {
        do {
            try await run(.logout, readTimeout: .seconds(3))
        } catch {
            logger.debug("logout: \(error)")
        }
    }

    // MARK: - Running commands

    /// Sends `command` and waits for its completion. Untagged responses and FETCH events that
    /// arrive meanwhile go to `onResponse`. A NO or BAD completion is thrown as a ``PECError``
    /// (see ``IMAPCommandFailure``); the completion text is returned on OK.
    ///
    /// The whole answer (untagged responses, literals and completion, or the next continuation
    /// request) must arrive by one ``ResponseDeadline`` of `readTimeout` (the settings' timeout
    /// when nil), however the server cuts it.
    @discardableResult
    func run(
        _ command: IMAP.Command,
        readTimeout: Duration? = nil,
        onResponse: (IMAP.Response) throws -> Void = { _ in }
    ) async throws -> IMAP.ResponseText {
        let tag = "P\(nextTag)"
        nextTag += 1
        let encoded: IMAP.EncodedCommand
        do {
            encoded = try IMAP.CommandEncoder(capabilities: capabilities).encode(command, tag: tag)
        } catch {
            throw PECError(.invalidInput, "cannot send this to the IMAP server: \(error)")
        }
        let started = ContinuousClock.now
        var parts = encoded.parts[...]
        if let first = parts.popFirst() { try await stream.write(first) }
        var deadline = ResponseDeadline(readTimeout ?? settings.timeout)
        while true {
            let response = try await nextResponse(within: &deadline)
            switch response {
            case .continuation:
                guard let part = parts.popFirst() else {
                    throw malformed("the server asked to continue a command that was complete")
                }
                try await stream.write(part)
                deadline = ResponseDeadline(readTimeout ?? settings.timeout)
            case .tagged(let tagged) where tagged.tag == tag:
                let elapsed = ContinuousClock.now - started
                logger.debug("\(encoded.redactedDescription) → \(tagged.status) in \(NetworkFailure.short(elapsed))")
                guard tagged.status == .ok else {
                    if tagged.status == .no, tagged.text.code == nil, command.namesMailbox {
                        throw MailboxRefused(
                            error: IMAPCommandFailure.error(
                                command: command,
                                status: tagged.status,
                                text: tagged.text,
                                settings: settings
                            )
                        )
                    }
                    throw IMAPCommandFailure.error(
                        command: command,
                        status: tagged.status,
                        text: tagged.text,
                        settings: settings
                    )
                }
                return tagged.text
            case .tagged(let other):
                throw malformed("completion for unknown command tag \(other.tag)")
            case .untagged(.condition(.bye, let text)) where command.isAuthentication:
                // Only a tagged NO refuses the credentials; a BYE here is a server going away
                // (Dovecot says "Server shutting down" while it restarts): try again later.
                throw PECError(
                    .network,
                    "the server at \(settings.address) ended the session at login: \(text.text)",
                    retryable: true
                )
            case .untagged(.condition(.bye, let text)):
                if case .logout = command {
                    try onResponse(response)
                } else {
                    throw PECError(
                        .network,
                        "the server at \(settings.address) ended the session: \(text.text)",
                        retryable: true
                    )
                }
            case .untagged(.condition(.ok, let text)) where text.code == .alert,
                .untagged(.condition(.no, let text)) where text.code == .alert:
                logger.warning("server alert: \(text.text)")
                try onResponse(response)
            default:
                try onResponse(response)
            }
        }
    }

    /// The next complete response (or FETCH event), reading from the network as needed, by
    /// `deadline` (which the bytes read extend).
    func nextResponse(within deadline: inout ResponseDeadline) async throws -> IMAP.Response {
        while true {
            do {
                if let response = try parser.next() { return response }
            } catch {
                throw malformed("unreadable response from the IMAP server (\(error))")
            }
            let buffer = try await stream.read(before: &deadline)
            parser.append(buffer.readableBytesView)
        }
    }

    func malformed(_ message: String) -> PECError {
        PECError(.malformed, "\(message) (\(settings.address))", hint: "is this an IMAP server? check host and port")
    }
}

/// A bare NO to SELECT, EXAMINE or STATUS: the mailbox may not exist (Dovecot says so only in
/// prose). ``IMAPClient/reportingMissing(_:_:)`` finds out and throws the right ``PECError``.
struct MailboxRefused: Error {
    var error: PECError
}

extension IMAP.Command {
    var namesMailbox: Bool {
        switch self {
        case .select, .examine, .status: true
        default: false
        }
    }

    var isAuthentication: Bool {
        switch self {
        case .login, .authenticatePlain: true
        default: false
        }
    }
}

/// IMAP's STARTTLS (RFC 9051 §6.2.1): greeting, `STARTTLS`, tagged OK, then TLS. A PREAUTH
/// greeting in cleartext is refused: it would skip both TLS and login.
struct IMAPStartTLSDialog: StartTLSDialog {
    static let tag = "S0"

    func step(after line: [UInt8], number: Int) -> StartTLSStep {
        let text = String(decoding: line, as: UTF8.self)
        let upper = text.uppercased()
        if number == 0 {
            if upper.hasPrefix("* OK") { return .send(Array("\(Self.tag) STARTTLS\r\n".utf8)) }
            if upper.hasPrefix("* PREAUTH") {
                return .fail(
                    PECError(.tls, "the server logged us in before TLS (PREAUTH in cleartext): refusing to continue")
                )
            }
            if upper.hasPrefix("* BYE") {
                return .fail(
                    PECError(.server, "the server refused the connection: \(text.dropFirst(6))", retryable: true)
                )
            }
            return .fail(PECError(.malformed, "the server did not greet as an IMAP server does"))
        }
        if upper.hasPrefix("\(Self.tag) OK") { return .upgrade }
        if upper.hasPrefix("\(Self.tag) ") {
            return .fail(
                PECError(
                    .tls,
                    "the server refused STARTTLS: \(text.dropFirst(Self.tag.count + 1))",
                    remedy: .useImplicitTLS(.imap)
                )
            )
        }
        return .wait
    }
}
