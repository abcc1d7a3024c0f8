/// The provider presets `pec` ships.
///
/// Hosts come from pec-standard.md §12 (providers' own documentation and autoconfiguration,
/// Thunderbird's ISPDB, ThunderPEC's presets), not from the table the Python pec-cli ships: several of
/// its hosts do not exist (docs/providers.md lists each correction). Every preset is implicit TLS on
/// 993 (IMAPS) and 465 (SMTPS), as PEC providers require.
public enum ProviderCatalog {
    public static let all: [ProviderPreset] = [
        preset(
            "aruba",
            "Aruba PEC",
            imap: "imaps.pec.aruba.it",
            smtp: "smtps.pec.aruba.it",
            domains: ["pec.it", "arubapec.it", "mypec.eu", "gigapec.it", "ingpec.eu"],
            confidence: .verified,
            limits: .aruba
        ),
        preset(
            "pec.it",
            "Aruba PEC (pec.it mailboxes)",
            imap: "imaps.pec.aruba.it",
            smtp: "smtps.pec.aruba.it",
            domains: [],
            confidence: .verified,
            notes: "pec.it is Aruba's domain: same servers as aruba",
            limits: .aruba
        ),
        preset(
            "legalmail",
            "InfoCert Legalmail",
            imap: "mbox.cert.legalmail.it",
            smtp: "sendm.cert.legalmail.it",
            domains: ["legalmail.it", "cert.legalmail.it"],
            confidence: .verified,
            notes: "the username is often the InfoCert User ID, not the address; at most 6 sends a minute",
            limits: .legalmail
        ),
        preset(
            "namirial",
            "Namirial (Sicurezza Postale)",
            imap: "imaps.sicurezzapostale.it",
            smtp: "smtps.sicurezzapostale.it",
            domains: ["namirialpec.it", "sicurezzapostale.it", "lamiapec.it"],
            confidence: .verified
        ),
        preset(
            "poste",
            "Poste Italiane PosteCert",
            imap: "mail.postecert.it",
            smtp: "mail.postecert.it",
            domains: ["postecert.it"],
            confidence: .verified
        ),
        preset(
            "register",
            "Register.it",
            imap: "server.pec-email.com",
            smtp: "server.pec-email.com",
            domains: ["pec-email.com"],
            confidence: .low,
            notes: "sources disagree (imap.pec-email.com / smtp.pec-email.com); check with Register.it"
        ),
        preset(
            "actalis",
            "Actalis",
            imap: "imap.pec.actalis.it",
            smtp: "smtp.pec.actalis.it",
            domains: ["pec.actalis.it"],
            confidence: .presets
        ),
        preset(
            "tim",
            "TIM Trust Technologies (Telecompost)",
            imap: "mail.telecompost.it",
            smtp: "smtp.telecompost.it",
            domains: ["telecompost.it"],
            confidence: .presets
        ),
        preset(
            "italiaonline",
            "Libero / Italiaonline PEC",
            imap: "mail.postacert.it.net",
            smtp: "mail.postacert.it.net",
            domains: ["postacert.it.net"],
            confidence: .presets
        ),
        preset(
            "twt",
            "TWT",
            imap: "mail.twtcert.it",
            smtp: "smtp.twtcert.it",
            domains: ["twtcert.it"],
            confidence: .presets
        ),
        preset(
            "notariato",
            "Notariato",
            imap: "imap.postacertificata.notariato.it",
            smtp: "smtp.postacertificata.notariato.it",
            domains: ["postacertificata.notariato.it", "pec.notariato.it"],
            confidence: .presets
        ),
        preset(
            "istruzione",
            "Ministero dell'Istruzione",
            imap: "imap.pec.istruzione.it",
            smtp: "smtp.pec.istruzione.it",
            domains: ["pec.istruzione.it"],
            confidence: .presets
        ),
        preset(
            "basilicata",
            "Regione Basilicata",
            imap: "imaps.pec.basilicatanet.it",
            smtp: "smtps.pec.basilicatanet.it",
            domains: ["pec.basilicatanet.it"],
            confidence: .presets
        ),
    ]

    /// The preset with this id (case-insensitive), or nil.
    public static func preset(id: String) -> ProviderPreset? {
        let wanted = id.lowercased()
        return all.first { $0.id == wanted }
    }

    /// The preset whose domains include the address's domain, for suggesting one at login.
    public static func preset(forAddress address: String) -> ProviderPreset? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        let domain = address[address.index(after: at)...].lowercased()
        return all.first { $0.domains.contains(domain) }
    }

    private static func preset(
        _ id: String,
        _ name: String,
        imap: String,
        smtp: String,
        domains: [String],
        confidence: ProviderPreset.Confidence,
        notes: String? = nil,
        limits: ProviderLimits = .none
    ) -> ProviderPreset {
        ProviderPreset(
            id: id,
            name: name,
            domains: domains,
            imap: ServerEndpoint(host: imap, port: 993),
            smtp: ServerEndpoint(host: smtp, port: 465),
            confidence: confidence,
            notes: notes,
            limits: limits
        )
    }
}

extension ProviderCatalog {
    /// The presets as flat rows: what `pec providers` and `pec_providers` return.
    public static var rows: [ProviderPreset.Row] { all.map(\.row) }
}
