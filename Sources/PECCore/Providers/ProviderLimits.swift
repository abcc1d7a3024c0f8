/// What a provider documents that it refuses at submission (with an *avviso di non accettazione* or an
/// SMTP error), so that `SendPreflight` refuses it first, before any network. Every field is optional:
/// a preset without documented limits, or an account on custom servers, gets no checks.
public struct ProviderLimits: Sendable, Equatable, Codable {
    /// The message's size (as submitted) times its number of recipients may be at most this many bytes.
    public var maximumTotalSize: Int?
    /// Attachment extensions (lowercase, no dot) refused, also inside zip archives. When non-empty,
    /// executable content is refused too, whatever the file is called (a renamed `.exe`).
    public var blockedExtensions: [String]
    /// Messages the account may submit within any 60 seconds.
    public var maximumSendsPerMinute: Int?
    /// Where the limits are documented.
    public var source: String?

    public init(
        maximumTotalSize: Int? = nil,
        blockedExtensions: [String] = [],
        maximumSendsPerMinute: Int? = nil,
        source: String? = nil
    ) {
        self.maximumTotalSize = maximumTotalSize
        self.blockedExtensions = blockedExtensions
        self.maximumSendsPerMinute = maximumSendsPerMinute
        self.source = source
    }

    public static let none = ProviderLimits()

    public var isEmpty: Bool { maximumTotalSize == nil && blockedExtensions.isEmpty && maximumSendsPerMinute == nil }

    /// Whether attachments are checked for executables (by extension and by content).
    public var blocksExecutables: Bool { !blockedExtensions.isEmpty }

    /// One line for people: `100 MB ÷ recipients; no executables (also in zip); 6 sends/minute`.
    public var summary: String? {
        var parts: [String] = []
        if let size = maximumTotalSize { parts.append("\(size / 1_000_000) MB ÷ recipients") }
        if blocksExecutables { parts.append("no executables (also in zip)") }
        if let sends = maximumSendsPerMinute { parts.append("\(sends) sends/minute") }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}

extension ProviderLimits {
    /// Aruba PEC (guide.pec.it, "Tipi di file non allegabili ad un messaggio PEC" and "Webmail PEC Smart:
    /// allegati"): an outgoing message is at most 100 MB with its attachments, and "per invii con più
    /// destinatari la dimensione massima, che è complessiva, deve essere divisa per il numero di
    /// destinatari" (size × recipients ≤ 100 MB; beyond it a non-accettazione per eccezioni formali).
    /// Files with these extensions are refused "anche quando si trovano in archivi compressi", and
    /// detected "anche se … rinominati (… un'estensione .exe in una .txt)".
    public static let aruba = ProviderLimits(
        maximumTotalSize: 100_000_000,
        blockedExtensions: [
            "asp", "bat", "chm", "cla", "class", "cmd", "com", "cpl", "csh", "exe", "hlp", "hpj", "hta", "inf",
            "ins", "jar", "js", "jse", "lnk", "msc", "msh", "msh1", "msh1xml", "msh2", "msh2xml", "mshxml", "msi",
            "msp", "ocx", "ops", "pif", "pl", "prf", "prg", "ps1", "ps1xml", "ps2", "ps2xml", "psc1", "psc2", "pst",
            "reg", "scf", "scr", "sct", "shb", "shs", "tmp", "url", "vb", "vbe", "vbp", "vbs", "vsmacros", "ws",
            "wsc", "wsf", "wsh",
        ],
        source: "https://guide.pec.it/posta-pec/gestione-account/proteggere-account-pec/"
            + "limitazioni-alle-estensioni-degli-allegati-pec.aspx"
    )

    /// InfoCert Legalmail (help.infocert.it, pec-standard.md §9): at most 6 messages a minute, beyond
    /// which the server answers `550 … "Class Of Service" - Too much traffic`.
    public static let legalmail = ProviderLimits(
        maximumSendsPerMinute: 6,
        source: "https://help.infocert.it (pec-standard.md §9)"
    )
}
