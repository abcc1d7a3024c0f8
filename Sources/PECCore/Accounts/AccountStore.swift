import Foundation

/// The saved accounts and their passwords, in the Python pec-cli's places and formats so its users'
/// logins keep working: `$XDG_CONFIG_HOME/mayai-cli/pec/credentials.json` (default `~/.config/…`,
/// mode 0600) and the password in the Secret Service (service `mayai-cli-pec`, user = the address)
/// or, when no keyring is available, Fernet-encrypted in credentials.json with the key in key.bin.
///
/// Everything comes from `environment`, so tests run in temporary directories:
/// `XDG_CONFIG_HOME`, `HOME`, `DBUS_SESSION_BUS_ADDRESS` / `XDG_RUNTIME_DIR` (whether a keyring is
/// tried), `PEC_CREDENTIAL_STORE` (`auto` (default), `keyring`: fail when it is unavailable, `file`)
/// `PEC_KEYRING_TIMEOUT` (seconds one keyring call may take, default 20) and
/// `PEC_PASSWORD_COMMAND_TIMEOUT` (seconds a password command may take, default 30).
///
/// With `PEC_LEDGER_URL`, the team's shared accounts (``SharedAccounts``) are read beside the local
/// ones; a local account hides a shared one of the same name. Without it, no database is touched.
public struct AccountStore: Sendable {
    /// Where passwords go, from `PEC_CREDENTIAL_STORE`.
    public enum StoreMode: String, Sendable, CaseIterable {
        /// The keyring when one answers, else the encrypted file.
        case auto
        /// The keyring or an error.
        case keyring
        /// The encrypted file, without trying the keyring.
        case file
    }

    /// What `remove(named:)` did.
    public struct Removal: Sendable, Equatable {
        public var account: Account
        /// Whether a keyring item was deleted.
        public var keyringItemRemoved: Bool
        /// Set when the keyring item could not be deleted (the rest was removed); for a warning.
        public var keyringWarning: String?
    }

    public var directory: URL
    public var credentialsFile: URL { directory.appendingPathComponent("credentials.json") }
    public var keyFile: URL { directory.appendingPathComponent("key.bin") }

    let environment: [String: String]
    /// The team's accounts when `PEC_LEDGER_URL` selects a PostgreSQL ledger, else nil.
    let shared: SharedAccounts?

    public init(environment: [String: String]) {
        self.init(environment: environment, ledger: LedgerHandle(environment: environment))
    }

    /// `ledger` holds the ledger of the shared accounts, opened only when one is needed (PECContext passes its
    /// own, so that a process opens one).
    init(environment: [String: String], ledger: LedgerHandle) {
        self.environment = environment
        directory = Self.configDirectory(environment).appendingPathComponent("mayai-cli/pec", isDirectory: true)
        shared =
            SharedAccounts.isConfigured(environment) ? SharedAccounts(environment: environment, ledger: ledger) : nil
    }

    /// `$XDG_CONFIG_HOME` when set and absolute (the XDG spec ignores relative values), else `$HOME/.config`.
    static func configDirectory(_ environment: [String: String]) -> URL {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg, isDirectory: true)
        }
        let home: String
        if let value = environment["HOME"], !value.isEmpty {
            home = value
        } else if let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir {
            home = String(cString: dir)
        } else {
            home = "/"
        }
        return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".config", isDirectory: true)
    }

    /// `PEC_CREDENTIAL_STORE`, or `.auto`.
    public func storeMode() throws(PECError) -> StoreMode {
        guard let raw = environment["PEC_CREDENTIAL_STORE"]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty
        else { return .auto }
        guard let mode = StoreMode(rawValue: raw.lowercased()) else {
            throw PECError(
                .invalidInput,
                "PEC_CREDENTIAL_STORE is \"\(raw)\"; it must be auto, keyring or file",
                hint: "unset it to use the keyring when there is one and an encrypted file otherwise"
            )
        }
        return mode
    }

    // MARK: Reading

    /// Every saved account: the local ones in login order (first = oldest), then the shared ones by name.
    public func accounts() throws(PECError) -> [Account] {
        let local = try load()?.entries.map(\.account) ?? []
        return local + (try sharedAccounts(besides: local))
    }

    /// The one set with `pec auth default`, else the local one logged in first, else the first shared
    /// one; nil when none is saved.
    public func defaultAccount() throws(PECError) -> Account? {
        try defaultAccount(in: try load() ?? CredentialsDocument())
    }

    private func defaultAccount(in document: CredentialsDocument) throws(PECError) -> Account? {
        let local = document.entries.map(\.account)
        if let name = document.explicitDefault {
            if let index = document.index(named: name) { return local[index] }
            if shared != nil,
                let team = try sharedAccounts(besides: local).first(where: {
                    CredentialsDocument.sameName($0.name, name)
                })
            {
                return team
            }
        }
        if let first = local.first { return first }
        return try sharedAccounts(besides: local).first
    }

    /// The account `--account NAME` names (nil = the default). Matches the name, then the name or the
    /// address ignoring case: among the local accounts first, then among the shared ones.
    public func account(named name: String?) throws(PECError) -> Account {
        let document = try load() ?? CredentialsDocument()
        guard let name else {
            guard let account = try defaultAccount(in: document) else { throw Self.noAccount }
            return account
        }
        let local = document.entries.map(\.account)
        if let index = try Self.match(name, in: local) { return local[index] }
        // Only now the database: a local account is found without it.
        let team = try sharedAccounts(besides: local)
        if let index = try Self.match(name, in: team) { return team[index] }
        throw Self.notFound(name, known: local + team)
    }

    /// The shared accounts but those a local account of the same name hides; none without `PEC_LEDGER_URL`.
    private func sharedAccounts(besides local: [Account]) throws(PECError) -> [Account] {
        guard let shared else { return [] }
        return try shared.accounts().filter { team in
            !local.contains { CredentialsDocument.sameName($0.name, team.name) }
        }
    }

    /// The shared accounts, or why there are none here.
    private func sharedStore(for account: Account) throws(PECError) -> SharedAccounts {
        guard let shared else {
            throw PECError(
                .usage,
                "\(account.name) is a shared account, and shared accounts live in a PostgreSQL ledger: "
                    + "PEC_LEDGER_URL is not set",
                hint: "set PEC_LEDGER_URL to the team's postgresql:// URL"
            )
        }
        return shared
    }

    /// The password of a saved account, from wherever it was saved.
    public func password(for account: Account) throws(PECError) -> String {
        switch account.passwordStorage {
        case .file: try filePassword(for: account)
        case .keyring: try keyringPassword(for: account)
        case .command:
            try PasswordCommand(account.passwordCommand ?? "").password(
                for: account.name,
                timeout: try PasswordCommand.timeout(environment: environment)
            )
        case .shared: try sharedStore(for: account).password(for: account)
        }
    }

    private func filePassword(for account: Account) throws(PECError) -> String {
        let document = try load() ?? CredentialsDocument()
        guard let index = document.index(named: account.name),
            let token = document.entries[index].passwordEnc, !token.isEmpty
        else {
            throw PECError(
                .notAuthenticated,
                "no saved password for \(account.name) in \(credentialsFile.path)",
                remedy: .login(address: account.address)
            )
        }
        guard let keyText = try SecureFiles.readPrivate(keyFile) else {
            throw PECError(
                .notAuthenticated,
                "the saved password for \(account.name) cannot be decrypted: \(keyFile.path) is missing",
                remedy: .login(address: account.address)
            )
        }
        do throws(Fernet.Failure) {
            let fernet = try Fernet(key: String(decoding: keyText, as: UTF8.self))
            let plaintext = try fernet.decrypt(token)
            guard let password = String(bytes: plaintext, encoding: .utf8) else { throw Fernet.Failure.invalidToken }
            return password
        } catch {
            let why =
                switch error {
                case .invalidKey: "\(keyFile.path) does not hold a valid key"
                case .invalidToken:
                    "it does not match the key in \(keyFile.path) (the key was replaced or the file altered)"
                case .crypto(let message): message
                }
            throw PECError(
                .notAuthenticated,
                "the saved password for \(account.name) cannot be decrypted: \(why)",
                remedy: .login(address: account.address)
            )
        }
    }

    private func keyringPassword(for account: Account) throws(PECError) -> String {
        let keyring = SecretServiceKeyring(environment: environment)
        let unreachableHint =
            "unlock or start your keyring (it needs a desktop or D-Bus session), or log in again "
            + "(without a keyring the password is saved encrypted in \(directory.path))"
        let availability = keyring.availability()
        if case .unavailable(let why) = availability {
            throw PECError(
                .notAuthenticated,
                "the password of \(account.name) is in the system keyring, which cannot be reached: \(why)",
                hint: unreachableHint,
                remedy: .login(address: account.address)
            )
        }
        let found: String?
        do {
            found = try keyring.lookup(address: account.address)
        } catch {
            throw PECError(
                .notAuthenticated,
                "the password of \(account.name) cannot be read from the system keyring: \(error.message)",
                hint: unreachableHint,
                remedy: .login(address: account.address)
            )
        }
        guard let password = found else {
            throw PECError(
                .notAuthenticated,
                "the system keyring has no password for \(account.address) (service \(SecretServiceKeyring.service)), "
                    + "or it is locked",
                hint: "unlock your keyring",
                remedy: .login(address: account.address)
            )
        }
        return password
    }

    // MARK: Writing

    /// Saves an account and its password: in the keyring when one answers and gives the password back,
    /// else encrypted in credentials.json; for an account with a password command, only the command;
    /// for a `.shared` account, in the team's ledger (``SharedAccounts``). An account with the same name
    /// is replaced (keeping its place in the login order). Returns where the password went.
    @discardableResult
    public func save(_ account: Account, password: String) throws(PECError) -> PasswordStorage {
        try Self.validate(account)
        guard !password.isEmpty else { throw PECError(.invalidInput, "the password is empty") }
        if account.passwordStorage == .shared {
            try sharedStore(for: account).save(account, password: password)
            return .shared
        }
        let mode = try storeMode()
        return try withLock(create: true) { () throws(PECError) -> PasswordStorage in
            var document = try load() ?? CredentialsDocument()
            let keyring = SecretServiceKeyring(environment: environment)

            var storage = account.passwordStorage == .command ? PasswordStorage.command : .file
            if storage != .command, mode != .file {
                var why: String
                switch keyring.availability() {
                case .unavailable(let reason):
                    why = reason
                case .running, .activatable:
                    why = ""
                    do throws(SecretServiceKeyring.Failure) {
                        try keyring.store(password: password, for: account.address, label: Self.label(account.address))
                        if try keyring.lookup(address: account.address) == password {
                            storage = .keyring
                        } else {
                            why = "the Secret Service did not give the password back"
                        }
                    } catch {
                        why = error.message
                    }
                }
                if storage != .keyring && mode == .keyring {
                    throw PECError(
                        .io,
                        "cannot save the password in the system keyring: \(why)",
                        hint: "unset PEC_CREDENTIAL_STORE (or set it to file) to save it encrypted in \(directory.path)"
                    )
                }
            }

            var entry = CredentialsDocument.Entry(account: account)
            entry.account.passwordStorage = storage
            if storage != .command { entry.account.passwordCommand = nil }
            if storage == .file {
                let fernet = try loadOrCreateKey()
                do {
                    entry.passwordEnc = try fernet.encrypt(Array(password.utf8))
                } catch {
                    throw PECError(.internal, "cannot encrypt the password: \(error)")
                }
            }
            var replaced: CredentialsDocument.Entry?
            if let index = document.index(named: account.name) {
                replaced = document.entries[index]
                entry.extra = document.entries[index].extra
                document.entries[index] = entry
            } else {
                document.entries.append(entry)
            }
            try write(document)

            // The replaced account's keyring item, when nothing uses it any more (best effort).
            if let old = replaced?.account, old.passwordStorage == .keyring,
                storage != .keyring || old.address.lowercased() != account.address.lowercased(),
                !document.entries.contains(where: {
                    $0.account.passwordStorage == .keyring && $0.account.address == old.address
                }),
                keyring.availability().isAvailable
            {
                _ = try? keyring.clear(address: old.address)
            }
            return storage
        }
    }

    /// Removes an account: its keyring item and its data. credentials.json and key.bin are deleted
    /// when no account is left (key.bin as soon as no account uses it). A name no local account has
    /// is looked for among the shared accounts, and removed from the team's ledger.
    @discardableResult
    public func remove(named name: String) throws(PECError) -> Removal {
        try withLock { () throws(PECError) -> Removal in
            var document = try load(lenient: true) ?? CredentialsDocument()
            let local = document.entries.map(\.account)
            guard let index = try Self.match(name, in: local) else {
                return try removeShared(named: name, document: document)
            }
            let account = document.entries.remove(at: index).account
            if let explicit = document.explicitDefault, CredentialsDocument.sameName(explicit, account.name) {
                document.explicitDefault = nil
            }
            var removal = Removal(account: account, keyringItemRemoved: false)
            let stillUsed = document.entries.contains {
                $0.account.passwordStorage == .keyring && $0.account.address == account.address
            }
            if !stillUsed {
                // Like the Python pec-cli's logout, the item goes even for a file account (a stale one
                // from an earlier login), but a keyring that is not running is only woken for a
                // keyring account.
                let keyring = SecretServiceKeyring(environment: environment)
                let availability = keyring.availability()
                let tryKeyring = availability == .running || account.passwordStorage == .keyring
                if tryKeyring {
                    if case .unavailable(let why) = availability {
                        removal.keyringWarning = "the keyring item of \(account.address) was not removed: \(why)"
                    } else {
                        do throws(SecretServiceKeyring.Failure) {
                            removal.keyringItemRemoved = try keyring.clear(address: account.address)
                        } catch {
                            removal.keyringWarning =
                                "the keyring item of \(account.address) was not removed: \(error.message)"
                        }
                    }
                }
            }
            try write(document)
            if !document.entries.contains(where: { $0.account.address.lowercased() == account.address.lowercased() }) {
                LoginHistory(environment: environment).forget(account.address)
                FolderNameCache(environment: environment).forget(account.address)
            }
            return removal
        }
    }

    private func removeShared(named name: String, document: CredentialsDocument) throws(PECError) -> Removal {
        let local = document.entries.map(\.account)
        let team = try sharedAccounts(besides: local)
        guard let shared, let index = try Self.match(name, in: team) else {
            throw Self.notFound(name, known: local + team)
        }
        let account = team[index]
        _ = try shared.remove(named: account.name)
        if let explicit = document.explicitDefault, CredentialsDocument.sameName(explicit, account.name) {
            var document = document
            document.explicitDefault = nil
            try write(document)
        }
        return Removal(account: account, keyringItemRemoved: false)
    }

    /// Writes a new key for shared accounts to `url` (mode 0600), never over an existing file
    /// (`pec auth keygen`).
    public static func createSharedKey(at url: URL) throws(PECError) {
        try SharedAccounts.createKey(at: url)
    }

    /// Makes an account the default (`pec auth default NAME`); a shared one is remembered in
    /// credentials.json, which then may list no local account.
    public func setDefault(named name: String) throws(PECError) {
        let target = try account(named: name)
        try withLock(create: true) { () throws(PECError) in
            var document = try load() ?? CredentialsDocument()
            document.explicitDefault = target.name
            try write(document)
        }
    }

    // MARK: Files

    private func load(lenient: Bool = false) throws(PECError) -> CredentialsDocument? {
        guard let data = try SecureFiles.readPrivate(credentialsFile) else { return nil }
        return try CredentialsDocument(data: data, path: credentialsFile.path, lenient: lenient)
    }

    private func write(_ document: CredentialsDocument) throws(PECError) {
        if document.entries.isEmpty && document.explicitDefault == nil {
            try SecureFiles.remove(credentialsFile)
            try SecureFiles.remove(keyFile)
            return
        }
        try SecureFiles.ensureDirectory(directory)
        try SecureFiles.writeAtomically(try document.encoded(), to: credentialsFile)
        if !document.entries.contains(where: { $0.account.passwordStorage == .file }) {
            try SecureFiles.remove(keyFile)
        }
    }

    /// The key in key.bin, created (0600) when missing. An existing key is kept: the passwords
    /// already saved, by us or by the Python pec-cli, are encrypted with it.
    private func loadOrCreateKey() throws(PECError) -> Fernet {
        if let data = try SecureFiles.readPrivate(keyFile) {
            do {
                return try Fernet(key: String(decoding: data, as: UTF8.self))
            } catch {
                throw PECError(
                    .io,
                    "\(keyFile.path) does not hold a valid Fernet key",
                    hint: "delete it, then log in again for each account saved in a file",
                    remedy: .login(address: nil)
                )
            }
        }
        try SecureFiles.ensureDirectory(directory)
        do {
            let text = try Fernet.generateKey()
            try SecureFiles.writeAtomically(Data(text.utf8), to: keyFile)
            return try Fernet(key: text)
        } catch let error as PECError {
            throw error
        } catch {
            throw PECError(.internal, "cannot create a key: \(error)")
        }
    }

    /// Serialises read-modify-write cycles between pec processes: flock on the directory itself, so no
    /// lock file is left behind. `create`: make the directory first (for saving).
    private func withLock<T>(create: Bool = false, _ body: () throws(PECError) -> T) throws(PECError) -> T {
        if create { try SecureFiles.ensureDirectory(directory) }
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return try body() }  // no directory yet: nothing to race on
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    // MARK: Names

    static let noAccount = PECError(.notAuthenticated, "no PEC account is saved", remedy: .login(address: nil))

    /// The account `name` names in `accounts`: the exact name, else the one whose name or address
    /// matches ignoring case; nil when none does.
    private static func match(_ name: String, in accounts: [Account]) throws(PECError) -> Int? {
        if let exact = accounts.firstIndex(where: { $0.name == name }) { return exact }
        let matches = accounts.indices.filter {
            CredentialsDocument.sameName(accounts[$0].name, name)
                || CredentialsDocument.sameName(accounts[$0].address, name)
        }
        guard matches.count > 1 else { return matches.first }
        let names = matches.map { accounts[$0].name }.joined(separator: ", ")
        throw PECError(.invalidInput, "\(name) matches several accounts: \(names)", hint: "use the exact name")
    }

    private static func notFound(_ name: String, known accounts: [Account]) -> PECError {
        guard !accounts.isEmpty else { return noAccount }
        return PECError(
            .notAuthenticated,
            "no saved account is named \(name); saved: \(accounts.map(\.name).joined(separator: ", "))",
            remedies: [.chooseAccount, .login(address: nil)]
        )
    }

    static func validate(_ account: Account) throws(PECError) {
        let name = account.name
        guard !name.isEmpty, name.count <= 200, !name.hasPrefix("-"),
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }),
            name.trimmingCharacters(in: .whitespaces) == name
        else {
            throw PECError(
                .invalidInput,
                "\"\(name)\" cannot be an account name",
                hint: "use 1 to 200 characters, without control characters, leading or trailing spaces or a leading -"
            )
        }
        let address = account.address
        guard let parsed = try? PECAddress(address), parsed.hasQualifiedDomain else {
            throw PECError(.invalidInput, "\"\(address)\" is not an e-mail address")
        }
        if account.passwordStorage == .command { _ = try PasswordCommand(account.passwordCommand ?? "") }
    }

    static func label(_ address: String) -> String {
        // The label Python's `keyring` gives its items.
        "Password for '\(address)' on '\(SecretServiceKeyring.service)'"
    }
}
