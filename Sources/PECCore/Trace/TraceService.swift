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
    /// Download each receipt whole and check its gestore signature.
    public var verify: Bool
    /// Extra trust anchors for the signature check.
    public var caFiles: [String]

    public init(
        id: String,
        folder: String? = nil,
        allFolders: Bool = false,
        verify: Bool = false,
        caFiles: [String] = []
    ) {
        self.id = id
        self.folder = folder
        self.allFolders = allFolders
        self.verify = verify
        self.caFiles = caFiles
    }
}

/// One receipt of a message.
public struct TraceEvent: Codable, Sendable, Equatable {
    /// The receipt's UID in `folder`.
    public var id: UInt32
    public var folder: String
    /// The PEC kind (`accettazione`, `avvenuta-consegna`, …).
    public var tipo: String
    /// When the gestore says it happened (daticert), ISO 8601; else the receipt's Date.
    public var data: String?
    /// The recipient a delivery or failure is about (daticert `consegna`).
    public var recipient: String?
    public var errore: String?
    public var erroreEsteso: String?
    public var gestore: String?
    public var identificativo: String?
    /// With `--verify`: the signature check, and whether a gestore vouches for the kind.
    public var signature: SignatureCheck?
    public var certified: Bool?
    public var warnings: [String]?
    /// The receipt's X-Riferimento-Message-ID (the original's Message-ID); not part of the record.
    var reference: String? = nil

    enum CodingKeys: String, CodingKey {
        case id, folder, tipo, data, recipient, errore
        case erroreEsteso = "errore_esteso"
        case gestore, identificativo, signature, certified, warnings
    }
}

/// Where each recipient stands, from the receipts found.
public struct TraceRecipient: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// The sender's provider accepted the message; no delivery receipt yet.
        case accepted
        case delivered
        case failed
        /// No acceptance receipt (yet).
        case pending
    }
    public var address: String
    public var status: Status
    /// When it reached that status.
    public var data: String?
    public var errore: String?

    enum CodingKeys: String, CodingKey {
        case address, status, data, errore
    }
}

/// `pec trace`: the receipts of one sent message, in order.
public struct TraceResult: Codable, Sendable {
    public var messageID: String?
    public var identificativo: String?
    public var events: [TraceEvent]
    public var count: Int
    public var recipients: [TraceRecipient]

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id"
        case identificativo, events, count, recipients
    }
}

extension MailboxService {
    /// The headers a receipt is recognised by.
    static let traceHeaderFields = [
        "X-Ricevuta", "X-Trasporto", "X-Riferimento-Message-ID", "Date", "From", "Message-ID",
    ]

    /// Finds the receipts of a message with server-side search (never a date window, so an old
    /// receipt is found as fast as a new one), reads only their headers and daticert.xml (whole
    /// receipts only with `verify`), and sums up each recipient.
    public func trace(_ request: TraceRequest, ledger: SendLedger? = nil) async throws -> TraceResult {
        let wanted = try TraceID(request.id)
        var messageID = wanted.isIdentificativo ? nil : wanted.bracketed
        var identificativo = wanted.isIdentificativo ? wanted.bare : nil
        var sent: LedgerSend?
        if let ledger {
            sent = try messageID.flatMap { try ledger.send(messageID: $0) }
            if sent == nil, let identificativo { sent = try ledger.send(identificativo: identificativo) }
            if let sent {
                messageID = sent.messageID
                identificativo = identificativo ?? sent.identificativo
            }
        }
        let trust = request.verify ? try PECTrustStore(caFiles: request.caFiles) : nil
        let events = try await access.withSession(logger: logger) {
            [messageID, identificativo, sent] client in
            let folders: [IMAP.MailboxName]
            if request.allFolders {
                folders = try await client.listMailboxes().filter {
                    !$0.attributes.contains(.noselect) && !$0.attributes.contains(.nonExistent)
                }.map(\.name)
            } else {
                folders = [try await FolderResolver.resolve(request.folder, client: client)]
            }
            var events: [TraceEvent] = []
            for folder in folders {
                events += try await traceEvents(
                    in: folder,
                    messageID: messageID,
                    identificativo: identificativo,
                    sentAt: sent?.firstAttemptAt,
                    bookmark: sent?.inboxBookmark,
                    trust: trust,
                    client: client
                )
            }
            return events
        }
        let ordered = events.sorted { ($0.data ?? "", $0.folder, $0.id) < ($1.data ?? "", $1.folder, $1.id) }
        if messageID == nil, let reference = ordered.compactMap(\.reference).first {
            messageID = "<\(TraceID.normalize(reference))>"
        }
        if identificativo == nil {
            identificativo =
                ordered.first { $0.tipo == PECMessageKind.accettazione.rawValue }?.identificativo
                ?? ordered.first?.identificativo
        }
        if let ledger, let messageID, let identificativo, sent != nil, sent?.identificativo == nil {
            try? ledger.setIdentificativo(identificativo, forMessageID: messageID)
        }
        return TraceResult(
            messageID: messageID,
            identificativo: identificativo,
            events: ordered,
            count: ordered.count,
            recipients: Self.recipients(of: ordered, sent: sent, verified: request.verify)
        )
    }

    private func traceEvents(
        in folder: IMAP.MailboxName,
        messageID: String?,
        identificativo: String?,
        sentAt: Date?,
        bookmark: InboxBookmark?,
        trust: PECTrustStore?,
        client: IMAPClient
    ) async throws -> [TraceEvent] {
        let mailbox = try await client.open(folder, readOnly: true)
        guard mailbox.messageCount > 0 else { return [] }
        // In the INBOX the send's bookmark is better still: receipts have UIDs from the INBOX's
        // UIDNEXT at send time on (while UIDVALIDITY holds), which the server finds in its index.
        let since: IMAP.SearchKey? =
            if let bookmark, folder.isInbox, mailbox.uidValidity?.rawValue == bookmark.uidValidity {
                .uid(IMAP.UIDSet.from(IMAP.UID(rawValue: bookmark.uidNext)))
            } else {
                nil
            }
        // Receipts never arrive before their message was sent: when the ledger knows when that
        // was, the server only reads the headers of mail that arrived since (the day before, for
        // clocks and time zones), not the whole mailbox. Not a window: nothing older can match.
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
        if let messageID {
            candidates.formUnion(
                try await client.uidSearch(narrowed(.header(name: "X-Riferimento-Message-ID", value: messageID)))
            )
        }
        if let identificativo, messageID == nil {
            // The identificativo is in every receipt's text and daticert, not in a header; a body
            // search is the server's slowest, so only when the Message-ID is not known.
            candidates.formUnion(try await client.uidSearch(narrowed(.body(identificativo))))
        }
        guard !candidates.isEmpty else { return [] }
        let uids = IMAP.UIDSet(candidates.sorted())
        let fetched = try await client.uidFetch(
            uids,
            [
                .uid, .bodyStructure,
                .bodyPeek(IMAP.SectionSpecifier(part: [], kind: .headerFields(Self.traceHeaderFields)), range: nil),
            ]
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
        var events: [TraceEvent] = []
        for message in fetched {
            guard let uid = message.uid else { continue }
            let headerBytes =
                message.sections.first { if case .headerFields = $0.key.kind { true } else { false } }?.value ?? []
            let headers = HeaderFields(parsing: headerBytes)
            var daticert: Daticert?
            if let bytes = daticertBytes[uid], let part = daticertPart[uid] {
                daticert = try? DaticertParser.parse(
                    MIMEBodyDecoder.decode(bytes[...], transferEncoding: part.encoding)
                )
            }
            // Confirm the match: the search is a substring search, the receipt must name this message.
            let reference = headers.text("X-Riferimento-Message-ID").map { TraceID.normalize($0) }
            let matchesID = messageID.map { reference == TraceID.normalize($0) } ?? false
            let matchesIdentificativo = identificativo.map { daticert?.identificativo == $0 } ?? false
            guard matchesID || matchesIdentificativo else { continue }
            let classification = PECClassification(headers: headers, daticert: daticert)
            guard let kind = classification.kind, kind != .postaCertificata || daticert != nil else { continue }
            var event = TraceEvent(
                id: uid.rawValue,
                folder: folder.displayName,
                tipo: kind.rawValue,
                data: daticert?.data.iso8601 ?? headers.text("Date").flatMap(MailDate.init(parsing:))?.iso8601,
                recipient: daticert?.consegna,
                errore: daticert.flatMap { $0.errore == "nessuno" ? nil : $0.errore },
                erroreEsteso: daticert?.erroreEsteso,
                gestore: daticert?.gestoreEmittente,
                identificativo: daticert?.identificativo,
                reference: headers.text("X-Riferimento-Message-ID")
            )
            if let trust {
                let reading = try await verifiedReading(uid: uid, trust: trust, client: client)
                event.signature = reading.details.signature
                event.certified = reading.details.pecType != nil
                event.warnings = reading.details.warnings.isEmpty ? nil : reading.details.warnings
            }
            events.append(event)
        }
        return events
    }

    /// The whole receipt, spooled to a temporary file and read as `get --verify` does.
    private func verifiedReading(uid: IMAP.UID, trust: PECTrustStore, client: IMAPClient) async throws
        -> MessageReader.Reading
    {
        let url = try await client.spoolMessage(uid: uid)
        defer { TemporaryFiles.remove(url) }
        return try MessageReader(trust: trust, options: .init(signature: true)).read(SpooledMessage(file: url))
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

    /// Each recipient's standing. With `verified`, only receipts a gestore vouches for count.
    static func recipients(of events: [TraceEvent], sent: LedgerSend?, verified: Bool) -> [TraceRecipient] {
        let counted = verified ? events.filter { $0.certified == true } : events
        var order: [String] = sent?.recipients.map { $0.address.lowercased() } ?? []
        func note(_ address: String) {
            let key = address.lowercased()
            if !order.contains(key) { order.append(key) }
        }
        for event in counted
        where event.tipo == PECMessageKind.avvenutaConsegna.rawValue
            || event.tipo == PECMessageKind.erroreConsegna.rawValue
        {
            if let recipient = event.recipient { note(recipient) }
        }
        let accepted = counted.first { $0.tipo == PECMessageKind.accettazione.rawValue }
        let refused = counted.first { $0.tipo == PECMessageKind.nonAccettazione.rawValue }
        return order.map { address in
            if let delivered = counted.last(where: {
                $0.tipo == PECMessageKind.avvenutaConsegna.rawValue && $0.recipient?.lowercased() == address
            }) {
                return TraceRecipient(address: address, status: .delivered, data: delivered.data)
            }
            if let failed = counted.last(where: {
                $0.tipo == PECMessageKind.erroreConsegna.rawValue && $0.recipient?.lowercased() == address
            }) {
                return TraceRecipient(address: address, status: .failed, data: failed.data, errore: failed.errore)
            }
            if let refused {
                return TraceRecipient(address: address, status: .failed, data: refused.data, errore: refused.errore)
            }
            if let accepted {
                return TraceRecipient(address: address, status: .accepted, data: accepted.data)
            }
            return TraceRecipient(address: address, status: .pending)
        }
    }
}

/// A trace argument: a Message-ID or a PEC identificativo, with or without `<>`.
struct TraceID {
    let bare: String
    var bracketed: String { "<\(bare)>" }
    /// Gestori number their messages `opec…` (Aruba, and the sandbox); anything else is taken as a
    /// Message-ID first (the ledger maps identificativi it knows).
    var isIdentificativo: Bool { bare.lowercased().hasPrefix("opec") }

    init(_ text: String) throws {
        let value = Self.normalize(text)
        guard !value.isEmpty, value.count <= 998,
            !value.unicodeScalars.contains(where: {
                $0.value < 0x21 || $0.value == 0x7F || "<>\"".unicodeScalars.contains($0)
            })
        else {
            throw PECError(
                .invalidInput,
                "\"\(text)\" is not a Message-ID or a PEC identificativo",
                hint: "give the id `pec send` printed, e.g. <…@…>, or an identificativo like opec…"
            )
        }
        bare = value
    }

    /// Without surrounding space and angle brackets.
    static func normalize(_ text: String) -> String {
        var value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if value.hasPrefix("<") && value.hasSuffix(">") && value.count >= 2 {
            value = String(value.dropFirst().dropLast())
        }
        return value
    }
}
