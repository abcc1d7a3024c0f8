import Foundation
import Logging

/// `pec auth …`: turns a login request into a verified, saved account, and reports accounts.
public struct AuthService: Sendable {
    public var store: AccountStore
    let logger: Logger

    public init(store: AccountStore, logger: Logger = Logger(label: "pec.auth")) {
        self.store = store
        self.logger = logger
    }

    /// Checks the password with a real IMAP login, then saves the account (keyring first, else
    /// the encrypted file; with `shared`, the team's ledger). Nothing is saved when the login fails.
    /// With a password command in the request, `password` is nil: the command is run now, and saved
    /// instead of its output.
    public func login(_ request: LoginRequest, password given: String?) async throws -> AccountStatus {
        let account = try prepare(request)
        let password =
            if let command = account.passwordCommand {
                try PasswordCommand(command).password(
                    for: account.name,
                    timeout: try PasswordCommand.timeout(environment: store.environment)
                )
            } else {
                given ?? ""
            }
        guard !password.isEmpty else { throw PECError(.usage, "the password is empty") }
        let access = MailboxAccess(
            settings: account.connectionSettings(),
            username: account.address,
            password: password,
            passwordIsSaved: false
        )
        try await access.checkLogin(logger: logger)
        var saved = account
        saved.passwordStorage = try store.save(account, password: password)
        let history = LoginHistory(environment: store.environment)
        history.recordAccepted(saved.address)
        let isDefault = try store.defaultAccount()?.name == saved.name
        return AccountStatus(saved, isDefault: isDefault, lastLogin: history.lastAccepted(saved.address))
    }

    /// Logs in with the saved password of the account `name` and out, to prove it still works.
    public func checkLogin(named name: String) async throws {
        let account = try store.account(named: name)
        try await MailboxAccess(account: account, store: store).checkLogin(logger: logger)
    }

    /// Every saved account (or the one named), oldest first. None saved: not authenticated.
    public func status(account name: String?) throws -> [AccountStatus] {
        let defaultName = try store.defaultAccount()?.name
        let history = LoginHistory(environment: store.environment)
        func status(_ account: Account) -> AccountStatus {
            AccountStatus(
                account,
                isDefault: account.name == defaultName,
                lastLogin: history.lastAccepted(account.address)
            )
        }
        if let name {
            return [status(try store.account(named: name))]
        }
        let accounts = try store.accounts()
        guard !accounts.isEmpty else {
            throw PECError(.notAuthenticated, "not logged in", remedy: .login(address: nil))
        }
        return accounts.map(status)
    }

    /// The account `request` describes, and for a shared one that this machine can save it (a PostgreSQL
    /// ledger, the key file): what can fail before the password is asked and the server contacted.
    public func prepare(_ request: LoginRequest) throws -> Account {
        let account = try Self.account(for: request)
        if request.shared {
            guard SharedAccounts.isConfigured(store.environment) else {
                throw PECError(
                    .usage,
                    "--shared saves the account in the team's PostgreSQL ledger, and PEC_LEDGER_URL is not set",
                    hint: "set PEC_LEDGER_URL to the team's postgresql:// URL, or log in without --shared"
                )
            }
            _ = try SharedAccounts.key(store.environment, kind: .usage, using: nil)
        }
        return account
    }

    /// The account `request` describes, after checking every value.
    public static func account(for request: LoginRequest) throws -> Account {
        let address = request.address.trimmingCharacters(in: .whitespaces)
        guard let parsed = try? PECAddress(address), parsed.hasQualifiedDomain else {
            throw PECError(.usage, "\"\(request.address)\" is not an e-mail address")
        }
        var preset: ProviderPreset?
        if let id = request.provider {
            guard let found = ProviderCatalog.preset(id: id) else {
                throw PECError(
                    .usage,
                    "unknown provider \"\(id)\"",
                    hint: "or give the IMAP and SMTP hosts",
                    remedy: .listProviders
                )
            }
            preset = found
        } else if request.imapHost == nil {
            preset = ProviderCatalog.preset(forAddress: address)
            guard preset != nil else {
                throw PECError(
                    .usage,
                    "which provider hosts \(address)? pass --provider, or --imap-host and --smtp-host",
                    remedy: .listProviders
                )
            }
        }
        if preset == nil, request.smtpHost == nil {
            throw PECError(.usage, "--imap-host needs --smtp-host too (sending uses SMTP)")
        }
        let imapSecurity = request.imapSecurity ?? preset?.imap.security ?? .implicitTLS
        let smtpSecurity = request.smtpSecurity ?? preset?.smtp.security ?? .implicitTLS
        let imap = ServerEndpoint(
            host: request.imapHost ?? preset?.imap.host ?? "",
            port: try port(request.imapPort ?? (request.imapHost == nil ? preset?.imap.port : nil), "--imap-port")
                ?? (imapSecurity == .implicitTLS ? 993 : 143),
            security: imapSecurity
        )
        let smtp = ServerEndpoint(
            host: request.smtpHost ?? preset?.smtp.host ?? "",
            port: try port(request.smtpPort ?? (request.smtpHost == nil ? preset?.smtp.port : nil), "--smtp-port")
                ?? (smtpSecurity == .implicitTLS ? 465 : 587),
            security: smtpSecurity
        )
        for (host, option) in [(imap.host, "--imap-host"), (smtp.host, "--smtp-host")] {
            guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "/" }) else {
                throw PECError(.usage, "\(option) \"\(host)\" is not a host name")
            }
        }
        var caFile: String?
        if let path = request.caFile {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            guard FileManager.default.isReadableFile(atPath: absolute) else {
                throw PECError(.io, "cannot read the CA file \(absolute)", hint: "give a readable PEM file")
            }
            caFile = absolute
        }
        if let timeout = request.timeoutSeconds { _ = try ConnectionTimeout(seconds: timeout) }
        if request.shared, request.passwordCommand != nil {
            throw PECError(
                .usage,
                "--password-command cannot be used with --shared: a command runs on one machine, while a shared "
                    + "account's password is saved, encrypted, for the whole team",
                hint: "log in with --shared and type the password (or --password-stdin)"
            )
        }
        let passwordCommand = try request.passwordCommand.map { command throws(PECError) in
            try PasswordCommand(command).text
        }
        let name = request.name?.trimmingCharacters(in: .whitespaces) ?? address
        guard !name.isEmpty else { throw PECError(.usage, "--name cannot be empty") }
        return Account(
            name: name,
            address: address,
            provider: preset?.id,
            imap: imap,
            smtp: smtp,
            caFile: caFile,
            timeoutSeconds: request.timeoutSeconds,
            passwordStorage: request.shared ? .shared : passwordCommand == nil ? .keyring : .command,
            passwordCommand: passwordCommand
        )
    }

    private static func port(_ value: Int?, _ option: String) throws -> Int? {
        guard let value else { return nil }
        guard (1...65535).contains(value) else { throw PECError(.usage, "\(option) must be 1–65535, not \(value)") }
        return value
    }
}

extension MailboxAccess {
    /// Logs in and out, to prove the credentials still work.
    public func checkLogin(logger: Logger = Logger(label: "pec.auth")) async throws {
        try await withSession(logger: logger) { _ in }
    }
}
