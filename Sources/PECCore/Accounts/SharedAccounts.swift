import Foundation

/// The team's accounts, saved by `pec auth login --shared` in the PostgreSQL ledger (`PEC_LEDGER_URL`):
/// each account's entry in a row of `shared_accounts`, its password Fernet-encrypted (the format of the
/// file store) with the key in `PEC_SECRET_KEY_FILE`, which never enters the database. Whoever can
/// read the database and has that file can use the account.
///
/// The ledger is opened on first use and then kept: ``AccountStore`` asks here only when
/// `PEC_LEDGER_URL` is set, so a single user's pec never touches PostgreSQL.
final class SharedAccounts: Sendable {
    /// The environment variable naming the key file.
    static let keyFileVariable = "PEC_SECRET_KEY_FILE"

    let environment: [String: String]
    /// PECContext's, so a process opens one ledger.
    let handle: LedgerHandle

    init(environment: [String: String], ledger handle: LedgerHandle) {
        self.environment = environment
        self.handle = handle
    }

    /// Whether `environment` selects a PostgreSQL ledger, the only place shared accounts live.
    static func isConfigured(_ environment: [String: String]) -> Bool {
        environment["PEC_LEDGER_URL"]?.isEmpty == false
    }

    /// The ledger once opened, else nil (without opening it).
    var openedLedger: SendLedger? { handle.openedLedger }

    private func ledger() throws(PECError) -> SendLedger { try handle.ledger() }

    // MARK: Reading

    /// Every shared account, by name. A row this pec cannot read is skipped rather than hiding the others.
    func accounts() throws(PECError) -> [Account] {
        try ledger().sharedAccountRows().compactMap { try? Self.account(from: $0) }
    }

    /// The password of the shared account `account`, decrypted with the key of `PEC_SECRET_KEY_FILE`.
    func password(for account: Account) throws(PECError) -> String {
        guard let row = try ledger().sharedAccountRow(named: account.name), let token = row.passwordEnc, !token.isEmpty
        else {
            throw PECError(
                .notAuthenticated,
                "no shared password for \(account.name) in the team's ledger (it was removed meanwhile?)",
                remedy: .login(address: account.address)
            )
        }
        let key = try Self.key(environment, kind: .notAuthenticated, using: account.name)
        do throws(Fernet.Failure) {
            guard let password = String(bytes: try key.fernet.decrypt(token), encoding: .utf8) else {
                throw Fernet.Failure.invalidToken
            }
            return password
        } catch {
            throw PECError(
                .notAuthenticated,
                "the shared password of \(account.name) cannot be decrypted with the key in \(Self.keyFileVariable) "
                    + "(\(key.path)): it is not the key the account was saved with",
                hint: "use the team's key file, or log in again with --shared to save the password with this key",
                remedies: [.secretKeyFile, .login(address: account.address)]
            )
        }
    }

    // MARK: Writing

    /// Saves `account` for the team with `password` encrypted; one of the same name is replaced.
    func save(_ account: Account, password: String) throws(PECError) {
        let key = try Self.key(environment, kind: .usage, using: nil)
        var entry = account
        entry.passwordStorage = .shared
        entry.passwordCommand = nil
        let token: String
        let json: Data
        do {
            token = try key.fernet.encrypt(Array(password.utf8))
            json = try JSONEncoder().encode(entry)
        } catch {
            throw PECError(.internal, "cannot prepare the shared account \(account.name): \(error)")
        }
        try ledger().saveSharedAccount(
            SharedAccountRow(
                name: account.name,
                address: account.address,
                entry: String(decoding: json, as: UTF8.self),
                passwordEnc: token,
                updatedAt: Date()
            )
        )
    }

    /// Removes the shared account `name`; false when there is none.
    func remove(named name: String) throws(PECError) -> Bool {
        try ledger().removeSharedAccount(named: name)
    }

    // MARK: Rows

    /// The account a row holds, always with `.shared` storage and the row's name.
    static func account(from row: SharedAccountRow) throws -> Account {
        var account = try JSONDecoder().decode(Account.self, from: Data(row.entry.utf8))
        account.name = row.name
        account.passwordStorage = .shared
        account.passwordCommand = nil
        return account
    }

    // MARK: The key

    /// The Fernet key of `PEC_SECRET_KEY_FILE`: a private file (mode 0600) holding 32 url-safe-base64
    /// bytes, as `pec auth keygen` writes. Each problem is a `kind` error naming the variable and what to do;
    /// `account`: the account whose password is wanted, for the message.
    static func key(_ environment: [String: String], kind: PECError.Kind, using account: String?) throws(PECError)
        -> (fernet: Fernet, path: String)
    {
        let purpose = account.map { "the shared password of \($0) cannot be decrypted: " } ?? ""
        guard let path = environment[keyFileVariable], !path.isEmpty else {
            throw PECError(
                kind,
                purpose + "\(keyFileVariable) is not set; shared accounts need the team's key file",
                remedy: .secretKeyFile
            )
        }
        let url = URL(fileURLWithPath: path)
        let data: Data?
        do {
            data = try SecureFiles.readPrivate(url)
        } catch {
            throw PECError(
                kind,
                purpose + "\(keyFileVariable): \(error.message)",  // the message names the file
                hint: error.hint,
                remedy: .secretKeyFile
            )
        }
        guard let data else {
            throw PECError(
                kind,
                purpose + "\(keyFileVariable) names \(path), which does not exist",
                remedy: .secretKeyFile
            )
        }
        do {
            return (try Fernet(key: String(decoding: data, as: UTF8.self)), path)
        } catch {
            throw PECError(
                kind,
                purpose + "\(keyFileVariable) (\(path)) does not hold a Fernet key (32 url-safe base64 bytes)",
                remedy: .secretKeyFile
            )
        }
    }

    /// Writes a new key to `url` (mode 0600, atomically), refusing to replace a file: a team's key replaced
    /// is every shared password lost.
    static func createKey(at url: URL) throws(PECError) {
        if FileManager.default.fileExists(atPath: url.path) {
            throw PECError(
                .usage,
                "\(url.path) exists; pec does not replace a key file",
                hint: "choose another path, or delete it first if no shared account uses it"
            )
        }
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw PECError(.io, "cannot create \(url.path): \(directory.path) is not a directory")
        }
        let key: String
        do {
            key = try Fernet.generateKey()
        } catch {
            throw PECError(.internal, "cannot create a key: \(error)")
        }
        try SecureFiles.writeAtomically(Data((key + "\n").utf8), to: url)
    }
}
