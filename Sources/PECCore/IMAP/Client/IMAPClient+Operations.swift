import NIOConcurrencyHelpers

/// The mailbox a session has open, with what SELECT/EXAMINE told about it.
struct SelectedMailbox: Sendable, Equatable {
    var name: IMAP.MailboxName
    var readOnly: Bool
    var messageCount: Int
    var uidValidity: IMAP.UIDValidity?
    var uidNext: IMAP.UID?
}

extension IMAPClient {
    // MARK: - Authentication

    /// Logs in with AUTHENTICATE PLAIN when offered (one round trip with SASL-IR), else LOGIN.
    /// A rejected password is a ``PECError/Kind/authenticationFailed`` error.
    func login(username: String, password: String) async throws {
        if preauthenticated {
            logger.debug("the server pre-authenticated the session; no login needed")
            return
        }
        let started = ContinuousClock.now
        let usePlain = capabilities.contains(.auth("PLAIN"))
        if !usePlain, capabilities.contains(.loginDisabled) {
            throw PECError(
                .authenticationFailed,
                "the server at \(settings.address) offers neither LOGIN nor AUTHENTICATE PLAIN",
                hint: "use a TLS connection (port 993) so the server accepts a password"
            )
        }
        let text = try await run(
            usePlain
                ? .authenticatePlain(username: username, password: password)
                : .login(username: username, password: password)
        )
        if case .capability(let list) = text.code {
            capabilities = Set(list)
        } else {
            try await refreshCapabilities()
        }
        logger.debug("logged in as \(username) in \(NetworkFailure.short(ContinuousClock.now - started))")
    }

    // MARK: - Mailboxes

    /// Every mailbox, with special-use attributes (\Sent, \Trash …) when the server has them.
    func listMailboxes() async throws -> [IMAP.ListEntry] {
        var entries: [IMAP.ListEntry] = []
        let specialUse = capabilities.contains(.specialUse) && capabilities.contains(.listExtended)
        try await run(.list(reference: IMAP.MailboxName(wire: []), pattern: "*", returnSpecialUse: specialUse)) {
            if case .untagged(.list(let entry)) = $0 { entries.append(entry) }
        }
        return entries
    }

    func status(
        of mailbox: IMAP.MailboxName,
        _ attributes: [IMAP.StatusAttribute]
    ) async throws -> IMAP.MailboxStatus {
        var found: IMAP.MailboxStatus?
        try await reportingMissing(mailbox) {
            try await run(.status(mailbox, attributes)) {
                if case .untagged(.status(_, let status)) = $0 { found = status }
            }
        }
        guard let found else { throw malformed("STATUS of \"\(mailbox.displayName)\" returned nothing") }
        return found
    }

    /// Opens `mailbox`: EXAMINE when `readOnly` (nothing can change, not even \Recent), SELECT
    /// otherwise. Opening the mailbox that is already open in a suitable mode costs nothing.
    @discardableResult
    func open(_ mailbox: IMAP.MailboxName, readOnly: Bool) async throws -> SelectedMailbox {
        if let selected, selected.name == mailbox, selected.readOnly == readOnly || !selected.readOnly && readOnly {
            return selected
        }
        self.selected = nil
        var opened = SelectedMailbox(name: mailbox, readOnly: readOnly, messageCount: 0)
        let text = try await reportingMissing(mailbox) {
            try await run(readOnly ? .examine(mailbox) : .select(mailbox)) { response in
                switch response {
                case .untagged(.exists(let count)): opened.messageCount = count
                case .untagged(.condition(.ok, let text)):
                    switch text.code {
                    case .uidValidity(let value)?: opened.uidValidity = value
                    case .uidNext(let value)?: opened.uidNext = value
                    default: break
                    }
                default: break
                }
            }
        }
        if text.code == .readOnly { opened.readOnly = true }
        selected = opened
        return opened
    }

    /// Runs `operation` on `mailbox`; when the server refuses it without saying why (Dovecot
    /// answers a missing mailbox with a bare NO, no `[NONEXISTENT]`), asks LIST whether the
    /// mailbox exists, so the user hears "no such folder" rather than a server error.
    @discardableResult
    func reportingMissing<Result>(
        _ mailbox: IMAP.MailboxName,
        _ operation: () async throws -> Result
    ) async throws -> Result {
        do {
            return try await operation()
        } catch let refused as MailboxRefused {
            var exists = false
            do {
                let reference = IMAP.MailboxName(wire: [])
                try await run(.list(reference: reference, pattern: mailbox.displayName, returnSpecialUse: false)) {
                    if case .untagged(.list(let entry)) = $0, entry.name == mailbox { exists = true }
                }
            } catch {
                throw refused.error
            }
            guard exists else {
                throw PECError(
                    .notFound,
                    "there is no folder \"\(mailbox.displayName)\"",
                    hint: "`pec folders` lists the folders"
                )
            }
            throw refused.error
        }
    }

    // MARK: - Messages

    func uidSearch(_ key: IMAP.SearchKey) async throws -> [IMAP.UID] {
        var numbers: [UInt32] = []
        try await run(.uidSearch(key)) {
            if case .untagged(.search(let found, _)) = $0 { numbers.append(contentsOf: found) }
        }
        return numbers.compactMap { $0 == 0 ? nil : IMAP.UID(rawValue: $0) }
    }

    /// The UIDs of `uids` that exist in the open mailbox.
    func existingUIDs(_ uids: [IMAP.UID]) async throws -> Set<IMAP.UID> {
        guard !uids.isEmpty else { return [] }
        return Set(try await uidSearch(.uid(IMAP.UIDSet(uids))))
    }

    /// Fetches `items` of `uids`, holding everything in memory: meant for headers and structure.
    /// A body section over ``ServerSizeLimits/heldSection`` is refused (`malformed`) as soon as it
    /// is announced. Use ``uidFetch(_:_:onEvent:)`` to stream large sections.
    func uidFetch(_ uids: IMAP.UIDSet, _ items: [IMAP.FetchItem]) async throws -> [IMAP.FetchResponse] {
        var messages: [IMAP.UID: IMAP.FetchResponse] = [:]
        var order: [IMAP.UID] = []
        var accumulator = IMAP.FetchAccumulator(sectionSizeLimit: ServerSizeLimits.heldSection)
        let address = settings.address
        try await uidFetch(uids, items) { event in
            let folded: IMAP.FetchResponse?
            do {
                folded = try accumulator.handle(event)
            } catch let error as IMAP.SectionTooLarge {
                throw ServerSizeLimits.heldSectionTooLarge(error, address: address)
            }
            // Servers may split one message's data over several FETCH responses, and send
            // unsolicited ones (another client changed a flag): merge by UID, keep only the UIDs
            // asked for.
            guard let message = folded, let uid = message.uid, uids.contains(uid) else { return }
            if let earlier = messages[uid] {
                messages[uid] = earlier.merging(message)
            } else {
                messages[uid] = message
                order.append(uid)
            }
        }
        return order.compactMap { messages[$0] }
    }

    /// Fetches `items` of `uids`, handing every FETCH event to `onEvent` as it arrives, so body
    /// sections can go straight to a file.
    func uidFetch(
        _ uids: IMAP.UIDSet,
        _ items: [IMAP.FetchItem],
        onEvent: (IMAP.FetchEvent) throws -> Void
    ) async throws {
        try await run(.uidFetch(uids, items)) { response in
            if case .fetch(let event) = response { try onEvent(event) }
        }
    }

    func uidStore(_ uids: IMAP.UIDSet, _ operation: IMAP.StoreOperation) async throws {
        try await run(.uidStore(uids, operation))
    }

    /// Moves `uids` with UID MOVE; without MOVE, copies them, marks them \Deleted and expunges
    /// exactly those UIDs (UID EXPUNGE), never other messages flagged \Deleted.
    func uidMove(_ uids: IMAP.UIDSet, to destination: IMAP.MailboxName) async throws {
        if capabilities.contains(.move) {
            try await run(.uidMove(uids, destination))
            return
        }
        guard capabilities.contains(.uidPlus) else {
            throw PECError(
                .server,
                "the server supports neither MOVE nor UIDPLUS, so the message cannot be moved without "
                    + "also expunging other deleted messages",
                hint: "move it with another mail client"
            )
        }
        try await run(.uidCopy(uids, destination))
        do {
            try await run(.uidStore(uids, IMAP.StoreOperation(kind: .add, flags: [.deleted], silent: true)))
            try await run(.uidExpunge(uids))
        } catch var error as PECError {
            error.message +=
                " (the message was already copied to \"\(destination.displayName)\" and is still in the "
                + "original folder too)"
            throw error
        }
    }

    func noop() async throws -> [IMAP.Response] {
        var responses: [IMAP.Response] = []
        try await run(.noop) { responses.append($0) }
        return responses
    }

    /// Waits in IDLE for at most `maximum`, or until `stop` returns true for an untagged response,
    /// and returns the untagged responses seen. Servers without IDLE are asked with one NOOP.
    func idle(
        maximum: Duration,
        until stop: (IMAP.Response) -> Bool = { _ in false }
    ) async throws -> [IMAP.Response] {
        guard capabilities.contains(.idle) else { return try await noop() }
        let tag = "P\(nextTag)"
        nextTag += 1
        let encoded = try IMAP.CommandEncoder(capabilities: capabilities).encode(.idle, tag: tag)
        for part in encoded.parts { try await stream.write(part) }
        var responses: [IMAP.Response] = []
        // Wait for the server's "+ idling" before anything may end it.
        var deadline = ResponseDeadline(settings.timeout)
        waiting: while true {
            let response = try await nextResponse(within: &deadline)
            switch response {
            case .continuation: break waiting
            case .tagged(let tagged) where tagged.tag == tag:
                throw IMAPCommandFailure.error(
                    command: .idle,
                    status: tagged.status,
                    text: tagged.text,
                    settings: settings
                )
            default: responses.append(response)
            }
        }
        let doneSent = NIOLockedValueBox(false)
        let timer = stream.scheduleWrite(IMAP.CommandEncoder.idleDone, after: maximum, claim: doneSent)
        defer { timer.cancel() }
        deadline = ResponseDeadline(maximum + settings.timeout)
        while true {
            let response = try await nextResponse(within: &deadline)
            switch response {
            case .tagged(let tagged) where tagged.tag == tag:
                guard tagged.status == .ok else {
                    throw IMAPCommandFailure.error(
                        command: .idle,
                        status: tagged.status,
                        text: tagged.text,
                        settings: settings
                    )
                }
                return responses
            case .untagged(.condition(.bye, let text)):
                throw PECError(
                    .network,
                    "the server at \(settings.address) ended the session: \(text.text)",
                    retryable: true
                )
            default:
                responses.append(response)
                if stop(response) {
                    if doneSent.claimOnce() { try await stream.write(IMAP.CommandEncoder.idleDone) }
                }
            }
        }
    }
}

extension IMAPClient {
    /// Streams one body section of one message into `sink` as it arrives (a whole message is
    /// `SectionSpecifier(part: [], kind: .complete)`), so memory stays bounded whatever the size.
    /// Returns the number of bytes written; a message that does not exist is an error, and so is
    /// one announced (or sent) larger than ``ServerSizeLimits/spooledMessage``, refused before
    /// its bytes reach `sink`.
    func streamSection(
        uid: IMAP.UID,
        section: IMAP.SectionSpecifier,
        progress: ProgressHandler? = nil,
        into sink: (ArraySlice<UInt8>) throws -> Void
    ) async throws -> Int {
        var written = 0
        var total: Int?
        var sawMessage = false
        let address = settings.address
        try await uidFetch(IMAP.UIDSet([uid]), [.uid, .bodyPeek(section, range: nil)]) {
            event in
            switch event {
            case .attribute(.uid(let fetched)) where fetched == uid: sawMessage = true
            case .streamingBegin(_, _, let byteCount) where byteCount > ServerSizeLimits.spooledMessage:
                throw ServerSizeLimits.messageTooLarge(byteCount, uid: uid, address: address)
            case .streamingBegin(_, _, let byteCount):
                total = byteCount
            case .streamingBytes(let bytes):
                guard written + bytes.count <= ServerSizeLimits.spooledMessage else {
                    throw ServerSizeLimits.messageTooLarge(written + bytes.count, uid: uid, address: address)
                }
                try sink(bytes[...])
                written += bytes.count
                progress?(WorkProgress(.downloading, done: written, total: total, unit: .bytes))
            default: break
            }
        }
        guard sawMessage else {
            throw PECError(.notFound, "no message with id \(uid.rawValue) in this folder")
        }
        return written
    }
}
