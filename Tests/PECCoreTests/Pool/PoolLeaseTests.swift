import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import PECCore
@testable import PECTestSupport

@Suite("Pool: fair shares and leases in the ledger")
struct PoolLeaseTests {
    @Test("shares: as even as the limits allow, the extra ones to the first ids, the same answer in any order")
    func shares() {
        #expect(
            PoolShare.targets(accounts: 12, workers: [("b", nil), ("a", nil), ("c", nil)]) == ["a": 4, "b": 4, "c": 4]
        )
        #expect(
            PoolShare.targets(accounts: 13, workers: [("c", nil), ("b", nil), ("a", nil)]) == ["a": 5, "b": 4, "c": 4]
        )
        #expect(
            PoolShare.targets(accounts: 100, workers: [("a", 10), ("b", nil), ("c", nil)]) == [
                "a": 10, "b": 45, "c": 45,
            ]
        )
        #expect(PoolShare.targets(accounts: 5, workers: [("a", 1), ("b", 1)]) == ["a": 1, "b": 1])
        #expect(
            PoolShare.targets(accounts: 2, workers: [("a", nil), ("b", nil), ("c", nil)]) == ["a": 1, "b": 1, "c": 0]
        )
        #expect(PoolShare.targets(accounts: 0, workers: [("a", nil)]) == ["a": 0])
        #expect(PoolShare.targets(accounts: 3, workers: []).isEmpty)
    }

    @Test("settings: the lease between 3 s and an hour, --max-accounts at least 1")
    func settings() throws {
        let standard = try PoolSettings()
        #expect(standard.leaseSeconds == 60 && standard.renewEvery == 20 && standard.tick == 2)
        #expect(try PoolSettings(leaseSeconds: 6).tick == 1)
        #expect(throws: PECError.self) { try PoolSettings(leaseSeconds: 2) }
        #expect(throws: PECError.self) { try PoolSettings(leaseSeconds: 3601) }
        #expect(throws: PECError.self) { try PoolSettings(maxAccounts: 0) }
    }

    @Test(
        "a lease: one holder; taken from another only once expired; renewed, released, gone with its worker",
        arguments: LedgerStore.available
    )
    func leases(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let one = worker("one", at: start)
        let two = worker("two", at: start)
        try ledger.registerWorker(one)
        try ledger.registerWorker(two)

        #expect(try ledger.takeLease("account:a", owner: "one", until: start + 60, now: start))
        #expect(try !ledger.takeLease("account:a", owner: "two", until: start + 70, now: start + 10))
        #expect(try ledger.takeLease("account:a", owner: "one", until: start + 70, now: start + 10), "its own again")
        #expect(try ledger.renewLeases(owner: "one", until: start + 100, now: start + 40) == ["account:a"])
        #expect(try !ledger.takeLease("account:a", owner: "two", until: start + 160, now: start + 99))
        // Not renewed in time: expired, taken over, and gone from the old holder's renewal.
        #expect(try ledger.takeLease("account:a", owner: "two", until: start + 161, now: start + 101))
        #expect(try ledger.renewLeases(owner: "one", until: start + 162, now: start + 102).isEmpty)

        let snapshot = try ledger.poolSnapshot()
        #expect(snapshot.leases.map(\.owner) == ["two"] && snapshot.leases.first?.expiresAt == start + 161)
        #expect(snapshot.workers.map(\.id) == ["one", "two"])
        #expect(snapshot.workers.first { $0.id == "one" }?.renewedAt == start + 102)

        #expect(try ledger.takeLease("delivery:webhook:x", owner: "two", until: start + 161, now: start + 101))
        try ledger.releaseLeases(owner: "two", names: ["account:a"])
        #expect(try ledger.poolSnapshot().leases.map(\.name) == ["delivery:webhook:x"])
        #expect(try ledger.takeLease("account:a", owner: "one", until: start + 170, now: start + 110), "free at once")
        try ledger.removeWorker("two")
        #expect(try ledger.poolSnapshot().leases.map(\.name) == ["account:a"])
        #expect(try ledger.poolSnapshot().workers.map(\.id) == ["one"])
        // A worker silent since before the cutoff is forgotten, with its leases; the others stay.
        try ledger.registerWorker(worker("three", at: start + 2000))
        try ledger.removeWorkers(silentSince: start + 1000)
        #expect(try ledger.poolSnapshot().leases.isEmpty)
        #expect(try ledger.poolSnapshot().workers.map(\.id) == ["three"])
        try ledger.removeWorker("three")
        #expect(try ledger.poolSnapshot().workers.isEmpty)
    }

    @Test("two ledgers racing for 50 free leases: each taken exactly once", arguments: LedgerStore.available)
    func race(store: LedgerStore) async throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledgers = [try sandbox.open(), try sandbox.open()]
        let now = Date()
        let names = (0..<50).map { "account:\($0)" }
        let taken = try await withThrowingTaskGroup(of: [String].self) { group in
            for (index, ledger) in ledgers.enumerated() {
                group.addTask {
                    try names.shuffled().filter {
                        try ledger.takeLease($0, owner: "w\(index)", until: now + 60, now: now)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(taken.flatMap { $0 }.sorted() == names.sorted())
        #expect(Set(taken[0]).isDisjoint(with: taken[1]))
        let owners = Dictionary(grouping: try ledgers[0].poolSnapshot().leases, by: \.owner).mapValues(\.count)
        #expect(owners["w0", default: 0] == taken[0].count && owners["w1", default: 0] == taken[1].count)
    }

    @Test("pec workers' records: live or not, the unexpired leases of each", arguments: LedgerStore.available)
    func status(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        let now = Date()
        try ledger.registerWorker(worker("old", at: now - 120))
        try ledger.registerWorker(worker("new", at: now - 1))
        #expect(try ledger.takeLease("account:b", owner: "new", until: now + 60, now: now))
        #expect(try ledger.takeLease("account:a", owner: "new", until: now + 60, now: now))
        #expect(try ledger.takeLease("delivery:webhook:https://h/x", owner: "new", until: now + 60, now: now))
        #expect(try ledger.takeLease("account:c", owner: "old", until: now - 60, now: now - 120))
        let workers = try ledger.poolStatus(at: now)
        #expect(workers.map(\.worker) == ["old", "new"])
        #expect(workers.map(\.live) == [false, true])
        #expect(workers[0].accounts.isEmpty, "an expired lease is held by nobody")
        #expect(workers[1].accounts == ["a", "b"] && workers[1].deliveries == ["webhook:https://h/x"])
        let line = try OutputRenderer(format: .json).render(record: workers[1])
        let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(record["accounts_held"] as? Int == 2 && record["live"] as? Bool == true)
    }

    @Test(
        "events stored through one connection wake a listener on another (NOTIFY); none on the SQLite file",
        .enabled(if: LedgerStore.postgresURL != nil)
    )
    func notifications() async throws {
        let sandbox = try LedgerSandbox(store: .postgres)
        let listener = try sandbox.open()
        let writer = try sandbox.open()
        let notifications = try #require(listener.eventNotifications())
        let woken = NIOLockedValueBox(false)
        let listening = Task {
            for await _ in notifications {
                woken.withLockedValue { $0 = true }
                return
            }
        }
        // The LISTEN is on its way: store events until one wakes it (each attempt a new receipt), 10 s at most.
        var stored = 0
        for attempt in 1...20 where !woken.withLockedValue({ $0 }) {
            stored += try writer.recordEvents([
                TrackingStatusDerivationTests.event(
                    .delivery,
                    after: TimeInterval(attempt),
                    recipient: "r\(attempt)@pec.example.it",
                    seq: Int64(attempt)
                )
            ]).count
            try await Task.sleep(for: .milliseconds(500))
        }
        listening.cancel()
        #expect(woken.withLockedValue { $0 }, "no notification after \(stored) stored events")
        #expect(try SendLedger(at: sandbox.ledgerURL).eventNotifications() == nil)
    }

    private func worker(_ id: String, at date: Date) -> PoolWorkerRow {
        PoolWorkerRow(
            id: id,
            host: "host",
            pid: 1,
            startedAt: date,
            renewedAt: date,
            leaseSeconds: 60,
            maxAccounts: nil
        )
    }
}
