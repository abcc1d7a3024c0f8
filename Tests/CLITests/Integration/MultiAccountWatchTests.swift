import Foundation
import PECCore
import Testing

@testable import PECTestSupport

/// `pec watch` of several accounts against the sandbox: every working account's events arrive in one
/// watch, and an account whose saved password the server rejects is reported once, then waits for
/// a new login instead of retrying in a loop.
@Suite(
    "pec watch of several accounts against the sandbox",
    .enabled(if: SandboxHarness.isAnnounced, "run through `make test`")
)
struct MultiAccountWatchTests {
    let sandbox: SandboxHarness

    init() throws {
        sandbox = try SandboxHarness()
        for user in ["mario.rossi", "luca.verdi", "anna.bianchi"] {
            let login = try sandbox.login(user)
            try #require(login.status == 0, "login of \(user) failed: \(login.stderr)")
        }
        // anna's saved password becomes one the server rejects, as after a password change elsewhere.
        let store = AccountStore(environment: sandbox.environment())
        let anna = try store.account(named: sandbox.address("anna.bianchi"))
        _ = try store.save(anna, password: "non-la-password")
    }

    func send(from user: String, to recipient: String) throws -> String {
        let run = try sandbox.pec(
            [
                "--json", "send", "--account", sandbox.address(user), "--to", recipient, "--subject",
                "Multi \(UUID().uuidString.prefix(8))", "--body", "Prova", "--yes",
            ]
        )
        try #require(run.status == 0, "send from \(user) failed: \(run.stderr)")
        return try #require(try run.jsonLines().first?["message_id"] as? String)
    }

    @Test("two working accounts' events in one watch; the rejected one reported once, not in a loop")
    func severalAccounts() throws {
        defer { sandbox.cleanUp() }
        let watch = try WatchProcess(
            arguments: ["--json", "watch", "--all-accounts", "--ca-file", sandbox.caFile],
            environment: sandbox.environment()
        )
        defer { _ = watch.terminate() }
        try #require(watch.waitForStderrOrTime(seconds: 3))
        let fromMario = try send(from: "mario.rossi", to: "anna.bianchi@pec.sandbox")
        let fromLuca = try send(from: "luca.verdi", to: "anna.bianchi@pec.sandbox")
        let arrived = watch.waitForLine(timeout: 40) { _ in
            let delivered = Set(
                watch.lines.filter { $0["event"] as? String == "pec_delivery" }.compactMap {
                    $0["message_id"] as? String
                }
            )
            return delivered.isSuperset(of: [fromMario, fromLuca])
        }
        #expect(arrived, "watch printed: \(watch.lines.map { "\($0["event"] ?? "?") \($0["account"] ?? "?")" })")
        let accounts = Set(
            watch.lines.filter { $0["event"] as? String == "pec_delivery" }.compactMap {
                $0["account"] as? String
            }
        )
        #expect(accounts.isSuperset(of: [sandbox.address("mario.rossi"), sandbox.address("luca.verdi")]))
        // Several seconds on, anna was reported once: waiting for a login, not retried in a loop.
        Thread.sleep(forTimeInterval: 3)
        let failures = watch.lines.filter { $0["event"] as? String == "account_error" }
        #expect(failures.count == 1, "\(failures)")
        let failure = try #require(failures.first)
        #expect(failure["account"] as? String == sandbox.address("anna.bianchi"))
        #expect(failure["waiting_for_login"] as? Bool == true)
        #expect((failure["error"] as? [String: Any])?["kind"] as? String == "not_authenticated")
        #expect(watch.terminate() == 143)
    }
}
