import Foundation
import Testing

@testable import PECCore

/// One team: a PostgreSQL ledger of its own (a schema of the test database) and a key file; each
/// ``machine(keyFile:)`` is a private HOME that reaches them through the environment, as pec would.
final class SharedAccountsTeam: Sendable {
    let ledger: LedgerSandbox
    let keyFile: URL

    init() throws {
        ledger = try LedgerSandbox(store: .postgres)
        keyFile = ledger.root.appendingPathComponent("team.key")
        try AccountStore.createSharedKey(at: keyFile)
    }

    /// A machine of the team without a keyring (local passwords go to the file store); `keyFile` nil:
    /// PEC_SECRET_KEY_FILE unset.
    func machine(keyFile: URL?? = .none) throws -> CredentialsSandbox {
        var extra = ["PEC_LEDGER_URL": try ledger.postgresURL, "PEC_CREDENTIAL_STORE": "file"]
        if let path = (keyFile ?? self.keyFile)?.path { extra["PEC_SECRET_KEY_FILE"] = path }
        return try CredentialsSandbox(extra: extra)
    }

    /// The rows of `shared_accounts`, read straight from the database.
    func rows() throws -> [SharedAccountRow] {
        try ledger.open().sharedAccountRows()
    }
}

func sharedAccount(_ address: String, name: String? = nil) -> Account {
    var account = arubaAccount(address, name: name)
    account.passwordStorage = .shared
    return account
}

@Suite("Shared accounts in the PostgreSQL ledger (pec auth login --shared)", .postgresAvailable)
struct SharedAccountsTests {
    static let password = "Tr0ppo-s3greta!"

    @Test("saved by one machine, read by another: the password decrypts; the database holds neither it nor the key")
    func roundTrip() throws {
        let team = try SharedAccountsTeam()
        let first = try team.machine()
        #expect(
            try first.store.save(sharedAccount("ufficio@pec.it", name: "ufficio"), password: Self.password) == .shared
        )
        #expect(!FileManager.default.fileExists(atPath: first.credentialsFile.path), "nothing is saved locally")

        let second = try team.machine()
        let accounts = try second.store.accounts()
        #expect(accounts == [sharedAccount("ufficio@pec.it", name: "ufficio")])
        #expect(try second.store.account(named: "UFFICIO@pec.it").name == "ufficio")
        #expect(try second.store.defaultAccount()?.name == "ufficio")
        #expect(try second.store.password(for: accounts[0]) == Self.password)

        let rows = try team.rows()
        #expect(rows.count == 1)
        let key = try String(contentsOf: team.keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        for column in [rows[0].name, rows[0].address, rows[0].entry, rows[0].passwordEnc ?? ""] {
            #expect(!column.contains(Self.password), "the plaintext password is in the database")
            #expect(!column.contains(key), "the key is in the database")
        }
        #expect(rows[0].passwordEnc?.isEmpty == false)
        let entry = try #require(try JSONSerialization.jsonObject(with: Data(rows[0].entry.utf8)) as? [String: Any])
        #expect(entry["address"] as? String == "ufficio@pec.it")
        #expect(entry["password_storage"] as? String == "shared")
        #expect(entry["password_enc"] == nil)
    }

    @Test("logging in again replaces the shared account, whatever the case of its name")
    func replace() throws {
        let team = try SharedAccountsTeam()
        let store = try team.machine().store
        try store.save(sharedAccount("ufficio@pec.it", name: "ufficio"), password: "old-password")
        try store.save(sharedAccount("ufficio2@pec.it", name: "Ufficio"), password: Self.password)
        let accounts = try store.accounts()
        #expect(accounts.map(\.name) == ["Ufficio"])
        #expect(accounts.map(\.address) == ["ufficio2@pec.it"])
        #expect(try store.password(for: accounts[0]) == Self.password)
    }

    @Test("another key, no key, a key others can read, a file that is no key: a typed error naming PEC_SECRET_KEY_FILE")
    func badKey() throws {
        let team = try SharedAccountsTeam()
        try team.machine().store.save(sharedAccount("ufficio@pec.it", name: "ufficio"), password: Self.password)

        let otherKey = team.ledger.root.appendingPathComponent("other.key")
        try AccountStore.createSharedKey(at: otherKey)
        let readable = team.ledger.root.appendingPathComponent("readable.key")
        try FileManager.default.copyItem(at: team.keyFile, to: readable)
        chmod(readable.path, 0o644)
        let notAKey = team.ledger.root.appendingPathComponent("not-a.key")
        try SecureFiles.writeAtomically(Data("hello\n".utf8), to: notAKey)
        let missing = team.ledger.root.appendingPathComponent("missing.key")

        let cases: [(URL?, String)] = [
            (otherKey, "not the key the account was saved with"),
            (nil, "PEC_SECRET_KEY_FILE is not set"),
            (readable, "chmod 600"),
            (notAKey, "does not hold a Fernet key"),
            (missing, "does not exist"),
        ]
        for (keyFile, problem) in cases {
            let store = try team.machine(keyFile: .some(keyFile)).store
            let account = try store.account(named: "ufficio")
            #expect(account.passwordStorage == .shared, "the account is listed without the key")
            let error = try #require(pecError { try store.password(for: account) })
            #expect(error.kind == .notAuthenticated, "\(problem)")
            #expect(error.message.contains("PEC_SECRET_KEY_FILE"), "\(error)")
            #expect("\(error.message) \(error.hint ?? "")".contains(problem), "\(error)")
            #expect(error.remedies.contains(.secretKeyFile), "\(error)")
            #expect(!error.message.contains(Self.password))
        }
    }

    @Test("a local account wins over a shared one of the same name; removing it uncovers the shared one")
    func localWins() throws {
        let team = try SharedAccountsTeam()
        let machine = try team.machine()
        let store = machine.store
        try store.save(sharedAccount("team@pec.it", name: "ufficio"), password: Self.password)
        try store.save(sharedAccount("altro@pec.it", name: "altro"), password: Self.password)
        try store.save(arubaAccount("mio@pec.it", name: "UFFICIO"), password: "local-password")

        let accounts = try store.accounts()
        #expect(accounts.map(\.name) == ["UFFICIO", "altro"])
        #expect(accounts.map(\.passwordStorage) == [.file, .shared])
        let chosen = try store.account(named: "ufficio")
        #expect(chosen.address == "mio@pec.it")
        #expect(try store.password(for: chosen) == "local-password")

        // Logout of the name removes the local account only.
        let removal = try store.remove(named: "ufficio")
        #expect(removal.account.passwordStorage == .file)
        #expect(try team.rows().map(\.name).sorted() == ["altro", "ufficio"])
        let uncovered = try store.account(named: "ufficio")
        #expect(uncovered.passwordStorage == .shared && uncovered.address == "team@pec.it")
    }

    @Test("logout of a shared account removes it from the ledger, for every machine")
    func logout() throws {
        let team = try SharedAccountsTeam()
        let first = try team.machine()
        let second = try team.machine()
        try first.store.save(sharedAccount("ufficio@pec.it", name: "ufficio"), password: Self.password)
        try first.store.save(sharedAccount("altro@pec.it", name: "altro"), password: Self.password)
        #expect(try second.store.accounts().count == 2)

        let removal = try second.store.remove(named: "UFFICIO")
        #expect(removal.account.name == "ufficio" && removal.account.passwordStorage == .shared)
        #expect(try team.rows().map(\.name) == ["altro"])
        #expect(try first.store.accounts().map(\.name) == ["altro"])
        let error = try #require(pecError { try first.store.account(named: "ufficio") })
        #expect(error.kind == .notAuthenticated)
        #expect(error.message.contains("saved: altro"), "\(error)")
    }

    @Test("pec auth default may name a shared account, on a machine with no local account")
    func defaultShared() throws {
        let team = try SharedAccountsTeam()
        let machine = try team.machine()
        try machine.store.save(sharedAccount("altro@pec.it", name: "altro"), password: Self.password)
        try machine.store.save(sharedAccount("ufficio@pec.it", name: "ufficio"), password: Self.password)
        #expect(try machine.store.defaultAccount()?.name == "altro")
        try machine.store.setDefault(named: "ufficio")
        #expect(try machine.json()["default"] as? String == "ufficio")
        #expect(try machine.store.defaultAccount()?.name == "ufficio")
        #expect(try machine.store.account(named: nil).name == "ufficio")
        // Logging it out forgets the default, and with it the file that held only that.
        try machine.store.remove(named: "ufficio")
        #expect(try machine.store.account(named: nil).name == "altro")
        #expect(!FileManager.default.fileExists(atPath: machine.credentialsFile.path))
    }

    @Test("two contexts (two processes' worth) see the same shared account; a context opens one ledger")
    func twoContexts() throws {
        let team = try SharedAccountsTeam()
        let first = try team.machine()
        let second = try team.machine()
        let writer = try PECContext(environment: first.environment)
        try writer.store.save(sharedAccount("ufficio@pec.it", name: "ufficio"), password: Self.password)

        let reader = try PECContext(environment: second.environment, account: "ufficio")
        #expect(reader.store.shared?.openedLedger == nil, "nothing is opened before it is needed")
        #expect(try reader.account().passwordStorage == .shared)
        let opened = try #require(reader.store.shared?.openedLedger)
        #expect(opened === (try reader.ledger()), "the accounts and the sends share the context's ledger")
        #expect(reader.forAccount("ufficio").store.shared?.openedLedger === opened)
        #expect(try reader.store.password(for: try reader.account()) == Self.password)
        #expect(try reader.forAccount("ufficio").account().address == "ufficio@pec.it")
        let status = try AuthService(store: reader.store).status(account: nil)
        #expect(status.map(\.shared) == [true])
        #expect(status.map(\.passwordStorage) == ["shared"])
    }
}

@Suite("Shared accounts: what needs no database")
struct SharedAccountsOfflineTests {
    @Test("without PEC_LEDGER_URL there are no shared accounts and nothing to open")
    func noLedger() throws {
        let box = try CredentialsSandbox(extra: ["PEC_CREDENTIAL_STORE": "file"])
        #expect(box.store.shared == nil)
        try box.store.save(arubaAccount("mio@pec.it"), password: "pw")
        #expect(try box.store.accounts().map(\.passwordStorage) == [.file])
        let error = try #require(pecError { try box.store.save(sharedAccount("ufficio@pec.it"), password: "pw") })
        #expect(error.kind == .usage && error.message.contains("PEC_LEDGER_URL"), "\(error)")
    }

    @Test("a local account is found by name without touching the database (here: nothing listens)")
    func localWithoutDatabase() throws {
        let box = try CredentialsSandbox(extra: [
            "PEC_CREDENTIAL_STORE": "file", "PEC_LEDGER_URL": "postgresql://pec@127.0.0.1:9/none",
        ])
        try box.store.save(arubaAccount("mio@pec.it"), password: "pw")
        #expect(try box.store.account(named: "mio@pec.it").passwordStorage == .file)
        #expect(try box.store.password(for: try box.store.account(named: "mio@pec.it")) == "pw")
        #expect(pecError { try box.store.accounts() } != nil, "listing every account needs the database")
    }

    @Test("login --shared: without PEC_LEDGER_URL, with a password command, without a usable key: usage errors")
    func loginRefusals() throws {
        let root = try CredentialsSandbox()
        let keyFile = root.root.appendingPathComponent("team.key")
        try AccountStore.createSharedKey(at: keyFile)
        let request = LoginRequest(address: "ufficio@pec.it", provider: "aruba", shared: true)
        let ledger = "postgresql://pec@127.0.0.1:9/none"

        let cases: [([String: String], LoginRequest, String)] = [
            (["PEC_SECRET_KEY_FILE": keyFile.path], request, "PEC_LEDGER_URL is not set"),
            (["PEC_LEDGER_URL": ledger], request, "PEC_SECRET_KEY_FILE is not set"),
            (
                ["PEC_LEDGER_URL": ledger, "PEC_SECRET_KEY_FILE": root.root.appendingPathComponent("none").path],
                request, "does not exist"
            ),
            (
                ["PEC_LEDGER_URL": ledger, "PEC_SECRET_KEY_FILE": keyFile.path],
                LoginRequest(address: "ufficio@pec.it", provider: "aruba", passwordCommand: "echo pw", shared: true),
                "--password-command cannot be used with --shared"
            ),
        ]
        for (extra, request, problem) in cases {
            let box = try CredentialsSandbox(extra: extra)
            let error = try #require(pecError { try AuthService(store: box.store).prepare(request) })
            #expect(error.kind == .usage, "\(error)")
            #expect(error.message.contains(problem), "\(error)")
        }
        let box = try CredentialsSandbox(extra: ["PEC_LEDGER_URL": ledger, "PEC_SECRET_KEY_FILE": keyFile.path])
        #expect(try AuthService(store: box.store).prepare(request).passwordStorage == .shared)
    }

    @Test("pec auth keygen: a 0600 file with a Fernet key, never written over")
    func keygen() throws {
        let box = try CredentialsSandbox()
        let keyFile = box.root.appendingPathComponent("team.key")
        try AccountStore.createSharedKey(at: keyFile)
        #expect(box.mode(keyFile) == 0o600)
        let key = try String(contentsOf: keyFile, encoding: .utf8)
        _ = try Fernet(key: key)
        let error = try #require(pecError { try AccountStore.createSharedKey(at: keyFile) })
        #expect(error.message.contains("exists"))
        #expect(try String(contentsOf: keyFile, encoding: .utf8) == key)
    }

    @Test("credentials.json cannot claim a shared account: those live in the ledger")
    func localFileRefusesShared() throws {
        let box = try CredentialsSandbox()
        try box.writePythonFile(
            "credentials.json",
            """
            {"accounts": [{"name": "x", "address": "x@pec.it", "password_storage": "shared",
              "imap": {"host": "imaps.pec.aruba.it", "port": 993, "security": "tls"},
              "smtp": {"host": "smtps.pec.aruba.it", "port": 465, "security": "tls"}}]}
            """
        )
        let error = try #require(pecError { try box.store.accounts() })
        #expect(error.message.contains("shared"), "\(error)")
    }
}
