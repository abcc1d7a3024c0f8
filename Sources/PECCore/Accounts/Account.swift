/// Where an account's password is kept.
public enum PasswordStorage: String, Codable, Sendable, CaseIterable {
    /// The Secret Service (GNOME Keyring, KWallet…), service `mayai-cli-pec`, user = the address.
    case keyring
    /// Encrypted (Fernet) inside credentials.json, with the key in key.bin. The JSON value is
    /// "fernet", as the Python pec-cli writes it.
    case file = "fernet"
    /// Not stored at all: the account's ``Account/passwordCommand`` prints it at every login.
    case command
    /// In the team's PostgreSQL ledger (`pec auth login --shared`), Fernet-encrypted with the key in
    /// `PEC_SECRET_KEY_FILE`; never in credentials.json (``SharedAccounts``).
    case shared
}

/// One saved PEC mailbox: everything needed to connect except the password.
public struct Account: Codable, Sendable, Equatable {
    /// What `--account` matches; defaults to the address.
    public var name: String
    public var address: String
    /// The ProviderCatalog preset id; nil for custom hosts.
    public var provider: String?
    public var imap: ServerEndpoint
    public var smtp: ServerEndpoint
    /// PEM file of extra trust anchors (absolute path).
    public var caFile: String?
    /// nil = the default (``Account/defaultTimeoutSeconds``).
    public var timeoutSeconds: Double?
    public var passwordStorage: PasswordStorage
    /// With `.command` storage: what prints the password (`pec auth login --password-command`).
    public var passwordCommand: String?

    public static let defaultTimeoutSeconds: Double = 30

    public init(
        name: String? = nil,
        address: String,
        provider: String? = nil,
        imap: ServerEndpoint,
        smtp: ServerEndpoint,
        caFile: String? = nil,
        timeoutSeconds: Double? = nil,
        passwordStorage: PasswordStorage = .keyring,
        passwordCommand: String? = nil
    ) {
        self.name = name ?? address
        self.address = address
        self.provider = provider
        self.imap = imap
        self.smtp = smtp
        self.caFile = caFile
        self.timeoutSeconds = timeoutSeconds
        self.passwordStorage = passwordStorage
        self.passwordCommand = passwordCommand
    }

    /// An account on a ProviderCatalog preset (its IMAP and SMTP endpoints).
    public init(name: String? = nil, address: String, preset: ProviderPreset) {
        self.init(name: name, address: address, provider: preset.id, imap: preset.imap, smtp: preset.smtp)
    }

    /// The timeout to use: `timeoutSeconds` or the default.
    public var effectiveTimeoutSeconds: Double { timeoutSeconds ?? Self.defaultTimeoutSeconds }

    enum CodingKeys: String, CodingKey {
        case name, address, provider, imap, smtp
        case caFile = "ca_file"
        case timeoutSeconds = "timeout_seconds"
        case passwordStorage = "password_storage"
        case passwordCommand = "password_command"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        address = try c.decode(String.self, forKey: .address)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? address
        provider = try c.decodeIfPresent(String.self, forKey: .provider)
        imap = try c.decode(ServerEndpoint.self, forKey: .imap)
        smtp = try c.decode(ServerEndpoint.self, forKey: .smtp)
        caFile = try c.decodeIfPresent(String.self, forKey: .caFile)
        timeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .timeoutSeconds)
        // A missing discriminator means fernet, as in the Python pec-cli's legacy files.
        passwordStorage = try c.decodeIfPresent(PasswordStorage.self, forKey: .passwordStorage) ?? .file
        passwordCommand = try c.decodeIfPresent(String.self, forKey: .passwordCommand)
        if passwordStorage == .command, passwordCommand?.isEmpty != false {
            throw DecodingError.dataCorruptedError(
                forKey: .passwordCommand,
                in: c,
                debugDescription: "password_storage is command but password_command is missing"
            )
        }
    }
}
