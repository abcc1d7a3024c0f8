extension Account {
    /// How to reach this account's IMAP server; `timeout` (e.g. from `--timeout`) wins over the saved one.
    public func connectionSettings(timeout: Double? = nil) -> ConnectionSettings {
        let wait = (timeout ?? timeoutSeconds).flatMap { ConnectionTimeout(clamping: $0) }
        return ConnectionSettings(
            endpoint: imap,
            caFile: caFile,
            timeout: wait?.duration ?? ConnectionSettings.defaultTimeout
        )
    }

    /// How to reach the account's SMTP server (same CA file and timeout rules as IMAP).
    public func smtpSettings(timeout: Double? = nil) -> ConnectionSettings {
        var settings = connectionSettings(timeout: timeout)
        settings.endpoint = smtp
        return settings
    }
}

extension MailboxAccess {
    /// Access to a saved account's mailbox with its saved password.
    public init(account: Account, store: AccountStore, timeout: Double? = nil) throws {
        self.init(
            settings: account.connectionSettings(timeout: timeout),
            username: account.address,
            password: try store.password(for: account),
            passwordIsSaved: true
        )
        loginHistory = LoginHistory(environment: store.environment)
        folderNames = FolderNameCache(environment: store.environment)
    }
}
