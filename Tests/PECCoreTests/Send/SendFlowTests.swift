import Foundation
import Testing

@testable import PECCore

/// prepare → dry run → confirm → send, and the summary a human confirms; nothing here reaches a server.
@Suite("send flow")
struct SendFlowTests {
    static func service(_ box: LedgerSandbox) throws -> SendService {
        let account = Account(
            address: "mario.rossi@pec.example.it",
            imap: ServerEndpoint(host: "127.0.0.1", port: 1),
            smtp: ServerEndpoint(host: "127.0.0.1", port: 1)
        )
        return SendService(account: account, password: "pw", ledger: try box.open())
    }

    static let request = SendRequest(
        draft: OutgoingMessage(
            from: "mario.rossi@pec.example.it",
            to: ["ufficio@pec.comune.example.it"],
            subject: "Diffida",
            body: "Testo."
        )
    )

    @Test("the summary names every recipient, the subject, the Message-ID and shows the text")
    func summary() throws {
        let box = try LedgerSandbox()
        var request = Self.request
        request.draft.cc = ["copia@pec.example.it"]
        request.draft.body = "Prima riga\nseconda riga"
        let prepared = try Self.service(box).prepare(request)
        let lines = prepared.confirmationLines(indent: "  ")
        #expect(lines.contains("  To:          ufficio@pec.comune.example.it"))
        #expect(lines.contains("  Cc:          copia@pec.example.it"))
        #expect(lines.contains("  Subject:     Diffida"))
        #expect(lines.contains("  Message-ID:  \(prepared.composed.messageID)"))
        #expect(Array(lines.suffix(3)) == ["", "  Prima riga", "  seconda riga"])
        #expect(!lines.contains { $0.contains("Resending") })
    }

    @Test("a resend says so, naming the earlier send, and gets its own Message-ID")
    func resendSummary() throws {
        let box = try LedgerSandbox()
        let service = try Self.service(box)
        let first = try service.prepare(Self.request)
        _ = try service.ledger.beginAttempt(
            NewSend(
                messageID: first.composed.messageID,
                account: "mario.rossi@pec.example.it",
                from: first.composed.from,
                to: first.message.to,
                cc: [],
                subject: first.message.subject,
                preparedAt: first.composed.date,
                size: first.composed.size,
                attachments: []
            )
        )
        try service.ledger.recordOutcome(
            messageID: first.composed.messageID,
            status: .sent,
            smtpReply: "250 ok",
            error: nil,
            recipients: []
        )
        #expect(throws: PECError.self) { try service.prepare(Self.request, now: first.composed.date) }
        var again = Self.request
        again.resend = true
        let resend = try service.prepare(again, now: first.composed.date)
        #expect(resend.composed.messageID != first.composed.messageID)
        let fields = Dictionary(resend.confirmationFields.map { ($0.label, $0.value) }) { a, _ in a }
        #expect(fields["Resending"] == "the same content as \(first.composed.messageID)")
        #expect(fields["Message-ID"] == resend.composed.messageID)
    }

    @Test("a draft from another address than the account's is refused")
    func foreignSender() throws {
        let box = try LedgerSandbox()
        var request = Self.request
        request.draft.from = "altro@pec.example.it"
        let error = try #require(throws: PECError.self) { try Self.service(box).prepare(request) }
        #expect(error.kind == .invalidInput)
        request.draft.from = "Mario.Rossi@PEC.example.it"
        _ = try Self.service(box).prepare(request)
    }

    @Test("a long text is previewed, cut and marked")
    func preview() throws {
        let box = try LedgerSandbox()
        var request = Self.request
        request.draft.body = String(repeating: "a", count: PreparedSend.previewLength + 10)
        let prepared = try Self.service(box).prepare(request)
        #expect(prepared.bodyPreview.count == PreparedSend.previewLength + 1)
        #expect(prepared.bodyPreview.hasSuffix("…"))
    }

    @Test("a text over 10 MB is refused in core, with the remedy to attach it")
    func textLimit() throws {
        let box = try LedgerSandbox()
        var request = Self.request
        request.draft.body = String(repeating: "x", count: OutgoingMessage.maximumTextSize + 1)
        let error = try #require(throws: PECError.self) { try Self.service(box).prepare(request) }
        #expect(error.kind == .invalidInput)
        #expect(error.remedies == [.attachLargeText])
        request.draft.body = String(repeating: "x", count: OutgoingMessage.maximumTextSize)
        _ = try Self.service(box).prepare(request)
    }

    @Test("dry run: not confirmed, nothing recorded; a refused confirmation stops before the ledger")
    func run() async throws {
        let box = try LedgerSandbox()
        let service = try Self.service(box)
        let dry = try await service.run(Self.request, dryRun: true) { _ in Issue.record("asked on a dry run") }
        #expect(dry.status == .dryRun)
        #expect(try service.ledger.send(messageID: dry.messageID) == nil)
        let refusal = PECError(.sendRefused, "not sent: not confirmed")
        let thrown = await #expect(throws: PECError.self) {
            try await service.run(Self.request, dryRun: false) { _ in throw refusal }
        }
        #expect(thrown == refusal)
        #expect(try service.ledger.send(messageID: dry.messageID) == nil)
    }
}
