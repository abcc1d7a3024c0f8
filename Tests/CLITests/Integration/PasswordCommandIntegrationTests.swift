import Foundation
import Testing

@testable import PECTestSupport

/// `pec auth login --password-command` and the expired-password message, against the sandbox's Dovecot.
@Suite("password commands against the sandbox", .enabled(if: SandboxHarness.isAnnounced, "run through `make test`"))
struct PasswordCommandIntegrationTests {
    /// A script in the private home: `body` is its shell text.
    private func script(_ sandbox: SandboxHarness, _ name: String, _ body: String) throws -> String {
        let path = sandbox.configHome.appendingPathComponent(name).path
        try FileManager.default.createDirectory(at: sandbox.configHome, withIntermediateDirectories: true)
        try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        return path
    }

    private func login(_ sandbox: SandboxHarness, command: String, environment extra: [String: String] = [:]) throws
        -> PecRun
    {
        var environment = sandbox.environment()
        environment.merge(extra) { _, new in new }
        return try PecRun.run(
            [
                "--json", "--verbose", "auth", "login", "--address", sandbox.address("luca.verdi"), "--imap-host",
                sandbox.host, "--imap-port", "\(sandbox.imapsPort)", "--smtp-host", sandbox.host, "--smtp-port",
                "\(sandbox.smtpsPort)", "--ca-file", sandbox.caFile, "--password-command", command,
            ],
            environment: environment
        )
    }

    /// Every file under the private home that holds `text`.
    private func filesHolding(_ text: String, in sandbox: SandboxHarness) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: sandbox.configHome.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter { relative in
            let data = FileManager.default.contents(atPath: sandbox.configHome.appendingPathComponent(relative).path)
            return data.map { String(decoding: $0, as: UTF8.self).contains(text) } ?? false
        }
    }

    @Test("a script that prints the password: login saves the command, list uses it, the password is nowhere")
    func workingCommand() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let secretFile = sandbox.configHome.appendingPathComponent("secret.txt").path
        try FileManager.default.createDirectory(at: sandbox.configHome, withIntermediateDirectories: true)
        // The sandbox's password ("sandbox") is in every address; this marker, printed after it, is
        // what must never show up in output or in a file of pec's.
        let marker = "MARKER-\(UUID().uuidString)"
        try (sandbox.password + "\n\(marker)\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        let tool = try script(sandbox, "print-password", "cat \"$1\"")
        // Plain words: run without a shell.
        let login = try login(sandbox, command: "\(tool) \(secretFile)")
        #expect(login.status == 0, "stderr: \(login.stderr)")
        #expect(try login.jsonLines().first?["password_storage"] as? String == "command")
        #expect(!login.stderr.contains(marker) && !login.stdout.contains(marker))
        #expect(!login.stderr.contains("print-password"), "the command is not logged: \(login.stderr)")

        let list = try sandbox.pec(["list", "--json", "--limit", "1", "--verbose"])
        #expect(list.status == 0, "stderr: \(list.stderr)")
        #expect(!list.stderr.contains(marker) && !list.stderr.contains("print-password"))
        let status = try sandbox.pec(["auth", "status", "--json"]).jsonLines()
        #expect(status.first?["password_storage"] as? String == "command")
        #expect(status.first?["last_login"] is String, "auth status shows the last accepted login")
        let saved = try String(contentsOf: sandbox.credentialsFile, encoding: .utf8)
        #expect(saved.contains("\"password_command\"") && !saved.contains("password_enc"))
        #expect(filesHolding(marker, in: sandbox) == ["secret.txt"], "only the user's own file holds the output")
    }

    @Test("a command with shell syntax runs through /bin/sh")
    func shellCommand() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let login = try login(
            sandbox,
            command: "printf '%s\\n' \"$PEC_TEST_PW\" | head -n 1",
            environment: ["PEC_TEST_PW": sandbox.password]
        )
        #expect(login.status == 0, "stderr: \(login.stderr)")
    }

    @Test("a command that exits 1, hangs or prints nothing: exit 2, a clear error, nothing saved")
    func failingCommands() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let cases: [(String, String)] = [
            (try script(sandbox, "fails", "echo 'vault locked' >&2; exit 1"), "exited with status 1"),
            (try script(sandbox, "hangs", "sleep 30; echo late"), "did not finish within 1 s"),
            (try script(sandbox, "silent", "exit 0"), "printed nothing"),
            (try script(sandbox, "blank", "echo; echo second"), "printed nothing"),
        ]
        for (tool, expected) in cases {
            let started = Date()
            let run = try login(sandbox, command: tool, environment: ["PEC_PASSWORD_COMMAND_TIMEOUT": "1"])
            #expect(run.status == 2, "\(tool): \(run.stderr)")
            #expect(run.stderr.contains(expected), "\(tool): \(run.stderr)")
            #expect(try run.errorObject()["kind"] as? String == "not_authenticated")
            #expect(!run.stderr.contains(tool), "the command is not echoed: \(run.stderr)")
            #expect(Date().timeIntervalSince(started) < 20, "\(tool) was stopped in time")
            #expect(!FileManager.default.fileExists(atPath: sandbox.credentialsFile.path))
        }
    }

    @Test("a password accepted before and rejected now: the error names when it last worked and why it may fail")
    func expiredPassword() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let secretFile = sandbox.configHome.appendingPathComponent("secret.txt").path
        try FileManager.default.createDirectory(at: sandbox.configHome, withIntermediateDirectories: true)
        try (sandbox.password + "\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        #expect(try login(sandbox, command: "cat \(secretFile)").status == 0)
        #expect(try sandbox.pec(["list", "--limit", "1"]).status == 0)

        // The provider expired the password 95 days after it last worked.
        let stamp = sandbox.configHome.appendingPathComponent(".local/state/pec/logins/luca.verdi@pec.sandbox").path
        let lastWorked = Date().addingTimeInterval(-95 * 86_400)
        try FileManager.default.setAttributes([.modificationDate: lastWorked], ofItemAtPath: stamp)
        try "expired-password\n".write(toFile: secretFile, atomically: true, encoding: .utf8)

        let list = try sandbox.pec(["list", "--json"])
        #expect(list.status == 2, "stderr: \(list.stderr)")
        #expect(list.stderr.contains("last accepted on"), "\(list.stderr)")
        #expect(list.stderr.contains("(95 days ago)"), "\(list.stderr)")
        #expect(list.stderr.contains("two-factor"), "\(list.stderr)")
        let error = try list.errorObject()
        #expect(error["kind"] as? String == "not_authenticated")
        let remedies = error["remedies"] as? [[String: Any]]
        #expect(remedies?.first?["action"] as? String == "renew_mail_password", "\(error)")
        #expect(!list.stderr.contains("expired-password"))
    }
}
