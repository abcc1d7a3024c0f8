/// The known settings of one PEC provider (gestore), so a user only has to name it.
public struct ProviderPreset: Sendable, Equatable, Codable, Identifiable {
    /// How sure we are that the hosts are right; shown so users know when to double-check.
    public enum Confidence: String, Sendable, Codable {
        /// Stated by the provider's own documentation or its published autoconfiguration.
        case verified
        /// Found in widely used client presets only.
        case presets
        /// Conflicting or thin sources: check with the provider.
        case low
    }

    /// The name used with `--provider` (and stored in credentials.json, as the Python pec-cli does).
    public var id: String
    public var name: String
    /// The mailbox domains this provider hosts; used to suggest a preset from an address.
    public var domains: [String]
    public var imap: ServerEndpoint
    public var smtp: ServerEndpoint
    public var confidence: Confidence
    public var notes: String?

    public init(
        id: String,
        name: String,
        domains: [String],
        imap: ServerEndpoint,
        smtp: ServerEndpoint,
        confidence: Confidence,
        notes: String? = nil
    ) {
        self.id = id
        self.name = name
        self.domains = domains
        self.imap = imap
        self.smtp = smtp
        self.confidence = confidence
        self.notes = notes
    }

    /// Flat form for tables and NDJSON: one field per column.
    public struct Row: Sendable, Equatable, Codable {
        public var id: String
        public var name: String
        public var imapHost: String
        public var imapPort: Int
        public var imapSecurity: ServerEndpoint.Security
        public var smtpHost: String
        public var smtpPort: Int
        public var smtpSecurity: ServerEndpoint.Security
        public var domains: [String]
        public var confidence: Confidence
        public var notes: String?

        enum CodingKeys: String, CodingKey {
            case id, name
            case imapHost = "imap_host", imapPort = "imap_port", imapSecurity = "imap_security"
            case smtpHost = "smtp_host", smtpPort = "smtp_port", smtpSecurity = "smtp_security"
            case domains, confidence, notes
        }
    }

    public var row: Row {
        Row(
            id: id,
            name: name,
            imapHost: imap.host,
            imapPort: imap.port,
            imapSecurity: imap.security,
            smtpHost: smtp.host,
            smtpPort: smtp.port,
            smtpSecurity: smtp.security,
            domains: domains,
            confidence: confidence,
            notes: notes
        )
    }
}
