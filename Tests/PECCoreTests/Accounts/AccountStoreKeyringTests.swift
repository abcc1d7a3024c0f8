import Foundation
import Testing

@testable import PECCore

/// The Secret Service path, against a real gnome-keyring in a private D-Bus session:
///     scripts/with-keyring.sh env PEC_KEYRING_TEST=1 swift test
/// Items are checked with `secret-tool`, which sees them as Python's `keyring` does
/// (schema org.freedesktop.Secret.Generic, attributes service + username).
@Suite(
    "AccountStore with a Secret Service",
    .enabled(
        if: ProcessInfo.processInfo.environment["PEC_KEYRING_TEST"] == "1",
        "needs a Secret Service: run `scripts/with-keyring.sh env PEC_KEYRING_TEST=1 swift test`"
    )
)
struct AccountStoreKeyringTests {
    /// A unique address per test: the tests share one keyring and run in parallel.
    private static func address(_ label: String) -> String {
        "\(label)-\(UUID().uuidString.prefix(8).lowercased())@pec.it"
    }

    private static func secretToolLookup(_ address: String) throws -> String? {
        let result = try runProcess(
            "/usr/bin/secret-tool",
            ["lookup", "service", "mayai-cli-pec", "username", address]
        )
        return result.status == 0 ? result.output : nil
    }

    @Test("the keyring is seen as running")
    func availability() {
        let keyring = SecretServiceKeyring(environment: ProcessInfo.processInfo.environment)
        #expect(keyring.availability() == .running)
    }

    @Test("login stores the password in the keyring, where Python keyring finds it; the file has no password")
    func saveInKeyring() throws {
        let box = try CredentialsSandbox(keyring: true)
        let address = Self.address("save")
        let password = "pässwörd \"quoted\" $HOME"
        #expect(try box.store.save(arubaAccount(address), password: password) == .keyring)
        #expect(try Self.secretToolLookup(address) == password)

        let json = try box.json()
        #expect(json["address"] as? String == address)
        #expect(json["provider"] as? String == "aruba")
        #expect(json["password_storage"] as? String == "keyring")
        #expect(json["password_enc"] == nil)
        let accounts = try #require(json["accounts"] as? [[String: Any]])
        #expect(accounts.count == 1)
        #expect(accounts[0]["password_storage"] as? String == "keyring")
        #expect(accounts[0]["password_enc"] == nil)
        #expect(try box.files() == ["credentials.json"])
        #expect(!(try String(contentsOf: box.credentialsFile, encoding: .utf8)).contains(password))

        let account = try box.store.account(named: nil)
        #expect(account.passwordStorage == .keyring)
        #expect(try box.store.password(for: account) == password)
        try box.store.remove(named: address)
    }

    @Test("logout removes the keyring item and the files")
    func logout() throws {
        let box = try CredentialsSandbox(keyring: true)
        let address = Self.address("logout")
        try box.store.save(arubaAccount(address), password: "bye")
        #expect(try Self.secretToolLookup(address) == "bye")
        let removal = try box.store.remove(named: address)
        #expect(removal.keyringItemRemoved)
        #expect(removal.keyringWarning == nil)
        #expect(try Self.secretToolLookup(address) == nil)
        #expect(try box.files().isEmpty)
    }

    @Test("an item stored like Python keyring does is found for a Python-format credentials.json")
    func pythonKeyringItem() throws {
        let box = try CredentialsSandbox(keyring: true)
        let address = Self.address("python")
        let stored = try runProcess(
            "/usr/bin/secret-tool",
            ["store", "--label=x", "service", "mayai-cli-pec", "username", address],
            stdin: "from-python"
        )
        #expect(stored.status == 0)
        try box.writePythonFile("credentials.json", PythonPecCliFixture.keyringCredentialsJSON(address: address))
        let account = try box.store.account(named: nil)
        #expect(account.passwordStorage == .keyring)
        #expect(account.provider == "legalmail")
        #expect(try box.store.password(for: account) == "from-python")

        // Adding an account keeps the Python keys for the first one.
        let second = Self.address("second")
        try box.store.save(arubaAccount(second), password: "two")
        let json = try box.json()
        #expect(json["address"] as? String == address)
        #expect(json["password_storage"] as? String == "keyring")
        try box.store.remove(named: second)
        try box.store.remove(named: address)
        #expect(try Self.secretToolLookup(address) == nil)
    }

    @Test("a keyring account whose item is gone: notAuthenticated, log in again")
    func itemMissing() throws {
        let box = try CredentialsSandbox(keyring: true)
        let address = Self.address("missing")
        try box.store.save(arubaAccount(address), password: "pw")
        _ = try runProcess("/usr/bin/secret-tool", ["clear", "service", "mayai-cli-pec", "username", address])
        let error = try #require(pecError { try box.store.password(for: box.store.account(named: nil)) })
        #expect(error.kind == .notAuthenticated)
        #expect(error.message.contains(address))
        #expect(error.remedies == [.login(address: address)])
        try box.store.remove(named: address)
    }

    @Test("PEC_CREDENTIAL_STORE=file skips the keyring; a later keyring login replaces it and drops key.bin")
    func forcedFile() throws {
        let box = try CredentialsSandbox(keyring: true, extra: ["PEC_CREDENTIAL_STORE": "file"])
        let address = Self.address("file")
        #expect(try box.store.save(arubaAccount(address), password: "pw") == .file)
        #expect(try Self.secretToolLookup(address) == nil)
        #expect(try box.files() == ["credentials.json", "key.bin"])

        box.environment["PEC_CREDENTIAL_STORE"] = "keyring"
        #expect(try box.store.save(arubaAccount(address), password: "pw2") == .keyring)
        #expect(try box.files() == ["credentials.json"])
        #expect(try box.store.password(for: box.store.account(named: nil)) == "pw2")
        try box.store.remove(named: address)
        #expect(try Self.secretToolLookup(address) == nil)
    }

    @Test("moving a keyring account to the file clears its keyring item")
    func keyringToFile() throws {
        let box = try CredentialsSandbox(keyring: true)
        let address = Self.address("move")
        #expect(try box.store.save(arubaAccount(address), password: "pw") == .keyring)
        box.environment["PEC_CREDENTIAL_STORE"] = "file"
        #expect(try box.store.save(arubaAccount(address), password: "pw3") == .file)
        #expect(try Self.secretToolLookup(address) == nil)
        #expect(try box.store.password(for: box.store.account(named: nil)) == "pw3")
        try box.store.remove(named: address)
    }
}
