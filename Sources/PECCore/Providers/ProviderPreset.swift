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
    /// What the provider documents that it refuses at submission: checked before every send.
    public var limits: ProviderLimits

    public init(
        id: String,
        name: String,
        domains: [String],
        imap: ServerEndpoint,
        smtp: ServerEndpoint,
        confidence: Confidence,
        notes: String? = nil,
        limits: ProviderLimits = .none
    ) {
        self.id = id
        self.name = name
        self.domains = domains
        self.imap = imap
        self.smtp = smtp
        self.confidence = confidence
        self.notes = notes
        self.limits = limits
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
        /// ``ProviderLimits/summary``: the limits in one line, for the table.
        public var limits: String?
        /// ``ProviderLimits``, field by field (nil when the provider documents none).
        public var maxTotalSize: Int?
        public var blockedExtensions: [String]?
        public var blocksExecutables: Bool?
        public var maxSendsPerMinute: Int?
        public var limitsSource: String?

        enum CodingKeys: String, CodingKey {
            case id, name
            case imapHost = "imap_host", imapPort = "imap_port", imapSecurity = "imap_security"
            case smtpHost = "smtp_host", smtpPort = "smtp_port", smtpSecurity = "smtp_security"
            case domains, confidence, notes, limits
            case maxTotalSize = "max_total_size", blockedExtensions = "blocked_extensions"
            case blocksExecutables = "blocks_executables", maxSendsPerMinute = "max_sends_per_minute"
            case limitsSource = "limits_source"
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
            notes: notes,
            limits: limits.summary,
            maxTotalSize: limits.maximumTotalSize,
            blockedExtensions: limits.blockedExtensions.isEmpty ? nil : limits.blockedExtensions,
            blocksExecutables: limits.blocksExecutables ? true : nil,
            maxSendsPerMinute: limits.maximumSendsPerMinute,
            limitsSource: limits.isEmpty ? nil : limits.source
        )
    }
}
