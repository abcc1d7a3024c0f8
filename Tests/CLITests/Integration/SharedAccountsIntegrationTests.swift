import Foundation
import Testing

@testable import PECTestSupport

/// `pec auth login --shared` on one machine (HOME), used from another with the same PostgreSQL ledger and
/// key file, against the sandbox's Dovecot.
@Suite(
    "shared accounts through the pec binary",
    .enabled(if: SandboxHarness.isAnnounced, "run through `make test`"),
    .enabled(
        if: ProcessInfo.processInfo.environment["PEC_TEST_POSTGRES_URL"] != nil,
        "PEC_TEST_POSTGRES_URL is not set: run through `make test`"
    )
)
struct SharedAccountsIntegrationTests {
    /// The machine that logs in, and the one that has no local account.
    let first: SandboxHarness
    let second: SandboxHarness
    /// The test's own schema in the test database.
    let ledgerURL: String

    init() throws {
        first = try SandboxHarness()
        second = try SandboxHarness()
        let database = try #require(ProcessInfo.processInfo.environment["PEC_TEST_POSTGRES_URL"])
        let schema = "shared_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        ledgerURL = database + (database.contains("?") ? "&" : "?") + "schema=\(schema)"
    }

    func pec(_ arguments: [String], on machine: SandboxHarness, keyFile: URL?, stdin: String = "") throws -> PecRun {
        var environment = machine.environment()
        environment["PEC_LEDGER_URL"] = ledgerURL
        environment["PEC_SECRET_KEY_FILE"] = keyFile?.path
        return try PecRun.run(arguments, stdin: stdin, environment: environment)
    }

    @Test("login --shared in one HOME; another HOME with the same URL and key lists it as shared and reads mail")
    func loginAndUseElsewhere() throws {
        defer {
            first.cleanUp()
            second.cleanUp()
        }
        let firstKey = first.configHome.appendingPathComponent("team.key")
        let keygen = try PecRun.run(["auth", "keygen", firstKey.path], environment: first.environment())
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: firstKey.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)

        let address = first.address("luca.verdi")
        let login = try pec(
            [
                "--json", "auth", "login", "--shared", "--name", "ufficio", "--address", address, "--imap-host",
                first.host, "--imap-port", "\(first.imapsPort)", "--smtp-host", first.host, "--smtp-port",
                "\(first.smtpsPort)", "--ca-file", first.caFile, "--password-stdin",
            ],
            on: first,
            keyFile: firstKey,
            stdin: first.password + "\n"
        )
        #expect(login.status == 0, "stderr: \(login.stderr)")
        let record = try #require(try login.jsonLines().first)
        #expect(record["password_storage"] as? String == "shared")
        #expect(record["shared"] as? Bool == true)
        #expect(!FileManager.default.fileExists(atPath: first.credentialsFile.path), "nothing saved locally")

        // The key reaches the other machine by a safe channel: here, a private copy.
        let secondKey = second.configHome.appendingPathComponent("team.key")
        try FileManager.default.copyItem(at: firstKey, to: secondKey)
        chmod(secondKey.path, 0o600)
        let status = try pec(["--json", "auth", "status"], on: second, keyFile: secondKey)
        #expect(status.status == 0, "stderr: \(status.stderr)")
        let listed = try status.jsonLines()
        #expect(listed.map { $0["name"] as? String } == ["ufficio"])
        #expect(listed.first?["shared"] as? Bool == true)
        #expect(listed.first?["password_storage"] as? String == "shared")
        #expect(listed.first?["default"] as? Bool == true)

        let list = try pec(["--json", "list", "--account", "ufficio", "--limit", "1"], on: second, keyFile: secondKey)
        #expect(list.status == 0, "stderr: \(list.stderr)")

        // Without the key the account is listed, but its password cannot be had: exit 2, naming the variable.
        let withoutKey = try pec(["--json", "list", "--account", "ufficio", "--limit", "1"], on: second, keyFile: nil)
        #expect(withoutKey.status == 2, "stderr: \(withoutKey.stderr)")
        let error = try withoutKey.errorObject()
        #expect(error["kind"] as? String == "not_authenticated")
        #expect((error["message"] as? String)?.contains("PEC_SECRET_KEY_FILE") == true, "\(error)")
        #expect((error["hint"] as? String)?.contains("pec auth keygen") == true, "\(error)")
        #expect(!withoutKey.stderr.contains(first.password) && !withoutKey.stdout.contains(first.password))

        // Another key: the same exit and kind, saying the key is not the account's.
        let otherKey = second.configHome.appendingPathComponent("other.key")
        #expect(try PecRun.run(["auth", "keygen", otherKey.path], environment: second.environment()).status == 0)
        let wrongKey = try pec(
            ["--json", "list", "--account", "ufficio", "--limit", "1"],
            on: second,
            keyFile: otherKey
        )
        #expect(wrongKey.status == 2)
        #expect((try wrongKey.errorObject()["message"] as? String)?.contains("not the key") == true)

        // Logout from the second machine removes it for the team.
        let logout = try pec(["--json", "auth", "logout", "--account", "ufficio"], on: second, keyFile: secondKey)
        #expect(logout.status == 0, "stderr: \(logout.stderr)")
        let gone = try pec(["--json", "auth", "status"], on: first, keyFile: firstKey)
        #expect(gone.status == 2, "stdout: \(gone.stdout)")
    }

    @Test("login --shared without PEC_LEDGER_URL, or with --password-command: exit 1 before any password is asked")
    func refusals() throws {
        defer { first.cleanUp() }
        let keyFile = first.configHome.appendingPathComponent("team.key")
        #expect(try PecRun.run(["auth", "keygen", keyFile.path], environment: first.environment()).status == 0)
        let base = [
            "--json", "auth", "login", "--shared", "--address", first.address("luca.verdi"), "--provider", "aruba",
        ]

        var environment = first.environment()
        environment["PEC_SECRET_KEY_FILE"] = keyFile.path
        let noLedger = try PecRun.run(base + ["--password-stdin"], stdin: "x\n", environment: environment)
        #expect(noLedger.status == 1)
        #expect(try noLedger.errorObject()["kind"] as? String == "usage")
        #expect((try noLedger.errorObject()["message"] as? String)?.contains("PEC_LEDGER_URL") == true)

        let command = try pec(base + ["--password-command", "echo x"], on: first, keyFile: keyFile)
        #expect(command.status == 1)
        #expect((try command.errorObject()["message"] as? String)?.contains("--password-command") == true)

        let noKey = try pec(base + ["--password-stdin"], on: first, keyFile: nil, stdin: "x\n")
        #expect(noKey.status == 1)
        #expect((try noKey.errorObject()["message"] as? String)?.contains("PEC_SECRET_KEY_FILE") == true)
        #expect(!FileManager.default.fileExists(atPath: first.credentialsFile.path))
    }
}
