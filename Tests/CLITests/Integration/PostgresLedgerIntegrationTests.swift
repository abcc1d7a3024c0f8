import Foundation
import Testing

@testable import PECTestSupport

/// Two `pec` processes sharing one PostgreSQL ledger (`PEC_LEDGER_URL`), as two workers of a team would,
/// against the sandbox's PEC provider simulator.
@Suite(
    "pec send with the ledger on PostgreSQL",
    .enabled(if: SandboxHarness.isAnnounced, "run through `make test`"),
    .enabled(
        if: ProcessInfo.processInfo.environment["PEC_TEST_POSTGRES_URL"] != nil,
        "PEC_TEST_POSTGRES_URL is not set: run through `make test`"
    )
)
struct PostgresLedgerIntegrationTests {
    let sandbox: SandboxHarness
    /// The test's own schema in the test database.
    let ledgerURL: String

    init() throws {
        sandbox = try SandboxHarness()
        let database = try #require(ProcessInfo.processInfo.environment["PEC_TEST_POSTGRES_URL"])
        let schema = "race_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        ledgerURL = database + (database.contains("?") ? "&" : "?") + "schema=\(schema)"
        let login = try sandbox.login("luca.verdi")
        try #require(login.status == 0, "login failed: \(login.stderr)")
    }

    @Test("two processes racing to send the same letter: exactly one sends it, every time")
    func race() throws {
        defer { sandbox.cleanUp() }
        let environment = sandbox.environment().merging(["PEC_LEDGER_URL": ledgerURL]) { $1 }
        let iterations = 60
        for iteration in 0..<iterations {
            let arguments = [
                "--json", "send", "--to", "anna.bianchi@pec.sandbox", "--subject",
                "Gara \(iteration) \(UUID().uuidString.prefix(8))", "--body", "una lettera sola", "--yes",
            ]
            let runs = RunBox(count: 2)
            DispatchQueue.concurrentPerform(iterations: 2) { contender in
                runs[contender] = Result { try PecRun.run(arguments, environment: environment) }
            }
            let finished = try runs.all.map { try $0.get() }
            let sent = finished.filter { $0.status == 0 }
            let refused = finished.filter { $0.status != 0 }
            #expect(sent.count == 1, "iteration \(iteration): \(finished.map(\.stderr))")
            guard sent.count == 1, let loser = refused.first else { continue }
            let kind = try loser.errorObject()["kind"] as? String
            #expect(kind == "duplicate", "iteration \(iteration): \(loser.stdout) \(loser.stderr)")
            let record = try #require(try sent[0].jsonLines().first { $0["status"] != nil })
            let id = try #require(record["message_id"] as? String)
            #expect(sandbox.submissions(messageID: id) == 1, "iteration \(iteration)")
        }
    }
}

/// The two runs' results, each written by its own thread and read after both finished.
private final class RunBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<PecRun, any Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    subscript(index: Int) -> Result<PecRun, any Error>? {
        get { lock.withLock { results[index] } }
        set { lock.withLock { results[index] = newValue } }
    }

    var all: [Result<PecRun, any Error>] { lock.withLock { results.compactMap { $0 } } }
}
