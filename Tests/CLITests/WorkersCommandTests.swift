import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

/// `pec workers` and the pool options of `pec watch`, through the real binary.
@Suite("pec workers and the pool options")
struct WorkersCommandTests {
    @Test("on the SQLite file there is no pool: a usage error naming PEC_LEDGER_URL, exit 1")
    func noPool() throws {
        let home = try TemporaryHome(prefix: "pec-workers-cli")
        let run = try PecRun.run(["workers"], environment: LedgerCommandTests.environment(home.url))
        #expect(run.status == 1)
        #expect(run.stderr.contains("there is no pool") && run.stderr.contains("PEC_LEDGER_URL"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test(
        "--lease and --max-accounts: only with --all-accounts, within their ranges",
        arguments: [
            (["watch", "--lease", "10"], "are for a pool worker"),
            (["watch", "--max-accounts", "3"], "are for a pool worker"),
            (["watch", "--all-accounts", "--lease", "2"], "between 3 and 3600 seconds"),
            (["watch", "--all-accounts", "--max-accounts", "0"], "at least 1"),
        ]
    )
    func options(arguments: [String], message: String) throws {
        let home = try TemporaryHome(prefix: "pec-workers-cli")
        let run = try PecRun.run(arguments, environment: LedgerCommandTests.environment(home.url))
        #expect(run.status == 1)
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }

    @Test("on PostgreSQL: one record per worker, what each holds; the text table; the accounts held by nobody")
    func listing() throws {
        guard let base = LedgerCommandTests.postgresURL else { return }
        let home = try TemporaryHome(prefix: "pec-workers-cli")
        let schema = "workers_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let url = base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
        let environment = LedgerCommandTests.environment(home.url, ["PEC_LEDGER_URL": url])
        let ledger = try SendLedger.open(environment: environment)
        let now = Date()
        for (id, age) in [("h1:10:aaaa", 1.0), ("h2:20:bbbb", 300.0)] {
            try ledger.registerWorker(
                PoolWorkerRow(
                    id: id,
                    host: String(id.prefix(2)),
                    pid: 10,
                    startedAt: now - age,
                    renewedAt: now - age,
                    leaseSeconds: 60,
                    maxAccounts: id.hasPrefix("h1") ? 5 : nil
                )
            )
        }
        #expect(try ledger.takeLease("account:mario", owner: "h1:10:aaaa", until: now + 60, now: now))
        #expect(try ledger.takeLease("delivery:webhook:https://h/x", owner: "h1:10:aaaa", until: now + 60, now: now))

        let json = try PecRun.run(["--json", "workers"], environment: environment)
        #expect(json.status == 0, "\(json.stderr)")
        let records = try json.jsonLines()
        #expect(records.map { $0["worker"] as? String } == ["h2:20:bbbb", "h1:10:aaaa"])
        #expect(records.map { $0["live"] as? Bool } == [false, true])
        #expect(records[1]["accounts"] as? [String] == ["mario"] && records[1]["accounts_held"] as? Int == 1)
        #expect(records[1]["deliveries"] as? [String] == ["webhook:https://h/x"])
        #expect(records[1]["max_accounts"] as? Int == 5 && records[0]["max_accounts"] == nil)

        let text = try PecRun.run(["workers"], environment: environment)
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("WORKER") == true, "\(text.stdout)")
        #expect(lines.contains { $0.hasPrefix("h1:10:aaaa") && $0.contains("true") && $0.contains(" 1 ") })
        #expect(!lines.contains { $0.hasPrefix("accounts held by no live worker") }, "no saved account: none to list")
    }
}
