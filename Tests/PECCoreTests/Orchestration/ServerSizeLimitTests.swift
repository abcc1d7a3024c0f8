import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

/// A server announcing a huge literal (`{4294967295}`) and streaming it costs neither memory nor
/// disk (issue 14, defect 5): sections held in memory stop at ``ServerSizeLimits/heldSection``,
/// spooled messages at ``ServerSizeLimits/spooledMessage``, refused as `malformed` before their bytes are kept.
@Suite("Size limits on what a server sends")
struct ServerSizeLimitTests {
    /// 4 MiB of header-looking bytes in 64 KiB reads: twice the held-section cap.
    static let flood: [ScriptStep] = Array(
        repeating: .server(
            Array(
                String(repeating: "X-Junk: 0123456789abcdef0123456789abcdef0123456789abcdef012\r\n", count: 1024).utf8
            )
        ),
        count: 64
    )

    static func unreadBytes(_ stream: ScriptedStream?) -> Int {
        (stream?.remaining ?? []).reduce(0) { total, step in
            if case .server(let bytes) = step { total + bytes.count } else { total }
        }
    }

    @Test("a header section announced as 4294967295 bytes in a listing: malformed, refused before it is read")
    func hugeHeaderSection() async throws {
        var imap = MailboxOrchestrationTests.examined(1)
        imap.command("UID SEARCH 1:1", ["* SEARCH 4"])
        imap.step(.clientLine(prefix: Array("\(imap.takeTag()) UID FETCH 4 ".utf8)))
        imap.server(
            bytes: Array("* 1 FETCH (UID 4 FLAGS () BODY[\(MailboxOrchestrationTests.fields)] {4294967295}\r\n".utf8)
        )
        for step in Self.flood { imap.step(step) }
        let connector = ScriptedConnector(imap.steps)

        let error = await #expect(throws: PECError.self) {
            try await Orchestration.mailbox(connector).list(ListRequest())
        }

        #expect(error?.kind == .malformed, "\(String(describing: error))")
        #expect(error?.message.contains("4294967295") == true)
        #expect(error?.message.contains("2 MiB") == true)
        let stream = connector.opened.first
        #expect(stream?.mismatches == [])
        // Refused on the announcement: at most one read of the flood was taken, nothing held.
        #expect(
            Self.unreadBytes(stream) >= 63 * 61 * 1024,
            "the client read \(4 << 20 - Self.unreadBytes(stream)) bytes"
        )
    }

    @Test("a header section sent as a string past the cap is refused as it grows")
    func accumulatorRefusesGrowth() throws {
        var accumulator = IMAP.FetchAccumulator(sectionSizeLimit: 10)
        let section = IMAP.SectionSpecifier(kind: .header)
        _ = try accumulator.handle(.start(1))
        _ = try accumulator.handle(.attribute(.uid(IMAP.UID(rawValue: 4))))
        _ = try accumulator.handle(.streamingBegin(section: section, origin: nil, byteCount: 10))
        _ = try accumulator.handle(.streamingBytes(Array(repeating: 65, count: 6)))
        let error = #expect(throws: IMAP.SectionTooLarge.self) {
            _ = try accumulator.handle(.streamingBytes(Array(repeating: 65, count: 6)))
        }
        #expect(error?.byteCount == 12)
        #expect(error?.uid == IMAP.UID(rawValue: 4))
        #expect(throws: IMAP.SectionTooLarge.self) {
            _ = try accumulator.handle(.streamingBegin(section: section, origin: nil, byteCount: 11))
        }
    }

    @Test("pec get of a message announced as 4294967295 bytes: malformed, nothing spooled")
    func hugeMessageIsNotSpooled() async throws {
        var imap = MailboxOrchestrationTests.examined(1)
        imap.command("UID SEARCH UID 5", ["* SEARCH 5"])
        imap.client("P\(imap.nextTag) UID FETCH 5 (UID BODY.PEEK[])")
        imap.server(bytes: Array("* 1 FETCH (UID 5 BODY[] {4294967295}\r\n".utf8))
        for step in Self.flood { imap.step(step) }
        let connector = ScriptedConnector(imap.steps)

        let error = await #expect(throws: PECError.self) {
            try await Orchestration.mailbox(connector).get(GetRequest(id: 5))
        }

        #expect(error?.kind == .malformed, "\(String(describing: error))")
        #expect(error?.message.contains("150 MiB") == true)
        // Refused on the announcement: the spool got at most one read (it is removed on the error).
        #expect(Self.unreadBytes(connector.opened.first) >= 63 * 61 * 1024)
    }

    @Test("a receipt announced past the spool cap in a sync: malformed, and no file left in the store")
    func hugeReceiptIsNotStored() async throws {
        let receipts = try ReceiptLedger()
        let candidateHeaders = SyncOrchestrationTests.candidateHeaders
        let fields = SyncOrchestrationTests.fields
        var imap = Orchestration.examined(1)
        imap.search("UID 1:*", found: [1])
        imap.command(
            "UID FETCH 1 (UID \(candidateHeaders))",
            fetched: [FetchReply(uid: 1, sections: [(fields, Orchestration.headers(["X-Ricevuta: accettazione"]))])]
        )
        imap.client("P\(imap.nextTag) UID FETCH 1 (UID BODY.PEEK[])")
        let announced = ServerSizeLimits.spooledMessage + 1
        imap.server(bytes: Array("* 1 FETCH (UID 1 BODY[] {\(announced)}\r\n".utf8))
        for step in Self.flood { imap.step(step) }
        let connector = ScriptedConnector(imap.steps)
        let service = try receipts.service(connector)

        let error = await #expect(throws: PECError.self) {
            try await service.sync(SyncRequest())
        }

        #expect(error?.kind == .malformed, "\(String(describing: error))")
        #expect(error?.message.contains("\(announced)") == true)
        let store = try EvidenceStore(ledger: receipts.ledger).directory
        let left = try FileManager.default.contentsOfDirectory(atPath: store.path)
        #expect(left.isEmpty, "left in the store: \(left)")
    }
}
