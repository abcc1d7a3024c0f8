import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

/// `pec sync` over a scripted server with real Aruba receipts: candidates by header, download as
/// evidence, signature check, events in the ledger exactly once.
@Suite(
    "Receipt sync over a scripted server",
    .enabled(if: SignatureFixtures.corpusAvailable, "shared fixtures (shared/fixtures/pec) not found")
)
struct SyncOrchestrationTests {
    /// The PEC and REM header fields sync reads of every candidate, as the client writes them.
    static let fieldList = ReceiptSyncService.headerFields.map { $0.uppercased() }.joined(separator: " ")
    static let candidateHeaders = "BODY.PEEK[HEADER.FIELDS (\(fieldList))]"
    static let fields = "BODY[HEADER.FIELDS (\(fieldList))]"

    let receipts: ReceiptLedger
    var ledger: SendLedger { receipts.ledger }

    init() throws { receipts = try ReceiptLedger() }

    func service(_ connector: ScriptedConnector) throws -> ReceiptSyncService { try receipts.service(connector) }

    @Test func recordsAcceptanceAndDeliveryOnce() async throws {
        let acceptance = try SignatureFixtures.corpus("OCA_l10n-italy_ACCETTAZIONE_IT03339130126_00009.eml")
        let delivery = try SignatureFixtures.corpus("OCA_l10n-italy_CONSEGNA_IT03339130126_00009.eml")
        var imap = Orchestration.examined(3)
        imap.search("UID 1:*", found: [1, 2, 3])
        let candidates = [
            (1, "X-Ricevuta: accettazione"), (2, "Subject: ordinary mail"), (3, "X-Ricevuta: avvenuta-consegna"),
        ]
        imap.command(
            "UID FETCH 1:3 (UID \(Self.candidateHeaders))",
            fetched: candidates.map { uid, line in
                FetchReply(uid: UInt32(uid), sections: [(Self.fields, Orchestration.headers([line]))])
            }
        )
        imap.command(
            "UID FETCH 1,3 (UID BODY.PEEK[])",
            fetched: [
                FetchReply(uid: 1, sections: [("BODY[]", acceptance)]),
                FetchReply(uid: 3, sections: [("BODY[]", delivery)]),
            ]
        )
        imap.logout()
        // A second sync starts after the last UID seen and finds nothing new.
        var again = Orchestration.examined(3)
        again.search("UID 4:*", found: [3])
        again.logout()
        let connector = ScriptedConnector(imap.steps, again.steps)
        let service = try service(connector)

        let first = try await service.sync(SyncRequest())
        let second = try await service.sync(SyncRequest())

        connector.verify()
        #expect(first.scanned == 3)
        #expect(first.receipts == 2)
        #expect(first.events.map(\.kind) == [.acceptance, .delivery])
        #expect(first.events.allSatisfy { $0.trusted })
        #expect(first.events.last?.recipient == "l.battistini@pec.it")
        #expect(Set(first.events.map(\.messageID)).count == 1)
        #expect(second.scanned == 0)
        #expect(second.recorded == 0)
        let stored = try ledger.syncedFolder(account: IMAPScript.username, folder: "INBOX")
        #expect(stored?.uidValidity == 77)
        #expect(stored?.lastUID == 3)
    }

    /// The first batch's header FETCH: receipts at `receipts`, ordinary mail elsewhere.
    static func candidateBatch(_ uids: ClosedRange<Int>, receipts: [Int: String]) -> [FetchReply] {
        uids.map { uid in
            let line = receipts[uid] ?? "Subject: ordinary mail"
            return FetchReply(uid: UInt32(uid), sections: [(Self.fields, Orchestration.headers([line]))])
        }
    }

    /// Two batches read through the pipeline (the second downloaded while the first is read): a
    /// receipt whose signature fails in the middle of the first batch is recorded untrusted between
    /// the two good ones, in UID order; the same receipt again in the second batch adds nothing.
    @Test func pipelinedBatchesKeepOrderAndVerifyEachReceipt() async throws {
        let acceptance = try SignatureFixtures.corpus("OCA_l10n-italy_ACCETTAZIONE_IT03339130126_00009.eml")
        let delivery = try SignatureFixtures.corpus("OCA_l10n-italy_CONSEGNA_IT03339130126_00009.eml")
        let tampered = try #require(SignatureFixtures.tampered(delivery))
        var imap = Orchestration.examined(251)
        imap.search("UID 1:*", found: Array(1...251))
        imap.command(
            "UID FETCH 1:250 (UID \(Self.candidateHeaders))",
            fetched: Self.candidateBatch(
                1...250,
                receipts: [
                    1: "X-Ricevuta: accettazione", 2: "X-Ricevuta: avvenuta-consegna",
                    3: "X-Ricevuta: avvenuta-consegna",
                ]
            )
        )
        imap.command(
            "UID FETCH 1:3 (UID BODY.PEEK[])",
            fetched: [
                FetchReply(uid: 1, sections: [("BODY[]", acceptance)]),
                FetchReply(uid: 2, sections: [("BODY[]", tampered)]),
                FetchReply(uid: 3, sections: [("BODY[]", delivery)]),
            ]
        )
        imap.command(
            "UID FETCH 251 (UID \(Self.candidateHeaders))",
            fetched: Self.candidateBatch(251...251, receipts: [251: "X-Ricevuta: avvenuta-consegna"])
        )
        imap.command(
            "UID FETCH 251 (UID BODY.PEEK[])",
            fetched: [FetchReply(uid: 251, sections: [("BODY[]", delivery)])]
        )
        imap.logout()
        let connector = ScriptedConnector(imap.steps)

        let result = try await service(connector).sync(SyncRequest())

        connector.verify()
        #expect(result.scanned == 251)
        #expect(result.receipts == 4)
        #expect(result.recorded == 3)
        #expect(result.events.map(\.evidence?.uid) == [1, 2, 3])
        #expect(result.events.map(\.trusted) == [true, false, true])
        #expect(result.events.map(\.seq) == [1, 2, 3])
        #expect(Set(result.events.map(\.uniqueKey)).count == 3)
        let stored = try ledger.syncedFolder(account: IMAPScript.username, folder: "INBOX")
        #expect(stored?.lastUID == 251)
    }

    /// When the next batch cannot be downloaded, the batch already read is still recorded, with the
    /// sync position it reaches, as when batches ran one after the other; the next sync goes on from there.
    @Test func failedDownloadStillRecordsTheBatchBefore() async throws {
        let acceptance = try SignatureFixtures.corpus("OCA_l10n-italy_ACCETTAZIONE_IT03339130126_00009.eml")
        var imap = Orchestration.examined(251)
        imap.search("UID 1:*", found: Array(1...251))
        imap.command(
            "UID FETCH 1:250 (UID \(Self.candidateHeaders))",
            fetched: Self.candidateBatch(1...250, receipts: [1: "X-Ricevuta: accettazione"])
        )
        imap.command("UID FETCH 1 (UID BODY.PEEK[])", fetched: [FetchReply(uid: 1, sections: [("BODY[]", acceptance)])])
        imap.command("UID FETCH 251 (UID \(Self.candidateHeaders))", completion: "NO [SERVERBUG] cannot fetch now")
        let connector = ScriptedConnector(imap.steps)

        await #expect(throws: PECError.self) { try await service(connector).sync(SyncRequest()) }

        let stored = try ledger.syncedFolder(account: IMAPScript.username, folder: "INBOX")
        #expect(stored?.lastUID == 250)
        #expect(try ledger.feed(after: 0, limit: 10).map(\.kind) == [.acceptance])
    }
}

@Suite("Receipt sync: the bounded, ordered parallel map")
struct OrderedMapTests {
    final class Gauge: @unchecked Sendable {
        private let lock = NSLock()
        private var running = 0
        private(set) var peak = 0
        func enter() {
            lock.withLock {
                running += 1; peak = max(peak, running)
            }
        }
        func leave() { lock.withLock { running -= 1 } }
    }

    @Test func atMostParallelAtOnceResultsInOrder() async throws {
        let gauge = Gauge()
        let results = try await ReceiptSyncService.orderedMap(count: 40, parallel: 3) { index in
            gauge.enter()
            defer { gauge.leave() }
            // Later indexes end first: the results must still come back in index order.
            try await Task.sleep(for: .milliseconds(Int.random(in: 1...5) + (40 - index) % 4))
            return index * 2
        }
        #expect(results == (0..<40).map { $0 * 2 })
        #expect(gauge.peak <= 3)
        #expect(gauge.peak >= 2)
    }

    struct Failure: Error {}

    @Test func aFailureInTheMiddleEndsIt() async throws {
        let started = Gauge()
        await #expect(throws: Failure.self) {
            _ = try await ReceiptSyncService.orderedMap(count: 100, parallel: 2) { index in
                started.enter()
                if index == 10 { throw Failure() }
                return index
            }
        }
        // No new one starts after the failure (the gauge counts starts here: nothing leaves).
        #expect(started.peak < 100)
    }

    @Test func nothingToDo() async throws {
        let results = try await ReceiptSyncService.orderedMap(count: 0, parallel: 4) { $0 }
        #expect(results.isEmpty)
    }
}
