import Foundation
import Logging

/// What `pec trace` asks for.
public struct TraceRequest: Sendable {
    /// The original Message-ID (as `send` printed it) or the PEC identificativo, `<>` optional.
    public var id: String
    /// Where to look; INBOX by default.
    public var folder: String?
    /// Look in every folder that can hold messages.
    public var allFolders: Bool
    /// Download each receipt found into the evidence store and check its gestore signature (the
    /// default). False: only a look at headers and daticert.xml, nothing trusted.
    public var verify: Bool

    public init(id: String, folder: String? = nil, allFolders: Bool = false, verify: Bool = true) {
        self.id = id
        self.folder = folder
        self.allFolders = allFolders
        self.verify = verify
    }
}

/// The message a trace looks for, as far as it is known: from the argument, then the ledger, then
/// the first receipt that names it.
struct TraceTarget: Sendable, Equatable {
    var messageID: String?
    var identificativo: String?
    /// The ledger's record of the send, when pec sent it.
    var send: LedgerSend?

    init(messageID: String?, identificativo: String?, send: LedgerSend? = nil) {
        self.messageID = messageID
        self.identificativo = identificativo
        self.send = send
    }

    /// `reference` resolved through the ledger: an identificativo it (or a synced receipt) knows
    /// gives the Message-ID, a Message-ID gives the send's identificativo.
    init(_ reference: MessageReference, ledger: SendLedger) throws(PECError) {
        switch reference {
        case .messageID(let messageID):
            let send = try ledger.send(messageID: messageID)
            self.init(messageID: messageID, identificativo: send?.identificativo, send: send)
        case .identificativo(let identificativo):
            let send = try ledger.send(identificativo: identificativo)
            var messageID = send?.messageID
            if messageID == nil { messageID = try ledger.messageID(identificativo: identificativo) }
            self.init(messageID: messageID, identificativo: identificativo, send: send)
        }
    }

    /// Whether a receipt is about this message: the Message-ID it names (its signed daticert's
    /// msgid when it has one, as `sync` reads it) or its identificativo. The server's search is a
    /// substring search on an unsigned header or the body, so every hit is checked here.
    func matches(_ reading: ReceiptEventReader.Reading) -> Bool {
        if let messageID, reading.reference == messageID { return true }
        if let identificativo, reading.identificativo == identificativo { return true }
        return false
    }

    /// The events of a matching receipt, as `sync` attributes them (`attributed`), when they are
    /// about this message; nil otherwise. The first one names the message when only its
    /// identificativo was known.
    mutating func claim(_ reading: ReceiptEventReader.Reading, attributed: [TrackingEvent]) -> [TrackingEvent]? {
        guard matches(reading), let named = attributed.first?.messageID, !named.isEmpty else { return nil }
        if messageID == nil { messageID = named }
        return named == messageID ? attributed : nil
    }
}

extension ReceiptSyncService {
    /// The headers a receipt is recognised by without downloading it (`--no-verify`).
    static let traceHeaderFields =
        [
            "X-Ricevuta", "X-Trasporto", "X-Riferimento-Message-ID", "Date", "From", "Message-ID",
        ] + REMHeaders.fieldNames

    /// `pec trace` (and MCP `pec_trace`): finds the receipts of one message with a server-side
    /// search (never a date window, so an old receipt is found as fast as a new one) and tells
    /// where it stands, exactly as `pec status` would.
    ///
    /// By default each receipt found is downloaded into the evidence store (once: one already there
    /// is not fetched again), read as `sync` reads it and recorded in the ledger the same idempotent
    /// way, without moving any sync position; the answer is then the ledger's view of the message.
    /// With `verify: false` only headers and daticert.xml are read: nothing is recorded, no event
    /// is trusted, so no recipient is more than `pending` (or `timed_out`).
    public func trace(_ request: TraceRequest) async throws -> TrackedMessage {
        let start = try TraceTarget(try MessageReference(request.id), ledger: ledger)
        let evidence = request.verify ? try EvidenceStore(ledger: ledger) : nil
        let search = try await access.withSession(logger: logger) { client in
            let folders: [IMAP.MailboxName]
            if request.allFolders {
                folders = try await client.listMailboxes().filter(\.isSelectable).map(\.name)
            } else {
                folders = [try await FolderResolver.resolve(request.folder, client: client)]
            }
            var search = FolderSearch(target: start)
            for folder in folders {
                try await traceFolder(folder, into: &search, evidence: evidence, client: client)
                search.folders.append(folder.displayName)
            }
            return search
        }
        guard let messageID = search.target.messageID else {
            throw PECError(
                .notFound,
                "no receipt in \(search.folders.joined(separator: ", ")) names \(request.id), and the ledger does not know it",
                remedy: .searchOtherFolders
            )
        }
        let derivation = TrackingStatusDerivation(settings: tracking.settings, now: tracking.now())
        let events = request.verify ? try ledger.events(messageID: messageID) : search.events
        var tracked = derivation.message(
            messageID,
            send: try ledger.send(messageID: messageID),
            events: events,
            includeEvents: true
        )
        tracked.identificativo = tracked.identificativo ?? search.target.identificativo
        tracked.verified = request.verify
        tracked.folders = search.folders
        tracked.downloaded = search.downloaded
        return tracked
    }

    /// What the folders searched so far gave.
    struct FolderSearch: Sendable {
        var target: TraceTarget
        /// With `--no-verify`: the events glanced at (nothing is recorded then).
        var events: [TrackingEvent] = []
        var folders: [String] = []
        var downloaded = 0
    }

    private func traceFolder(
        _ folder: IMAP.MailboxName,
        into search: inout FolderSearch,
        evidence: EvidenceStore?,
        client: IMAPClient
    ) async throws {
        let mailbox = try await client.open(folder, readOnly: true)
        guard mailbox.messageCount > 0 else { return }
        guard let validity = mailbox.uidValidity?.rawValue else {
            throw PECError(.malformed, "the server gave no UIDVALIDITY for \(folder.displayName)")
        }
        let candidates = try await receiptSearch(
            in: folder,
            uidValidity: validity,
            target: search.target,
            client: client
        )
        guard !candidates.isEmpty else { return }
        guard let evidence else {
            search.events += try await glance(
                candidates,
                in: folder,
                uidValidity: validity,
                target: &search.target,
                client: client
            )
            return
        }
        // A receipt already in the store was read and recorded before (by sync or trace): its
        // events are in the ledger the answer comes from, so it costs no download. One nobody
        // vouched for then is read again from disk, with the trust given now.
        let stored = try ledger.storedReceipts(
            account: account,
            folder: folder.displayName,
            uidValidity: validity,
            uids: candidates.map(\.rawValue)
        ).filter { FileManager.default.fileExists(atPath: $0.value.path) }
        let reread = candidates.compactMap { uid in
            stored[uid.rawValue].flatMap { receipt in
                receipt.trusted
                    ? nil
                    : EvidenceStore.File(
                        uid: uid,
                        url: URL(fileURLWithPath: receipt.path),
                        sha256: receipt.sha256,
                        size: receipt.size,
                        isNew: false
                    )
            }
        }
        let missing = candidates.filter { stored[$0.rawValue] == nil }
        let files = try await evidence.download(missing, client: client) + reread
        search.downloaded += files.count - reread.count
        var events: [TrackingEvent] = []
        for (file, reading) in zip(files, try await readReceipts(files, folder: folder, uidValidity: validity)) {
            guard let reading, let claimed = search.target.claim(reading, attributed: try attribute(reading)) else {
                file.discardIfNew()
                continue
            }
            events += claimed
        }
        guard !events.isEmpty else { return }
        try evidence.flush()
        try ledger.recordEvents(events)
        try ledger.learn(fromReceipts: events)
    }

    /// The UIDs in `folder` that may be receipts of the target, by server-side search: the
    /// X-Riferimento-Message-ID header, or (only when no Message-ID is known) the identificativo in
    /// the body.
    private func receiptSearch(
        in folder: IMAP.MailboxName,
        uidValidity: UInt32,
        target: TraceTarget,
        client: IMAPClient
    ) async throws -> [IMAP.UID] {
        // In the INBOX the send's bookmark is better still: receipts have UIDs from the INBOX's
        // UIDNEXT at send time on (while UIDVALIDITY holds), which the server finds in its index.
        let since: IMAP.SearchKey? =
            if let bookmark = target.send?.inboxBookmark, folder.isInbox, uidValidity == bookmark.uidValidity {
                .uid(IMAP.UIDSet.from(IMAP.UID(rawValue: bookmark.uidNext)))
            } else {
                nil
            }
        // Receipts never arrive before their message was sent: when the ledger knows when that
        // was, the server only reads the headers of mail that arrived since (the day before, for
        // clocks and time zones), not the whole mailbox. Not a window: nothing older can match.
        let sentAt = target.send?.firstAttemptAt
        func narrowed(_ key: IMAP.SearchKey) -> IMAP.SearchKey {
            if let since { return .and([since, key]) }
            guard let sentAt else { return key }
            let day = Calendar(identifier: .gregorian).dateComponents(
                in: TimeZone(secondsFromGMT: 0) ?? .current,
                from: sentAt.addingTimeInterval(-86_400)
            )
            guard let year = day.year, let month = day.month, let dayOfMonth = day.day else { return key }
            return .and([.since(IMAP.SearchDate(year: year, month: month, day: dayOfMonth)), key])
        }
        var candidates: Set<IMAP.UID> = []
        if let messageID = target.messageID {
            candidates.formUnion(
                try await client.uidSearch(narrowed(.header(name: "X-Riferimento-Message-ID", value: messageID)))
            )
            // REM receipts name the message in REM-UAMessageIdentifier; so does a REM dispatch of it (a
            // message sent to oneself), which is left out on its headers: fetching it is a handover.
            let rem = try await client.uidSearch(narrowed(.header(name: "REM-UAMessageIdentifier", value: messageID)))
            if !rem.isEmpty { candidates.formUnion(try await receiptCandidates(rem, client: client)) }
        } else if let identificativo = target.identificativo {
            // The identificativo is in every receipt's text and daticert, not in a header; a body
            // search is the server's slowest, so only when the Message-ID is not known.
            candidates.formUnion(try await client.uidSearch(narrowed(.body(identificativo))))
        }
        return candidates.sorted()
    }

    /// `--no-verify`: the candidates' headers and daticert.xml only, read as receipt claims.
    private func glance(
        _ candidates: [IMAP.UID],
        in folder: IMAP.MailboxName,
        uidValidity: UInt32,
        target: inout TraceTarget,
        client: IMAPClient
    ) async throws -> [TrackingEvent] {
        let headerSection = IMAP.SectionSpecifier(part: [], kind: .headerFields(Self.traceHeaderFields))
        let fetched = try await client.uidFetch(
            IMAP.UIDSet(candidates),
            [.uid, .bodyStructure, .bodyPeek(headerSection, range: nil)]
        )
        // daticert.xml of every candidate, one FETCH per distinct part number.
        var daticertPart: [IMAP.UID: (path: [Int], encoding: MIMETransferEncoding)] = [:]
        for message in fetched {
            if let uid = message.uid, let structure = message.bodyStructure,
                let found = Self.daticertPart(in: structure)
            {
                daticertPart[uid] = found
            }
        }
        var daticertBytes: [IMAP.UID: [UInt8]] = [:]
        for path in Set(daticertPart.values.map(\.path)) {
            let section = IMAP.SectionSpecifier(part: path, kind: .complete)
            let owners = daticertPart.filter { $0.value.path == path }.map(\.key)
            for message in try await client.uidFetch(
                IMAP.UIDSet(owners.sorted()),
                [.uid, .bodyPeek(section, range: nil)]
            ) {
                if let uid = message.uid, let bytes = message.sections[section] {
                    daticertBytes[uid] = bytes
                }
            }
        }
        var events: [TrackingEvent] = []
        for message in fetched {
            guard let uid = message.uid else { continue }
            // The server may spell the field list its own way: take the one header section there is.
            let headerBytes =
                message.sections.first { if case .headerFields = $0.key.kind { true } else { false } }?.value ?? []
            let headers = HeaderFields(parsing: headerBytes)
            var daticert: Daticert?
            if let bytes = daticertBytes[uid], let part = daticertPart[uid] {
                daticert = try? DaticertParser.parse(
                    MIMEBodyDecoder.decode(bytes[...], transferEncoding: part.encoding)
                )
            }
            let evidence = ReceiptEvidence(
                receiptMessageID: headers.text("Message-ID"),
                folder: folder.displayName,
                uid: uid.rawValue,
                uidValidity: uidValidity,
                sha256: nil,
                size: nil,
                path: nil
            )
            guard
                let reading = ReceiptEventReader.glance(
                    headers: headers,
                    daticert: daticert,
                    account: account,
                    evidence: evidence,
                    now: tracking.now()
                ),
                let claimed = target.claim(reading, attributed: try attribute(reading))
            else { continue }
            events += claimed
        }
        return events.sorted { ($0.at, $0.evidence?.uid ?? 0) < ($1.at, $1.evidence?.uid ?? 0) }
    }

    /// The part number of daticert.xml in a receipt's structure (inside the signed part, never
    /// inside an enclosed message), and how it is encoded.
    static func daticertPart(in structure: IMAP.BodyStructure) -> (path: [Int], encoding: MIMETransferEncoding)? {
        func walk(_ node: IMAP.BodyStructure, _ path: [Int]) -> (path: [Int], encoding: MIMETransferEncoding)? {
            switch node {
            case .multipart(let multi):
                for (index, child) in multi.parts.enumerated() {
                    if let found = walk(child, path + [index + 1]) { return found }
                }
                return nil
            case .singlepart(let single):
                guard let name = single.filename, String(decoding: name, as: UTF8.self).lowercased() == "daticert.xml"
                else { return nil }
                return (path.isEmpty ? [1] : path, MIMETransferEncoding(parsing: Array(single.encoding.utf8)))
            }
        }
        return walk(structure, [])
    }
}
