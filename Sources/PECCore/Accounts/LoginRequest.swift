import Foundation

/// What `pec auth login` was told: an address and either a provider preset or explicit servers
/// (explicit values override the preset's).
public struct LoginRequest: Sendable, Equatable {
    public var address: String
    public var name: String?
    public var provider: String?
    public var imapHost: String?
    public var imapPort: Int?
    public var imapSecurity: ServerEndpoint.Security?
    public var smtpHost: String?
    public var smtpPort: Int?
    public var smtpSecurity: ServerEndpoint.Security?
    public var caFile: String?
    public var timeoutSeconds: Double?
    /// Saved instead of the password, and run at every login (``PasswordCommand``).
    public var passwordCommand: String?
    /// Save the account for the team in the PostgreSQL ledger (``SharedAccounts``), not on this machine.
    public var shared: Bool

    public init(
        address: String,
        name: String? = nil,
        provider: String? = nil,
        imapHost: String? = nil,
        imapPort: Int? = nil,
        imapSecurity: ServerEndpoint.Security? = nil,
        smtpHost: String? = nil,
        smtpPort: Int? = nil,
        smtpSecurity: ServerEndpoint.Security? = nil,
        caFile: String? = nil,
        timeoutSeconds: Double? = nil,
        passwordCommand: String? = nil,
        shared: Bool = false
    ) {
        self.passwordCommand = passwordCommand
        self.shared = shared
        self.address = address
        self.name = name
        self.provider = provider
        self.imapHost = imapHost
        self.imapPort = imapPort
        self.imapSecurity = imapSecurity
        self.smtpHost = smtpHost
        self.smtpPort = smtpPort
        self.smtpSecurity = smtpSecurity
        self.caFile = caFile
        self.timeoutSeconds = timeoutSeconds
    }
}

/// An account as `pec auth status` and `pec auth login` report it (never the password).
public struct AccountStatus: Codable, Sendable, Equatable {
    public var name: String
    public var address: String
    public var provider: String?
    public var imapHost: String
    public var imapPort: Int
    public var imapSecurity: ServerEndpoint.Security
    public var smtpHost: String
    public var smtpPort: Int
    public var smtpSecurity: ServerEndpoint.Security
    public var caFile: String?
    public var timeoutSeconds: Double?
    public var passwordStorage: String
    /// Saved for the whole team in the PostgreSQL ledger (`pec auth login --shared`).
    public var shared: Bool
    public var isDefault: Bool
    /// When the server last accepted this account's saved password (any command's login).
    public var lastLogin: Date?

    enum CodingKeys: String, CodingKey {
        case name, address, provider
        case imapHost = "imap_host"
        case imapPort = "imap_port"
        case imapSecurity = "imap_security"
        case smtpHost = "smtp_host"
        case smtpPort = "smtp_port"
        case smtpSecurity = "smtp_security"
        case caFile = "ca_file"
        case timeoutSeconds = "timeout_seconds"
        case passwordStorage = "password_storage"
        case shared
        case isDefault = "default"
        case lastLogin = "last_login"
    }

    public init(_ account: Account, isDefault: Bool, lastLogin: Date? = nil) {
        name = account.name
        address = account.address
        provider = account.provider
        imapHost = account.imap.host
        imapPort = account.imap.port
        imapSecurity = account.imap.security
        smtpHost = account.smtp.host
        smtpPort = account.smtp.port
        smtpSecurity = account.smtp.security
        caFile = account.caFile
        timeoutSeconds = account.timeoutSeconds
        passwordStorage =
            switch account.passwordStorage {
            case .keyring: "keyring"
            case .file: "file"
            case .command: "command"
            case .shared: "shared"
            }
        shared = account.passwordStorage == .shared
        self.isDefault = isDefault
        self.lastLogin = lastLogin
    }
}
