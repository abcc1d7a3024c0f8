import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

@Suite("pec ledger export and import: a ledger's data between stores")
struct LedgerTransferTests {
    static let mario = "mario.rossi@pec.example.it"
    static let anna = "anna.bianchi@pec.example.it"

    /// Two accounts' sends (one failed, one with Cc and no attachment), receipts (one parked by a webhook),
    /// a folder's sync position, the watch and delivery cursors.
    static func fill(_ ledger: SendLedger) throws {
        var first = LedgerFixtures.newSend("<t1@pec.example.it>", account: mario, cc: ["Copia@pec.example.it"])
        first.ref = "pratica-17"
        first.contentFingerprint = "fp-1"
        try ledger.beginAttempt(first)
        try ledger.recordOutcome(
            messageID: first.messageID,
            status: .sent,
            smtpReply: "250 ok",
            error: nil,
            recipients: [
                RecipientOutcome(address: "ufficio@pec.comune.example.it", accepted: true, code: 250, text: "ok"),
                RecipientOutcome(address: "copia@pec.example.it", accepted: false, code: 550, text: "no"),
            ]
        )
        try ledger.setIdentificativo("opec-1.20250615@pec.example.it", forMessageID: first.messageID)
        try ledger.setMessageSHA256(String(repeating: "cd", count: 32), forMessageID: first.messageID)
        try ledger.setInboxBookmark(InboxBookmark(uidValidity: 7, uidNext: 120), forMessageID: first.messageID)
        var second = LedgerFixtures.newSend("<t2@pec.example.it>", account: mario)
        second.attachments = []
        try ledger.beginAttempt(second)
        try ledger.recordOutcome(
            messageID: second.messageID,
            status: .failed,
            smtpReply: nil,
            error: "connection reset",
            recipients: []
        )
        try ledger.beginAttempt(LedgerFixtures.newSend("<t3@pec.example.it>", account: anna, to: ["x@pec.example.it"]))

        let at = Date(timeIntervalSince1970: 1_750_000_123.456)
        let events = [
            event(.acceptance, "<t1@pec.example.it>", account: mario, sha: "a1", at: at),
            event(
                .delivery,
                "<t1@pec.example.it>",
                account: mario,
                sha: "a2",
                at: at + 60,
                recipient: "ufficio@pec.comune.example.it"
            ),
            event(.acceptance, "<t3@pec.example.it>", account: anna, sha: "b1", at: at + 120),
        ]
        let stored = try ledger.recordEvents(
            events,
            syncedTo: (mario, "INBOX", SyncedFolder(uidValidity: 7, lastUID: 130))
        )
        try #require(stored.count == 3)
        try ledger.setPrintedSeq(stored[1].seq, account: mario)
        try ledger.setDeliveredSeqs(["webhook:https://hooks.example.it/pec": stored[0].seq])
        try ledger.park(
            [stored[1].seq],
            target: "webhook:https://hooks.example.it/pec",
            reason: "HTTP 410",
            at: at + 300
        )
    }

    static func event(
        _ kind: ReceiptEventKind,
        _ messageID: String,
        account: String,
        sha: String,
        at: Date,
        recipient: String? = nil
    ) -> TrackingEvent {
        TrackingEvent(
            kind: kind,
            messageID: messageID,
            account: account,
            recipient: recipient,
            at: at,
            recordedAt: at,
            gestore: "Gestore Esempio",
            identificativo: "opec-1.20250615@pec.example.it",
            trusted: true,
            externalRecipients: recipient.map { [$0] },
            evidence: ReceiptEvidence(
                receiptMessageID: "<r-\(sha)@pec.example.it>",
                folder: "INBOX",
                uid: 100 + UInt32(sha.count),
                uidValidity: 7,
                sha256: String(repeating: sha, count: 32),
                size: 4096,
                path: nil
            ),
            warnings: ["a warning"]
        )
    }

    /// What a ledger holds, through its public reads: what must survive a trip through a file. As JSON with dates
    /// to the millisecond, the precision both stores keep (the same instant decodes to a Double a few ulps apart
    /// from PostgreSQL's microseconds and from SQLite's text).
    struct Contents: Equatable {
        var sends: String
        /// Without `seq`, which an import renumbers.
        var events: String
        var folder: SyncedFolder?
        var parked: String

        init(_ ledger: SendLedger) throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.dateEncodingStrategy = .custom { date, encoder in
                var container = encoder.singleValueContainer()
                try container.encode(Int64((date.timeIntervalSince1970 * 1000).rounded()))
            }
            func json(_ value: some Encodable) throws -> String {
                String(decoding: try encoder.encode(value), as: UTF8.self)
            }
            sends = try json(try ledger.recentSends(account: nil, limit: 100))
            events = try json(
                try ledger.feed(after: 0, limit: 100).map { event in
                    var event = event
                    event.seq = 0
                    return event
                }
            )
            folder = try ledger.syncedFolder(account: mario, folder: "INBOX")
            parked =
                try json(
                    try ledger.parkedEvents().map { [$0.target, $0.reason, $0.event.uniqueKey, "\($0.requeued)"] }
                ) + (try json(try ledger.parkedEvents().map(\.parkedAt)))
        }
    }

    @Test("export into a file, then import into an empty ledger, keeps every row", arguments: LedgerStore.available)
    func roundTrip(store: LedgerStore) throws {
        let source = try LedgerSandbox(store: store)
        let ledger = try source.open()
        try Self.fill(ledger)
        let file = source.root.appendingPathComponent("export.sqlite")

        let exported = try ledger.export(to: file, account: nil, replacing: false)
        #expect(exported.count("sends")?.copied == 3)
        #expect(exported.count("send_recipients")?.copied == 4)
        #expect(exported.count("send_attachments")?.copied == 2)
        #expect(exported.count("tracking_events")?.copied == 3)
        #expect(exported.count("parked_events")?.copied == 1)
        #expect(Set(exported.notCopied.keys) == ["workers", "leases", "shared_accounts"])
        #expect(try source.mode(of: file) == 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: source.root.path)
        #expect(!leftovers.contains { $0.hasSuffix(".tmp") || $0.hasSuffix("-wal") }, "\(leftovers)")

        // The file is a ledger of its own, with the same contents and the same numbers.
        let copy = try SendLedger(at: file)
        #expect(try Contents(copy) == Contents(ledger))
        #expect(try copy.feed(after: 0, limit: 100).map(\.seq) == ledger.feed(after: 0, limit: 100).map(\.seq))
        #expect(try copy.printedSeq(account: Self.mario) == ledger.printedSeq(account: Self.mario))
        #expect(try copy.deliveredSeqs() == ledger.deliveredSeqs())
        #expect(try copy.deliveredSeqs().count == 1)

        let target = try LedgerSandbox(store: store)
        let fresh = try target.open()
        let imported = try fresh.importLedger(from: file, account: nil)
        #expect(imported.tables.map(\.copied) == [3, 4, 2, 3, 1, 1])
        #expect(imported.tables.allSatisfy { $0.alreadyPresent == 0 })
        #expect(try Contents(fresh) == Contents(ledger))
        #expect(try fresh.printedSeq(account: Self.mario) == nil)
        #expect(try fresh.deliveredSeqs().isEmpty)
    }

    @Test("importing twice imports nothing the second time; events get new numbers", arguments: LedgerStore.available)
    func idempotentImport(store: LedgerStore) throws {
        let source = try LedgerSandbox()
        let user = try source.open()
        try Self.fill(user)
        let file = source.ledgerURL

        let team = try LedgerSandbox(store: store)
        let ledger = try team.open()
        // The team's own event first: the imported ones are numbered after it.
        let own = try ledger.recordEvents([
            Self.event(.acceptance, "<other@pec.example.it>", account: "luca", sha: "c1", at: Date())
        ])
        let first = try ledger.importLedger(from: file, account: nil)
        #expect(first.count("tracking_events")?.copied == 3)
        let again = try ledger.importLedger(from: file, account: nil)
        #expect(again.tables.allSatisfy { $0.copied == 0 }, "\(again.tables)")
        #expect(again.count("sends")?.alreadyPresent == 3)
        #expect(again.count("tracking_events")?.alreadyPresent == 3)
        let seqs = try ledger.feed(after: 0, limit: 100).map(\.seq)
        #expect(seqs.count == 4)
        #expect(seqs.first == own.first?.seq)
        #expect(Set(seqs).count == 4)
        // The parked event follows its event to its new number.
        let parked = try #require(try ledger.parkedEvents().first)
        let original = try #require(try user.parkedEvents().first)
        #expect(parked.event.uniqueKey == original.event.uniqueKey)
        #expect(parked.event.seq != original.event.seq)
    }

    @Test("--account: only that account's sends and events, both ways", arguments: LedgerStore.available)
    func oneAccount(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        try Self.fill(ledger)
        let file = sandbox.root.appendingPathComponent("anna.sqlite")
        let report = try ledger.export(to: file, account: Self.anna, replacing: false)
        #expect(report.account == Self.anna)
        let copy = try SendLedger(at: file)
        #expect(try copy.recentSends(account: nil, limit: 10).map(\.messageID) == ["<t3@pec.example.it>"])
        #expect(try copy.feed(after: 0, limit: 10).map(\.account) == [Self.anna])
        #expect(try copy.parkedEvents().isEmpty)
        #expect(try copy.syncedFolder(account: Self.mario, folder: "INBOX") == nil)

        let fresh = try LedgerSandbox(store: store).open()
        let imported = try fresh.importLedger(from: file, account: nil)
        #expect(imported.count("sends")?.copied == 1)
    }

    @Test("an existing file is refused without --force, replaced with it")
    func existingFile() throws {
        let sandbox = try LedgerSandbox()
        let ledger = try sandbox.open()
        try Self.fill(ledger)
        let file = sandbox.root.appendingPathComponent("exists.sqlite")
        try Data("keep me".utf8).write(to: file)
        let error = try #require(throws: PECError.self) {
            try ledger.export(to: file, account: nil, replacing: false)
        }
        #expect(error.message.contains("already exists"))
        #expect(error.hint?.contains("--force") == true)
        #expect(try String(contentsOf: file, encoding: .utf8) == "keep me")

        try ledger.export(to: file, account: nil, replacing: true)
        #expect(try SendLedger(at: file).recentSends(account: nil, limit: 10).count == 3)

        let own = try #require(throws: PECError.self) {
            try ledger.export(to: sandbox.ledgerURL, account: nil, replacing: true)
        }
        #expect(own.message.contains("is the ledger being exported"))
    }

    @Test("a failed export leaves no file behind")
    func atomicExport() throws {
        let sandbox = try LedgerSandbox()
        let ledger = try sandbox.open()
        try Self.fill(ledger)
        // A directory that cannot be written: the temporary file cannot even be created.
        let locked = sandbox.root.appendingPathComponent("locked", isDirectory: true)
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: false)
        chmod(locked.path, 0o500)
        defer { chmod(locked.path, 0o700) }
        if getuid() != 0 {
            #expect(throws: PECError.self) {
                try ledger.export(to: locked.appendingPathComponent("copy.sqlite"), account: nil, replacing: false)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: locked.path).isEmpty)
        }
        // A row the copy cannot take (its schema refuses it), after the file was created and partly written.
        try ledger.write(action: "break") { db in
            try db.execute("PRAGMA ignore_check_constraints = ON", [])
            try db.execute("UPDATE sends SET attempts = 0 WHERE message_id = ?", ["<t2@pec.example.it>"])
        }
        let file = sandbox.root.appendingPathComponent("broken.sqlite")
        #expect(throws: PECError.self) { try ledger.export(to: file, account: nil, replacing: false) }
        let entries = try FileManager.default.contentsOfDirectory(atPath: sandbox.root.path)
        #expect(!entries.contains { $0.contains("broken") }, "\(entries)")
    }

    @Test("import refuses a file that is not a ledger, a missing one, an empty one, and the ledger itself")
    func refusedImports() throws {
        let sandbox = try LedgerSandbox()
        let ledger = try sandbox.open()
        let text = sandbox.root.appendingPathComponent("notes.txt")
        try Data(String(repeating: "not a database\n", count: 200).utf8).write(to: text)
        let notLedger = try #require(throws: PECError.self) { try ledger.importLedger(from: text, account: nil) }
        #expect(notLedger.message.contains("is not a pec send ledger"), "\(notLedger.message)")

        let missing = try #require(throws: PECError.self) {
            try ledger.importLedger(from: sandbox.root.appendingPathComponent("nope.sqlite"), account: nil)
        }
        #expect(missing.kind == .notFound)

        let empty = sandbox.root.appendingPathComponent("empty.sqlite")
        FileManager.default.createFile(atPath: empty.path, contents: nil)
        let emptyError = try #require(throws: PECError.self) { try ledger.importLedger(from: empty, account: nil) }
        #expect(emptyError.message.contains("is empty"))

        let itself = try #require(throws: PECError.self) {
            try ledger.importLedger(from: sandbox.ledgerURL, account: nil)
        }
        #expect(itself.message.contains("is the ledger in use"))
    }

    @Test("import reads the file only: it is left as it was, even a ledger in use by another pec")
    func importLeavesFile() throws {
        let user = try LedgerSandbox()
        let ledger = try user.open()
        try Self.fill(ledger)
        let before = try Data(contentsOf: user.ledgerURL)
        let team = try LedgerSandbox().open()
        #expect(try team.importLedger(from: user.ledgerURL, account: nil).count("sends")?.copied == 3)
        #expect(try Data(contentsOf: user.ledgerURL) == before)
    }
}
