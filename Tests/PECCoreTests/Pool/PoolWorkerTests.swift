import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import PECCore
@testable import PECTestSupport

/// PoolWorker's own logic, with stand-in jobs (no IMAP): two workers in one process share one ledger.
@Suite("Pool: workers balancing, handing over, holding each account once")
struct PoolWorkerTests {
    /// Which jobs run now, by worker: each watch job adds itself and removes itself when cancelled.
    final class Running: Sendable {
        let names = NIOLockedValueBox<[String: Set<String>]>([:])

        func job(_ worker: String, _ name: String) async {
            names.withLockedValue { _ = $0[worker, default: []].insert(name) }
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(50)) }
            names.withLockedValue { _ = $0[worker]?.remove(name) }
        }

        var snapshot: [String: Set<String>] { names.withLockedValue { $0 } }
    }

    static func waitUntil(_ seconds: Double, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try condition()
    }

    @Test(
        "6 accounts: 3 each, each running once; one stops: the other runs all 6 and the delivery",
        arguments: LedgerStore.available
    )
    func balanceAndHandover(store: LedgerStore) async throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        let accounts = (1...6).map { "acct\($0)" }
        let running = Running()
        let settings = try PoolSettings(leaseSeconds: 3)
        let workers = [PoolWorker(ledger: ledger, settings: settings), PoolWorker(ledger: ledger, settings: settings)]
        let tasks = workers.map { worker in
            Task {
                try await worker.run(
                    accounts: { accounts },
                    watch: { await running.job(worker.id, $0) },
                    deliveries: ["webhook:x": { await running.job(worker.id, "delivery") }],
                    report: { _ in }
                )
            }
        }
        defer { for task in tasks { task.cancel() } }

        let balanced = try await Self.waitUntil(15) {
            let now = running.snapshot
            let held = workers.map { (now[$0.id] ?? []).subtracting(["delivery"]) }
            return held.map(\.count) == [3, 3] && held[0].isDisjoint(with: held[1])
                && held[0].union(held[1]) == Set(accounts)
                && workers.map({ now[$0.id]?.contains("delivery") == true }).filter { $0 }.count == 1
        }
        #expect(balanced, "\(running.snapshot)")
        let status = try ledger.poolStatus()
        #expect(status.map(\.accounts.count).sorted() == [3, 3] && status.allSatisfy(\.live))

        // The first stops (its task cancelled: leases released on the way out); the second takes everything.
        tasks[0].cancel()
        _ = await tasks[0].result
        let handedOver = try await Self.waitUntil(10) {
            running.snapshot[workers[1].id] == Set(accounts + ["delivery"])
                && (running.snapshot[workers[0].id] ?? []).isEmpty
        }
        #expect(handedOver, "\(running.snapshot)")
        #expect(try ledger.poolStatus().map(\.worker) == [workers[1].id], "the stopped worker left the list")
    }
}
