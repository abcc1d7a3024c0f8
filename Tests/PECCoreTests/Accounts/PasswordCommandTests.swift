import Foundation
import PECTestSupport
import Testing

@testable import PECCore

@Suite("password commands and the login history")
struct PasswordCommandTests {
    @Test("plain words run without a shell; quotes, pipes and variables go to /bin/sh")
    func argv() throws {
        #expect(try PasswordCommand("pass show pec/aruba").argv == ["pass", "show", "pec/aruba"])
        #expect(
            try PasswordCommand("  op read op://vault/pec/password ").argv == ["op", "read", "op://vault/pec/password"]
        )
        #expect(try PasswordCommand("pass show 'pec aruba'").argv == ["/bin/sh", "-c", "pass show 'pec aruba'"])
        #expect(try PasswordCommand("gpg -d ~/pw.gpg | head -1").argv.first == "/bin/sh")
        #expect(try PasswordCommand("echo $PW").argv.first == "/bin/sh")
        #expect(throws: PECError.self) { try PasswordCommand("   ") }
    }

    @Test("the first line of the output is the password, without its line ending")
    func firstLine() throws {
        #expect(try PasswordCommand("printf 'se cret\\r\\nrest\\n'").password(for: "a") == "se cret")
        #expect(try PasswordCommand("echo hunter2").password(for: "a") == "hunter2")
        #expect(try PasswordCommand("printf nonewline").password(for: "a") == "nonewline")
    }

    @Test("failures say what went wrong and never what the command printed")
    func failures() throws {
        func message(_ text: String, timeout: Duration = .seconds(5)) -> String {
            do {
                _ = try PasswordCommand(text).password(for: "acct", timeout: timeout)
                return "no error"
            } catch {
                #expect(error.kind == .notAuthenticated)
                return error.message
            }
        }
        #expect(message("echo leaked; exit 3").contains("exited with status 3"))
        #expect(!message("echo leaked; exit 3").contains("leaked"))
        #expect(message("kill -9 $$").contains("killed by signal 9"))
        #expect(message("true").contains("printed nothing"))
        #expect(message("/nonexistent/tool").contains("could not be started"))
        let started = ContinuousClock.now
        // A child that keeps the output open is stopped with its whole process group.
        #expect(message("sleep 20 & sleep 20", timeout: .milliseconds(300)).contains("did not finish within 0.3 s"))
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("PEC_PASSWORD_COMMAND_TIMEOUT: seconds, or a usage error")
    func timeoutSetting() throws {
        #expect(try PasswordCommand.timeout(environment: [:]) == .seconds(30))
        #expect(
            try PasswordCommand.timeout(environment: ["PEC_PASSWORD_COMMAND_TIMEOUT": "2.5"]) == .milliseconds(2500)
        )
        #expect(throws: PECError.self) {
            try PasswordCommand.timeout(environment: ["PEC_PASSWORD_COMMAND_TIMEOUT": "0"])
        }
        #expect(throws: PECError.self) {
            try PasswordCommand.timeout(environment: ["PEC_PASSWORD_COMMAND_TIMEOUT": "x"])
        }
    }

    @Test("an account with a password command keeps only the command in credentials.json")
    func savedCommand() throws {
        let home = try TemporaryHome()
        let store = AccountStore(environment: home.environment)
        let account = Account(
            address: "mario.rossi@pec.it",
            imap: ServerEndpoint(host: "imap.example", port: 993),
            smtp: ServerEndpoint(host: "smtp.example", port: 465),
            passwordStorage: .command,
            passwordCommand: "echo from-the-command"
        )
        #expect(try store.save(account, password: "from-the-command") == .command)
        let text = try String(contentsOf: store.credentialsFile, encoding: .utf8)
        #expect(text.contains("\"password_command\" : \"echo from-the-command\""))
        #expect(!text.contains("password_enc"))
        #expect(!FileManager.default.fileExists(atPath: store.keyFile.path))
        let loaded = try store.account(named: nil)
        #expect(loaded.passwordStorage == .command)
        #expect(try store.password(for: loaded) == "from-the-command")
    }

    @Test("the login history: when the password last worked, and the error that says so")
    func history() throws {
        let home = try TemporaryHome()
        let history = LoginHistory(environment: home.environment)
        #expect(history.lastAccepted("Mario.Rossi@pec.it") == nil)
        let rejected = PECError(.authenticationFailed, "[AUTHENTICATIONFAILED] Authentication failed.")
        let first = LoginHistory.rejection(
            of: rejected,
            address: "mario.rossi@pec.it",
            server: .imap,
            lastAccepted: nil
        )
        #expect(first.remedies == [.login(address: "mario.rossi@pec.it")])

        history.recordAccepted("Mario.Rossi@pec.it")
        let last = try #require(history.lastAccepted("mario.rossi@pec.it"))
        #expect(abs(last.timeIntervalSinceNow) < 60)
        let later = last.addingTimeInterval(92 * 86_400 + 3600)
        let error = LoginHistory.rejection(
            of: rejected,
            address: "mario.rossi@pec.it",
            server: .smtp,
            lastAccepted: last,
            now: later
        )
        #expect(error.kind == .notAuthenticated)
        #expect(error.message.contains("SMTP server rejected the saved password for mario.rossi@pec.it"))
        #expect(error.message.contains("(92 days ago)"))
        #expect(error.message.contains(LoginHistory.format(last)))
        #expect(error.remedies == [.renewMailPassword(address: "mario.rossi@pec.it")])
        history.forget("mario.rossi@pec.it")
        #expect(history.lastAccepted("mario.rossi@pec.it") == nil)
    }
}
