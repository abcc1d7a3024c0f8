import Foundation
import Testing
@testable import PECTestSupport

/// `pec auth` against the sandbox's Dovecot, through both credential stores.
@Suite("auth against the sandbox", .enabled(if: SandboxHarness.isAnnounced, "run through `make test`"))
struct AuthIntegrationTests {
    @Test("login without a keyring saves the password encrypted in a 0600 file, and list works")
    func loginFileStore() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let login = try sandbox.login("luca.verdi")
        #expect(login.status == 0, "stderr: \(login.stderr)")
        let record = try #require(try login.jsonLines().first)
        #expect(record["address"] as? String == "luca.verdi@pec.sandbox")
        #expect(record["password_storage"] as? String == "file")
        #expect(record["default"] as? Bool == true)

        let attributes = try FileManager.default.attributesOfItem(atPath: sandbox.credentialsFile.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let saved = try String(contentsOf: sandbox.credentialsFile, encoding: .utf8)
        #expect(!saved.contains("\"\(sandbox.password)\""), "the password must not be in the file in clear")
        #expect(saved.contains("\"password_enc\""))

        let status = try sandbox.pec(["auth", "status", "--json"])
        #expect(status.status == 0)
        #expect(try status.jsonLines().first?["address"] as? String == "luca.verdi@pec.sandbox")

        let list = try sandbox.pec(["list", "--json", "--limit", "1"])
        #expect(list.status == 0, "stderr: \(list.stderr)")
    }

    @Test("STARTTLS on the plain IMAP port: login, then list, over TLS")
    func startTLS() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let port = try #require(ProcessInfo.processInfo.environment["PEC_SANDBOX_IMAP_PORT"])
        let login = try sandbox.pec(
            [
                "--json", "auth", "login", "--address", sandbox.address("luca.verdi"), "--imap-host", sandbox.host,
                "--imap-port", port, "--imap-security", "starttls", "--smtp-host", sandbox.host, "--ca-file",
                sandbox.caFile, "--password-stdin", "--verbose",
            ],
            stdin: sandbox.password + "\n"
        )
        #expect(login.status == 0, "stderr: \(login.stderr)")
        #expect(try login.jsonLines().first?["imap_security"] as? String == "starttls")
        let list = try sandbox.pec(["list", "--json", "--limit", "1"])
        #expect(list.status == 0, "stderr: \(list.stderr)")
    }

    @Test("a wrong password at login: exit 1, authentication_failed, nothing saved")
    func wrongPassword() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let login = try sandbox.login("luca.verdi", password: "not-the-password")
        #expect(login.status == 1)
        #expect(try login.errorObject()["kind"] as? String == "authentication_failed")
        #expect(login.stderr.contains("error:"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.credentialsFile.path))
    }

    @Test("no login at all: exit 2 and a hint to log in")
    func notLoggedIn() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        for arguments in [["list"], ["auth", "status"], ["folders"], ["search", "x"]] {
            let run = try sandbox.pec(arguments + ["--json"])
            #expect(run.status == 2, "\(arguments): \(run.stderr)")
            #expect(try run.errorObject()["kind"] as? String == "not_authenticated")
            #expect(run.stderr.contains("pec auth login"))
        }
    }

    @Test("saved credentials the server now rejects: exit 2 with a hint to log in again")
    func staleCredentials() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        #expect(try sandbox.login("luca.verdi").status == 0)
        // The server no longer knows this login: point the saved account at a user it lacks.
        var text = try String(contentsOf: sandbox.credentialsFile, encoding: .utf8)
        text = text.replacingOccurrences(of: "luca.verdi@pec.sandbox", with: "gone.away@pec.sandbox")
        try text.write(to: sandbox.credentialsFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: sandbox.credentialsFile.path)

        let list = try sandbox.pec(["list", "--json"])
        #expect(list.status == 2, "stderr: \(list.stderr)")
        #expect(try list.errorObject()["kind"] as? String == "not_authenticated")
        #expect(list.stderr.contains("log in again"))
    }

    @Test("a credentials file readable by others is refused with the chmod to fix it")
    func looseFilePermissions() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        #expect(try sandbox.login("luca.verdi").status == 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: sandbox.credentialsFile.path)
        let list = try sandbox.pec(["list"])
        #expect(list.status == 1)
        #expect(list.stderr.contains("chmod 600"))
    }

    @Test("two accounts: the first is the default until `auth default` changes it; logout forgets one")
    func severalAccounts() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        #expect(try sandbox.login("luca.verdi").status == 0)
        #expect(try sandbox.login("anna.bianchi", extra: ["--name", "anna"]).status == 0)
        let status = try sandbox.pec(["auth", "status", "--json"])
        let rows = try status.jsonLines()
        #expect(rows.map { $0["name"] as? String } == ["luca.verdi@pec.sandbox", "anna"])
        #expect(rows.map { $0["default"] as? Bool } == [true, false])

        #expect(try sandbox.pec(["auth", "default", "anna"]).status == 0)
        let after = try sandbox.pec(["auth", "status", "--json"]).jsonLines()
        #expect(after.map { $0["default"] as? Bool } == [false, true])

        let logout = try sandbox.pec(["auth", "logout", "--account", "anna", "--json"])
        #expect(logout.status == 0)
        let left = try sandbox.pec(["auth", "status", "--json"]).jsonLines()
        #expect(left.map { $0["name"] as? String } == ["luca.verdi@pec.sandbox"])
        #expect(try sandbox.pec(["auth", "logout"]).status == 0)
        #expect(try sandbox.pec(["auth", "status"]).status == 2)
        #expect(!FileManager.default.fileExists(atPath: sandbox.credentialsFile.path))
    }

    @Test(
        "with a Secret Service the password goes to the keyring, where Python's keyring finds it",
        .enabled(if: SandboxHarness.hasKeyring, "needs the private gnome-keyring `make test` starts")
    )
    func loginKeyring() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let address = sandbox.address("anna.bianchi")
        let login = try sandbox.login("anna.bianchi", keyring: true)
        #expect(login.status == 0, "stderr: \(login.stderr)")
        #expect(try login.jsonLines().first?["password_storage"] as? String == "keyring")
        let saved = try String(contentsOf: sandbox.credentialsFile, encoding: .utf8)
        #expect(!saved.contains("password_enc"))

        let lookup = try secretTool(["lookup", "service", "mayai-cli-pec", "username", address], sandbox)
        #expect(lookup == sandbox.password)

        let list = try sandbox.pec(["list", "--json", "--limit", "1"], keyring: true)
        #expect(list.status == 0, "stderr: \(list.stderr)")

        #expect(try sandbox.pec(["auth", "logout"], keyring: true).status == 0)
        #expect(try secretTool(["lookup", "service", "mayai-cli-pec", "username", address], sandbox) == "")
    }

    private func secretTool(_ arguments: [String], _ sandbox: SandboxHarness) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/secret-tool")
        process.arguments = arguments
        process.environment = sandbox.environment(keyring: true)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
