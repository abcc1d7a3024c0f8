import Foundation
import Testing

@testable import PECCore

@Suite("SendLedger: several processes on one file")
struct SendLedgerConcurrencyTests {
    /// How one contender's beginAttempt ended.
    enum Result: Sendable {
        case began
        case duplicate
        case failed(String)
    }

    @Test(
        "two ledgers racing to begin the same Message-ID: exactly one wins, every time",
        arguments: LedgerStore.available
    )
    func concurrentBeginAttempt(store: LedgerStore) async throws {
        let sandbox = try LedgerSandbox(store: store)
        // Two instances = two independent SQLite connections to the file, as two pec processes would have.
        let first = try sandbox.open()
        let second = try sandbox.open()
        let iterations = 40
        let contendersPerLedger = 2
        for iteration in 0..<iterations {
            let send = LedgerFixtures.newSend("<race.\(iteration)@pec.example.it>")
            let results = await withTaskGroup(of: Result.self, returning: [Result].self) { group in
                for contender in 0..<(2 * contendersPerLedger) {
                    let ledger = contender.isMultiple(of: 2) ? first : second
                    group.addTask {
                        do {
                            try ledger.beginAttempt(send)
                            return .began
                        } catch is LedgerDuplicate {
                            return .duplicate
                        } catch {
                            return .failed("\(error)")
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let began = results.filter { if case .began = $0 { true } else { false } }.count
            let duplicates = results.filter { if case .duplicate = $0 { true } else { false } }.count
            #expect(began == 1, "iteration \(iteration): \(results)")
            #expect(duplicates == 2 * contendersPerLedger - 1, "iteration \(iteration): \(results)")
        }
        #expect(try first.recentSends(account: nil, limit: 1000).count == iterations)
        #expect(try second.recentSends(account: nil, limit: 1000).allSatisfy { $0.attempts == 1 })
    }

    @Test("two ledgers creating the same new file at once both open it")
    func concurrentCreation() async throws {
        let sandbox = try LedgerSandbox()
        for iteration in 0..<60 {
            let url = sandbox.root.appendingPathComponent("fresh-\(iteration)/ledger.sqlite")
            let failures = await withTaskGroup(of: String?.self, returning: [String].self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        do {
                            let ledger = try SendLedger(at: url)
                            _ = try ledger.recentSends(account: nil, limit: 1)
                            return nil
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                return await group.reduce(into: []) { if let failure = $1 { $0.append(failure) } }
            }
            #expect(failures.isEmpty, "iteration \(iteration)")
        }
    }
}
