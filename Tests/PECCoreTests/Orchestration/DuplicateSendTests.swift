import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

/// The same letter sent again a minute later: another Message-ID, the same content.
@Suite("Duplicate content across a minute boundary")
struct DuplicateSendTests {
    let ledgerFiles: LedgerSandbox
    let ledger: SendLedger
    let orchestration: SendOrchestrationTests

    init() throws {
        orchestration = try SendOrchestrationTests()
        ledgerFiles = orchestration.ledgerFiles
        ledger = orchestration.ledger
    }

    static let first = ISO8601DateFormatter().date(from: "2026-12-03T12:34:59Z")!
    static let second = first.addingTimeInterval(2)  // 12:35:01: another minute, another Message-ID

    func request(_ service: SendService, resend: Bool = false) -> SendRequest {
        SendRequest(
            draft: OutgoingMessage(
                from: service.account.address,
                to: [SendOrchestrationTests.anna],
                subject: "Diffida",
                body: "Con la presente."
            ),
            resend: resend
        )
    }

    /// Sends `request` at `date` over a scripted SMTP server that takes it.
    func sendOnce(_ service: SendService, at date: Date) async throws -> PreparedSend {
        var smtp = SendOrchestrationTests.transaction()
        smtp.exchange("RCPT TO:<\(SendOrchestrationTests.anna)>", "250 2.1.5 Ok")
        smtp.exchange("DATA", "354 End data with <CR><LF>.<CR><LF>")
        smtp.step(.clientData)
        smtp.server("250 2.0.0 Ok: queued as 1")
        smtp.quit()
        let connector = ScriptedConnector([
            ScriptedStream(SendOrchestrationTests.bookmark()), ScriptedStream(smtp.steps),
        ])
        var service = service
        service.settings.connector = connector
        service.imapSettings.connector = connector
        let prepared = try service.prepare(request(service), now: date)
        let result = try await service.send(prepared)
        #expect(result.status == .sent)
        connector.verify()
        return prepared
    }

    @Test("sent at 12:34:59, the same letter at 12:35:01 is refused as a duplicate naming the first")
    func refusedAcrossTheMinute() async throws {
        let service = orchestration.service(ScriptedConnector([]))
        let earlier = try await sendOnce(service, at: Self.first)
        let error = try #require(throws: PECError.self) {
            try service.prepare(request(service), now: Self.second)
        }
        #expect(error.kind == .duplicate)
        #expect(error.message.contains(earlier.composed.messageID))
        #expect(error.message.contains("same message"))
        #expect(error.remedies == [.trace(messageID: earlier.composed.messageID), .resend])
        // The two minutes really give two Message-IDs: the Message-ID rule alone would have let it go.
        var unchecked = service
        unchecked.duplicateWindow = .off
        let other = try unchecked.prepare(request(service), now: Self.second)
        #expect(other.composed.messageID != earlier.composed.messageID)
        #expect(other.composed.contentFingerprint == earlier.composed.contentFingerprint)
    }

    @Test("the ledger's insert refuses it too, so a check that passed before another process sent cannot send twice")
    func refusedAtTheInsert() async throws {
        let service = orchestration.service(ScriptedConnector([]))
        // Prepared while the ledger was still empty (as in a second process racing the first).
        let late = try service.prepare(request(service), now: Self.second)
        let earlier = try await sendOnce(service, at: Self.first)
        let error = await #expect(throws: PECError.self) { _ = try await service.send(late) }
        #expect(error?.kind == .duplicate)
        #expect(error?.message.contains(earlier.composed.messageID) == true)
        #expect(try ledger.send(messageID: late.composed.messageID) == nil)
    }

    @Test("--resend sends the same letter again on purpose; PEC_DUPLICATE_WINDOW=0 turns the check off")
    func overrides() async throws {
        let service = orchestration.service(ScriptedConnector([]))
        let earlier = try await sendOnce(service, at: Self.first)
        let resent = try service.prepare(request(service, resend: true), now: Self.second)
        #expect(resent.resendOf?.messageID == earlier.composed.messageID)
        #expect(resent.confirmationFields.contains { $0.label == "Resending" })

        var off = service
        off.duplicateWindow = try DuplicateWindow(environment: ["PEC_DUPLICATE_WINDOW": "0"])
        #expect(try off.prepare(request(off), now: Self.second).resendOf == nil)
    }

    @Test("PEC_DUPLICATE_WINDOW: seconds or a unit, 0 off, anything else a usage error")
    func windowFromTheEnvironment() throws {
        #expect(try DuplicateWindow(environment: [:]) == .default)
        #expect(try DuplicateWindow(environment: ["PEC_DUPLICATE_WINDOW": ""]).seconds == 86400)
        #expect(try DuplicateWindow(environment: ["PEC_DUPLICATE_WINDOW": "90"]).seconds == 90)
        #expect(try DuplicateWindow(environment: ["PEC_DUPLICATE_WINDOW": "30m"]).seconds == 1800)
        #expect(try DuplicateWindow(environment: ["PEC_DUPLICATE_WINDOW": "2H"]).seconds == 7200)
        #expect(try DuplicateWindow(environment: ["PEC_DUPLICATE_WINDOW": "7d"]).seconds == 7 * 86400)
        #expect(try DuplicateWindow(environment: ["PEC_DUPLICATE_WINDOW": "0"]).isOff)
        for bad in ["-5", "1.5h", "h", "24 h", "٣٠", "10y", "99999999999999999999"] {
            let error = try #require(throws: PECError.self) {
                try DuplicateWindow(environment: ["PEC_DUPLICATE_WINDOW": bad])
            }
            #expect(error.kind == .usage, "\(bad)")
            #expect(error.message.contains("PEC_DUPLICATE_WINDOW"))
        }
    }
}
