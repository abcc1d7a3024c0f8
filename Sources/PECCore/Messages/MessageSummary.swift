/// One row of `pec list` / `pec search`: what a mailbox listing needs, from headers, flags and
/// structure only (the body is never downloaded).
public struct MessageSummary: Codable, Sendable, Equatable {
    /// The IMAP UID: stable within the folder, what `get`, `mark-read` and `move` take.
    public var id: UInt32
    /// ISO-8601 with the sender's offset, from the Date header; the server's arrival time when the
    /// header is missing or unreadable.
    public var date: String?
    public var from: String?
    public var to: String?
    public var subject: String?
    public var pecType: PECMessageKind?
    public var unread: Bool
    public var hasAttachments: Bool
    /// Size on the server, in bytes.
    public var size: Int?

    enum CodingKeys: String, CodingKey {
        case id, date, from, to, subject
        case pecType = "pec_type"
        case unread
        case hasAttachments = "has_attachments"
        case size
    }

    /// The columns of a listing in text form (`pec list`, and `pec-mcp`'s text copy).
    public static let textColumns = ["id", "date", "from", "subject", "pec_type", "unread", "has_attachments"]

    /// The header fields a summary is built from, fetched with BODY.PEEK so nothing is marked read.
    static let headerFields = [
        "Date", "From", "To", "Subject", "Message-ID", "X-Ricevuta", "X-Trasporto", "X-Riferimento-Message-ID",
        "REM-MessageType", "REM-EventIdentifier",
    ]

    static var fetchItems: [IMAP.FetchItem] {
        [
            .uid, .flags, .internalDate, .rfc822Size, .bodyStructure,
            .bodyPeek(
                IMAP.SectionSpecifier(part: [], kind: .headerFields(headerFields)),
                range: nil
            ),
        ]
    }

    init(
        id: UInt32,
        date: String? = nil,
        from: String? = nil,
        to: String? = nil,
        subject: String? = nil,
        pecType: PECMessageKind? = nil,
        unread: Bool,
        hasAttachments: Bool,
        size: Int? = nil
    ) {
        self.id = id
        self.date = date
        self.from = from
        self.to = to
        self.subject = subject
        self.pecType = pecType
        self.unread = unread
        self.hasAttachments = hasAttachments
        self.size = size
    }

    init?(_ message: IMAP.FetchResponse) {
        guard let uid = message.uid else { return nil }
        let headerBytes =
            message.sections.first { if case .headerFields = $0.key.kind { true } else { false } }?.value ?? []
        let headers = HeaderFields(parsing: headerBytes)
        self.id = uid.rawValue
        self.date =
            headers.text("Date").flatMap(MailDate.init(parsing:))?.iso8601
            ?? message.internalDate.map(MailDate.init(internalDate:))?.iso8601
        self.from = headers.text("From")
        self.to = headers.text("To")
        self.subject = headers.text("Subject")
        self.pecType = PECMessageKind(headers: headers)
        self.unread = !(message.flags ?? []).contains(.seen)
        self.hasAttachments = message.bodyStructure.map(Self.hasAttachments) ?? false
        self.size = message.rfc822Size
    }

    /// True when some part is meant as a file: disposition `attachment`, or a file name on any
    /// part other than the signature (PEC's `daticert.xml` is `inline; filename=…`, and
    /// `postacert.eml` is a message/rfc822 part). The parts of an enclosed message belong to it.
    static func hasAttachments(_ structure: IMAP.BodyStructure) -> Bool {
        switch structure {
        case .multipart(let multipart):
            return multipart.parts.contains(where: hasAttachments)
        case .singlepart(let part):
            if part.type == "application", part.subtype == "pkcs7-signature" || part.subtype == "x-pkcs7-signature" {
                return false
            }
            if case .message = part.kind, part.subtype == "rfc822" || part.subtype == "global" { return true }
            if part.disposition?.kind == "attachment" { return true }
            let named = { (parameters: [IMAP.BodyStructure.BodyParameter]) in
                parameters.contains { $0.name == "filename" || $0.name == "name" || $0.name.hasPrefix("filename*") }
            }
            return named(part.parameters) || named(part.disposition?.parameters ?? [])
        }
    }
}

extension MailDate {
    init(internalDate: IMAP.InternalDate) {
        self.init(
            year: internalDate.year,
            month: internalDate.month,
            day: internalDate.day,
            hour: internalDate.hour,
            minute: internalDate.minute,
            second: internalDate.second,
            offsetMinutes: internalDate.zoneMinutes
        )
    }
}
