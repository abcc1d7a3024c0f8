import Foundation
import Testing

@testable import PECCore

/// The fallback path: no session bus in the environment, so passwords go to the Fernet file.
@Suite("AccountStore without a keyring")
struct AccountStoreFileTests {
    @Test("paths: $XDG_CONFIG_HOME/mayai-cli/pec, else $HOME/.config/mayai-cli/pec; a relative XDG value is ignored")
    func directory() {
        #expect(
            AccountStore(environment: ["XDG_CONFIG_HOME": "/x/cfg", "HOME": "/h"]).directory.path
                == "/x/cfg/mayai-cli/pec"
        )
        #expect(AccountStore(environment: ["HOME": "/h"]).directory.path == "/h/.config/mayai-cli/pec")
        #expect(
            AccountStore(environment: ["XDG_CONFIG_HOME": "cfg", "HOME": "/h"]).directory.path
                == "/h/.config/mayai-cli/pec"
        )
    }

    @Test("save, list, password, remove: 0700 directory, 0600 files, nothing else left behind")
    func roundTrip() throws {
        let box = try CredentialsSandbox()
        let store = box.store
        #expect(try store.accounts().isEmpty)
        #expect(try store.defaultAccount() == nil)

        let started = Date()
        let storage = try store.save(arubaAccount("mia@pec.it"), password: "s3cret")
        #expect(Date().timeIntervalSince(started) < 2, "deciding there is no keyring must not wait")
        #expect(storage == .file)

        var expected = arubaAccount("mia@pec.it")
        expected.passwordStorage = .file
        #expect(try store.accounts() == [expected])
        #expect(try store.defaultAccount() == expected)
        #expect(try store.account(named: nil) == expected)
        #expect(try store.password(for: expected) == "s3cret")

        #expect(box.mode(box.directory) == 0o700)
        #expect(box.mode(box.credentialsFile) == 0o600)
        #expect(box.mode(box.keyFile) == 0o600)
        #expect(try box.files() == ["credentials.json", "key.bin"])
        let key = try String(contentsOf: box.keyFile, encoding: .utf8)
        #expect(key.count == 44)
        #expect(!(try String(contentsOf: box.credentialsFile, encoding: .utf8)).contains("s3cret"))

        let removal = try store.remove(named: "mia@pec.it")
        #expect(removal.account == expected)
        #expect(!removal.keyringItemRemoved)
        #expect(try box.files().isEmpty)
        #expect(try store.accounts().isEmpty)
    }

    @Test("the file keeps the Python pec-cli's keys for the default account")
    func pythonKeys() throws {
        let box = try CredentialsSandbox()
        let store = box.store
        try store.save(arubaAccount("first@pec.it"), password: "one")
        try store.save(
            Account(name: "work", address: "second@legalmail.it", preset: ProviderCatalog.preset(id: "legalmail")!),
            password: "two"
        )
        var json = try box.json()
        #expect(json["address"] as? String == "first@pec.it")
        #expect(json["provider"] as? String == "aruba")
        #expect(json["password_storage"] as? String == "fernet")
        let key = try Fernet(key: String(contentsOf: box.keyFile, encoding: .utf8))
        var token = try #require(json["password_enc"] as? String)
        #expect(try key.decrypt(token) == Array("one".utf8))
        #expect(json["default"] == nil)
        let accounts = try #require(json["accounts"] as? [[String: Any]])
        #expect(accounts.map { $0["name"] as? String } == ["first@pec.it", "work"])
        let imap = try #require(accounts[1]["imap"] as? [String: Any])
        #expect(imap["host"] as? String == "mbox.cert.legalmail.it")
        #expect(imap["port"] as? Int == 993)
        #expect(imap["security"] as? String == "tls")

        try store.setDefault(named: "work")
        json = try box.json()
        #expect(json["default"] as? String == "work")
        #expect(json["address"] as? String == "second@legalmail.it")
        #expect(json["provider"] as? String == "legalmail")
        token = try #require(json["password_enc"] as? String)
        #expect(try key.decrypt(token) == Array("two".utf8))
    }

    @Test("several accounts: login order, default = first or the one set, --account by name or address")
    func multipleAccounts() throws {
        let box = try CredentialsSandbox()
        let store = box.store
        try store.save(arubaAccount("a@pec.it"), password: "pa")
        try store.save(arubaAccount("b@pec.it", name: "bee"), password: "pb")
        try store.save(arubaAccount("c@pec.it"), password: "pc")
        #expect(try store.accounts().map(\.name) == ["a@pec.it", "bee", "c@pec.it"])
        #expect(try store.defaultAccount()?.name == "a@pec.it")

        #expect(try store.account(named: "bee").address == "b@pec.it")
        #expect(try store.account(named: "BEE").address == "b@pec.it")
        #expect(try store.account(named: "B@PEC.IT").name == "bee")
        #expect(try store.password(for: store.account(named: "c@pec.it")) == "pc")

        let unknown = try #require(pecError { try store.account(named: "zed") })
        #expect(unknown.kind == .notAuthenticated)
        #expect(unknown.message.contains("a@pec.it, bee, c@pec.it"))

        try store.setDefault(named: "c@pec.it")
        #expect(try store.defaultAccount()?.name == "c@pec.it")
        #expect(try store.account(named: nil).name == "c@pec.it")

        // Logging in again replaces the account in place and keeps the default.
        var again = arubaAccount("b@pec.it", name: "bee")
        again.timeoutSeconds = 90
        try store.save(again, password: "pb2")
        #expect(try store.accounts().map(\.name) == ["a@pec.it", "bee", "c@pec.it"])
        #expect(try store.account(named: "bee").timeoutSeconds == 90)
        #expect(try store.password(for: store.account(named: "bee")) == "pb2")
        #expect(try store.defaultAccount()?.name == "c@pec.it")

        // Removing the default falls back to the oldest.
        try store.remove(named: "c@pec.it")
        #expect(try store.defaultAccount()?.name == "a@pec.it")
        #expect(try box.json()["default"] == nil)
        try store.remove(named: "a@pec.it")
        #expect(try store.defaultAccount()?.name == "bee")
        #expect(try box.json()["address"] as? String == "b@pec.it")
        #expect(try store.password(for: store.account(named: nil)) == "pb2")
        #expect(try box.files() == ["credentials.json", "key.bin"])
        try store.remove(named: "bee")
        #expect(try box.files().isEmpty)
    }

    @Test("no account saved: notAuthenticated, with the remedy to log in")
    func nothingSaved() throws {
        let box = try CredentialsSandbox()
        for name in [nil, "x@pec.it"] {
            let error = try #require(pecError { try box.store.account(named: name) })
            #expect(error.kind == .notAuthenticated)
            #expect(error.remedies == [.login(address: nil)])
        }
        #expect(pecError { try box.store.remove(named: "x") }?.kind == .notAuthenticated)
        #expect(pecError { try box.store.setDefault(named: "x") }?.kind == .notAuthenticated)
    }

    @Test(
        "credentials.json or key.bin readable by others: refused with the exact chmod",
        arguments: [0o644, 0o640, 0o606, 0o620]
    )
    func permissions(mode: Int) throws {
        let box = try CredentialsSandbox()
        try box.store.save(arubaAccount("mia@pec.it"), password: "pw")
        for file in [box.credentialsFile, box.keyFile] {
            chmod(file.path, mode_t(mode))
            let error = try #require(
                pecError {
                    let account = try box.store.account(named: nil)
                    return try box.store.password(for: account)
                }
            )
            #expect(error.kind == .io)
            #expect(error.message.contains(file.path))
            #expect(error.hint == "chmod 600 \(file.path)")
            #expect(pecError { try box.store.save(arubaAccount("x@pec.it"), password: "pw") }?.kind == .io)
            chmod(file.path, 0o600)
        }
        #expect(try box.store.password(for: box.store.account(named: nil)) == "pw")
    }

    @Test("the chmod hint quotes a path with spaces so it can be pasted")
    func quotedHint() throws {
        let box = try CredentialsSandbox()
        box.environment["XDG_CONFIG_HOME"] = box.root.appendingPathComponent("my config").path
        try box.store.save(arubaAccount("mia@pec.it"), password: "pw")
        let file = box.store.credentialsFile.path
        chmod(file, 0o644)
        let error = try #require(pecError { try box.store.accounts() })
        #expect(error.hint == "chmod 600 '\(file)'")
    }

    @Test("writes replace the file by rename (a reader keeps the old, whole file) and leave no temporary file")
    func atomicWrites() throws {
        let box = try CredentialsSandbox()
        try box.store.save(arubaAccount("a@pec.it"), password: "pa")
        let original = try Data(contentsOf: box.credentialsFile)
        // An open descriptor keeps the old inode alive (so its number cannot be reused) and shows
        // whether the file was rewritten in place or replaced.
        let reader = try FileHandle(forReadingFrom: box.credentialsFile)
        defer { try? reader.close() }
        var info = stat()
        fstat(reader.fileDescriptor, &info)
        let before = info.st_ino
        for index in 0..<5 { try box.store.save(arubaAccount("n\(index)@pec.it"), password: "p\(index)") }
        stat(box.credentialsFile.path, &info)
        #expect(info.st_ino != before, "a new file was renamed over the old one")
        #expect(try reader.readToEnd() == original, "the old file was not modified in place")
        #expect(try box.files() == ["credentials.json", "key.bin"])
        #expect(try box.store.accounts().count == 6)
    }

    @Test(
        "a damaged credentials.json is an io error naming the file",
        arguments: [
            "", "{", "[1,2]", "{\"accounts\": 5}", "{\"accounts\": [{\"address\": \"a@pec.it\"}]}",
            "{\"address\": 7}", "{\"address\": \"a@pec.it\", \"provider\": \"aruba\", \"password_storage\": \"vault\"}",
            "{\"accounts\": [], \"default\": 3}",
        ]
    )
    func corrupt(text: String) throws {
        let box = try CredentialsSandbox()
        try box.writePythonFile("credentials.json", text)
        let error = try #require(pecError { try box.store.accounts() })
        #expect(error.kind == .io)
        #expect(error.message.contains(box.credentialsFile.path))
        #expect(pecError { try box.store.save(arubaAccount("b@pec.it"), password: "x") }?.kind == .io)
        #expect(
            try String(contentsOf: box.credentialsFile, encoding: .utf8) == text,
            "a damaged file is not overwritten"
        )
    }

    @Test(
        "a Python pec-cli file (fernet and legacy) loads from its preset and its password decrypts",
        arguments: [true, false]
    )
    func pythonFixture(legacy: Bool) throws {
        let box = try CredentialsSandbox()
        try box.writePythonFile("key.bin", PythonPecCliFixture.keyBin)
        try box.writePythonFile(
            "credentials.json",
            legacy ? PythonPecCliFixture.legacyCredentialsJSON : PythonPecCliFixture.credentialsJSON
        )
        let store = box.store
        let accounts = try store.accounts()
        let aruba = ProviderCatalog.preset(id: "aruba")!
        #expect(
            accounts == [
                Account(
                    name: PythonPecCliFixture.address,
                    address: PythonPecCliFixture.address,
                    provider: "aruba",
                    imap: aruba.imap,
                    smtp: aruba.smtp,
                    passwordStorage: .file
                )
            ]
        )
        #expect(try store.password(for: accounts[0]) == PythonPecCliFixture.password)
        #expect(try store.account(named: "MARIO.ROSSI@pec.it") == accounts[0])

        // Adding a second account keeps the Python login intact, for both programs.
        try store.save(arubaAccount("altro@pec.it"), password: "pw2")
        #expect(try String(contentsOf: box.keyFile, encoding: .utf8) == PythonPecCliFixture.keyBin)
        let json = try box.json()
        #expect(json["address"] as? String == PythonPecCliFixture.address)
        #expect(json["provider"] as? String == "aruba")
        #expect(json["password_storage"] as? String == "fernet")
        #expect(json["password_enc"] as? String == PythonPecCliFixture.token)
        #expect(try store.password(for: store.account(named: nil)) == PythonPecCliFixture.password)
        #expect(try store.password(for: store.account(named: "altro@pec.it")) == "pw2")
    }

    @Test(
        "the Python pec-cli reads the file we write (its default account and password)",
        .enabled(
            if: fernetPython != nil,
            "no Python with `cryptography` (set PEC_SANDBOX_PYTHON or create sandbox/.venv)"
        )
    )
    func pythonReadsOurFile() throws {
        let python = try #require(fernetPython)
        let box = try CredentialsSandbox()
        try box.store.save(arubaAccount("first@pec.it"), password: "prima-è")
        try box.store.save(arubaAccount("second@pec.it"), password: "seconda")
        // What pec_cli/auth/credentials.py does on load (fernet branch).
        let script = """
            import json, sys
            from pathlib import Path
            from cryptography.fernet import Fernet
            d = Path(sys.argv[1])
            data = json.loads((d / "credentials.json").read_text())
            assert data.get("password_storage", "fernet") == "fernet"
            f = Fernet((d / "key.bin").read_bytes())
            print(data["address"], data["provider"], f.decrypt(data["password_enc"].encode()).decode())
            """
        let result = try runProcess(python, ["-c", script, box.directory.path])
        #expect(result.status == 0)
        #expect(result.output == "first@pec.it aruba prima-è\n")
    }

    @Test("wrong key or altered token: notAuthenticated, run `pec auth login` again, no password in the message")
    func undecryptable() throws {
        let box = try CredentialsSandbox()
        try box.writePythonFile("key.bin", try Fernet.generateKey())
        try box.writePythonFile("credentials.json", PythonPecCliFixture.credentialsJSON)
        let account = try box.store.account(named: nil)
        var error = try #require(pecError { try box.store.password(for: account) })
        #expect(error.kind == .notAuthenticated)
        #expect(error.message.contains("cannot be decrypted"))
        #expect(error.remedies == [.login(address: account.address)])
        #expect(!error.description.contains(PythonPecCliFixture.password))

        try box.writePythonFile("key.bin", PythonPecCliFixture.keyBin)
        let altered = PythonPecCliFixture.credentialsJSON.replacingOccurrences(
            of: "gAAAAABrAQR2BgEa",
            with: "gAAAAABrAQR2BgEb"
        )
        try box.writePythonFile("credentials.json", altered)
        error = try #require(pecError { try box.store.password(for: account) })
        #expect(error.kind == .notAuthenticated)
        #expect(error.message.contains("cannot be decrypted"))

        try FileManager.default.removeItem(at: box.keyFile)
        error = try #require(pecError { try box.store.password(for: account) })
        #expect(error.kind == .notAuthenticated)
        #expect(error.message.contains("key.bin"))
    }

    @Test("a keyring account with no keyring reachable: notAuthenticated with a hint, quickly")
    func keyringUnreachable() throws {
        let box = try CredentialsSandbox()
        try box.writePythonFile(
            "credentials.json",
            PythonPecCliFixture.keyringCredentialsJSON(address: "k@legalmail.it")
        )
        let account = try box.store.account(named: nil)
        #expect(account.passwordStorage == .keyring)
        #expect(account.imap.host == "mbox.cert.legalmail.it")
        let started = Date()
        let error = try #require(pecError { try box.store.password(for: account) })
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(error.kind == .notAuthenticated)
        #expect(error.message.contains("keyring"))
        #expect(error.hint?.hasPrefix("unlock or start your keyring") == true)
        #expect(error.remedies == [.login(address: account.address)])

        // Logout still removes the login, and says the keyring item could not be removed.
        let removal = try box.store.remove(named: "k@legalmail.it")
        #expect(!removal.keyringItemRemoved)
        #expect(removal.keyringWarning?.contains("k@legalmail.it") == true)
        #expect(try box.files().isEmpty)
    }

    @Test("PEC_CREDENTIAL_STORE: keyring fails without a keyring, file works, other values are refused")
    func storeMode() throws {
        let forced = try CredentialsSandbox(extra: ["PEC_CREDENTIAL_STORE": "keyring"])
        let error = try #require(pecError { try forced.store.save(arubaAccount("a@pec.it"), password: "pw") })
        #expect(error.kind == .io)
        #expect(error.message.contains("keyring"))
        #expect(!FileManager.default.fileExists(atPath: forced.credentialsFile.path))

        let file = try CredentialsSandbox(extra: ["PEC_CREDENTIAL_STORE": "FILE"])
        #expect(try file.store.save(arubaAccount("a@pec.it"), password: "pw") == .file)

        let bad = try CredentialsSandbox(extra: ["PEC_CREDENTIAL_STORE": "vault"])
        #expect(pecError { try bad.store.save(arubaAccount("a@pec.it"), password: "pw") }?.kind == .invalidInput)
    }

    @Test("keys we do not know survive a rewrite, at the top level and in an account")
    func unknownKeys() throws {
        let box = try CredentialsSandbox()
        try box.writePythonFile("key.bin", PythonPecCliFixture.keyBin)
        let text = """
            {"address": "mario.rossi@pec.it", "provider": "aruba", "password_storage": "fernet",
             "password_enc": "\(PythonPecCliFixture.token)", "future_top": {"x": [1, 2]},
             "accounts": [{"name": "mario.rossi@pec.it", "address": "mario.rossi@pec.it", "provider": "aruba",
                           "imap": {"host": "imaps.pec.aruba.it", "port": 993, "security": "tls"},
                           "smtp": {"host": "smtps.pec.aruba.it", "port": 465, "security": "tls"},
                           "password_storage": "fernet", "password_enc": "\(PythonPecCliFixture.token)",
                           "future_entry": true}]}
            """
        try box.writePythonFile("credentials.json", text)
        try box.store.save(arubaAccount("b@pec.it"), password: "pb")
        let json = try box.json()
        #expect((json["future_top"] as? [String: Any])?["x"] as? [Int] == [1, 2])
        let accounts = try #require(json["accounts"] as? [[String: Any]])
        #expect(accounts[0]["future_entry"] as? Bool == true)
        #expect(accounts[1]["future_entry"] == nil)
        #expect(try box.store.password(for: box.store.account(named: nil)) == PythonPecCliFixture.password)
    }

    @Test("custom hosts, CA file and timeout round-trip; the Python keys then have no provider")
    func customHosts() throws {
        let box = try CredentialsSandbox()
        let account = Account(
            name: "lab",
            address: "test@pec.test",
            imap: ServerEndpoint(host: "127.0.0.1", port: 29993),
            smtp: ServerEndpoint(host: "127.0.0.1", port: 2587, security: .startTLS),
            caFile: "/tmp/ca.pem",
            timeoutSeconds: 5
        )
        try box.store.save(account, password: "pw")
        var expected = account
        expected.passwordStorage = .file
        #expect(try box.store.account(named: "lab") == expected)
        #expect(try box.json()["provider"] == nil)
        #expect(try String(contentsOf: box.credentialsFile, encoding: .utf8).contains("\"ca_file\" : \"/tmp/ca.pem\""))
    }

    @Test(
        "names and addresses that cannot be saved: invalidInput",
        arguments: [
            ("", "a@pec.it"), ("-x", "a@pec.it"), (" a", "a@pec.it"), ("a\nb", "a@pec.it"), ("ok", "nope"),
            ("ok", "a b@pec.it"), ("ok", "@pec.it"), ("ok", "a@b@pec.it"), ("ok", "nope@x"),
        ]
    )
    func invalidNames(name: String, address: String) throws {
        let box = try CredentialsSandbox()
        let error = try #require(pecError { try box.store.save(arubaAccount(address, name: name), password: "pw") })
        #expect(error.kind == .invalidInput)
        #expect(!FileManager.default.fileExists(atPath: box.directory.path))
        #expect(pecError { try box.store.save(arubaAccount("a@pec.it"), password: "") }?.kind == .invalidInput)
    }
}
