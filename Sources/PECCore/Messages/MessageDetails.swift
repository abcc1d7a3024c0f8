/// What `pec get` and `pec verify` report about one message: for a PEC envelope, the sender's
/// real message (from postacert.eml) with the envelope's data beside it.
public struct MessageDetails: Codable, Sendable {
    /// The IMAP UID (`get`), or nil for a file (`verify`).
    public var id: UInt32?
    /// The file read (`verify`).
    public var file: String?
    public var date: String?
    public var from: String?
    public var to: [String] = []
    public var cc: [String] = []
    public var subject: String?
    /// Which standard the message is read under: `rem` when it has REM header fields, else `pec`.
    public var standard: CertifiedMailStandard = .pec
    /// The PEC kind, only when a gestore's signature vouches for it (see ``claimedPECType``).
    public var pecType: PECMessageKind?
    /// A PEC kind the headers claim but no valid gestore signature confirms: never a delivery.
    public var claimedPECType: PECMessageKind?
    public var body: String?
    public var bodyHTML: String?
    /// Set when ``limitBody(to:)`` cut the body (or its HTML form) short: the full text is longer.
    public var bodyTruncated: Bool?
    /// With ``bodyTruncated``: the whole body's length in Unicode scalars (of the HTML form when
    /// there is no plain text).
    public var bodyLength: Int?
    public var attachments: [AttachmentInfo] = []
    /// The daticert.xml `tipo`, when there is one.
    public var pecCertType: String?
    /// The parsed daticert.xml (`--cert`).
    public var pecCert: Daticert?
    /// The S/MIME check (`--verify`, always for `pec verify`).
    public var signature: SignatureCheck?
    /// For an envelope: the transport data, while the fields above describe the original message.
    public var envelope: EnvelopeInfo?
    /// For a REM message: its REM fields, event and evidence.
    public var rem: REMDetails?
    /// Set by `pec get` / `pec_get` on a REM dispatch: fetching its content is the legal handover to the
    /// recipient (EN 319 532-1 §6.2.5), which the provider may record with ContentHandover evidence.
    public var handover: Bool?
    public var warnings: [String] = []

    enum CodingKeys: String, CodingKey {
        case id, file, date, from, to, cc, subject, standard
        case pecType = "pec_type"
        case claimedPECType = "claimed_pec_type"
        case body
        case bodyHTML = "body_html"
        case bodyTruncated = "body_truncated"
        case bodyLength = "body_length"
        case attachments
        case pecCertType = "pec_cert_type"
        case pecCert = "pec_cert"
        case signature, envelope, rem, handover, warnings
    }
}

extension MessageDetails: TextBlockFields {
    /// The body is prose: shown as marked lines in text output (everything else on one line).
    public static let textBlockKeys: Set<String> = [CodingKeys.body.rawValue, CodingKeys.bodyHTML.rawValue]

    /// Whether a gestore's valid signature vouches for this message as a PEC (``pecType`` is set only
    /// then): what `pec verify`'s exit status reports.
    public var isCertified: Bool { pecType != nil }
}

extension MessageDetails {
    /// Keeps at most `maxCharacters` of the body and of its HTML form, saying so when it cut: how
    /// `pec-mcp` keeps a long message from filling a model's context.
    public mutating func limitBody(to maxCharacters: Int) {
        let limit = max(0, maxCharacters)
        // Counted in Unicode scalars, as JSON and the languages reading it count characters.
        let fullLength = (body ?? bodyHTML)?.unicodeScalars.count
        var cut = false
        if let text = body, text.unicodeScalars.count > limit {
            body = String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit)))
            cut = true
        }
        if let html = bodyHTML, html.unicodeScalars.count > limit {
            bodyHTML = String(String.UnicodeScalarView(html.unicodeScalars.prefix(limit)))
            cut = true
        }
        if cut {
            bodyTruncated = true
            bodyLength = fullLength
        }
    }
}

/// The certified-mail standard a message follows: Italian PEC, or its European successor REM
/// (ETSI EN 319 532).
public enum CertifiedMailStandard: String, Codable, Sendable, CaseIterable {
    case pec
    case rem
}

/// One file in a message.
public struct AttachmentInfo: Codable, Sendable, Equatable {
    public var filename: String
    public var contentType: String
    /// Decoded size in bytes.
    public var size: Int
    /// The MIME part number (1.2.3), for scripts.
    public var part: String
    /// Where `--save-attachments` wrote it.
    public var savedAs: String?

    enum CodingKeys: String, CodingKey {
        case filename
        case contentType = "content_type"
        case size, part
        case savedAs = "saved_as"
    }
}

/// The transport envelope (busta di trasporto) around a PEC's original message.
public struct EnvelopeInfo: Codable, Sendable, Equatable {
    public var from: String?
    public var subject: String?
    public var date: String?
    public var identificativo: String?
    /// How many envelopes were opened (2 for a PEC forwarded as a PEC).
    public var depth: Int
}
