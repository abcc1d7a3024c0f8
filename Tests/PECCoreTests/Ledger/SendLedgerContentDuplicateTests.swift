import Foundation
import Testing

@testable import PECCore

/// The ledger's content rule: another Message-ID with the same content fingerprint, within a window.
@Suite("SendLedger: the same content under another Message-ID")
struct SendLedgerContentDuplicateTests {
    static let fingerprint = String(repeating: "c4", count: 32)

    static func send(_ id: Int, window: TimeInterval? = 3600) -> NewSend {
        var send = LedgerFixtures.newSend("<minute.\(id)@pec.example.it>")
        send.contentFingerprint = fingerprint
        send.duplicateWindow = window
        return send
    }

    func end(_ ledger: SendLedger, _ send: NewSend, _ status: LedgerSendStatus) throws {
        try ledger.recordOutcome(messageID: send.messageID, status: status, smtpReply: nil, error: nil, recipients: [])
    }

    @Test(
        "sent, uncertain or still sending within the window: refused, naming the earlier send",
        arguments: LedgerStore.available
    )
    func blocking(store: LedgerStore) throws {
        for status in [LedgerSendStatus.sent, .uncertain, .sending] {
            let sandbox = try LedgerSandbox(store: store)
            let ledger = try sandbox.open(clock: TestClock())
            try ledger.beginAttempt(Self.send(1))
            if status != .sending { try end(ledger, Self.send(1), status) }
            let duplicate = try #require(throws: LedgerDuplicate.self) { try ledger.beginAttempt(Self.send(2)) }
            #expect(duplicate.sameContent && duplicate.existing.messageID == "<minute.1@pec.example.it>", "\(status)")
            #expect(duplicate.description.contains("<minute.1@pec.example.it>"))
            #expect(try ledger.send(messageID: "<minute.2@pec.example.it>") == nil)
        }
    }

    @Test(
        "a refused or failed earlier attempt, one outside the window, no window, other content: not refused",
        arguments: LedgerStore.available
    )
    func notBlocking(store: LedgerStore) throws {
        for status in [LedgerSendStatus.refused, .failed] {
            let sandbox = try LedgerSandbox(store: store)
            let ledger = try sandbox.open(clock: TestClock())
            try ledger.beginAttempt(Self.send(1))
            try end(ledger, Self.send(1), status)
            #expect(try ledger.beginAttempt(Self.send(2)).status == .sending, "\(status)")
        }
        let sandbox = try LedgerSandbox(store: store)
        let clock = TestClock()
        let ledger = try sandbox.open(clock: clock)
        try ledger.beginAttempt(Self.send(1))
        try end(ledger, Self.send(1), .sent)
        clock.advance(by: 3598)  // the clock ticks one second per read: 3599 s later, inside the hour
        #expect(throws: LedgerDuplicate.self) { try ledger.beginAttempt(Self.send(2)) }
        clock.advance(by: 2)  // past the hour
        #expect(try ledger.beginAttempt(Self.send(3)).status == .sending)
        try end(ledger, Self.send(3), .sent)
        #expect(try ledger.beginAttempt(Self.send(4, window: nil)).status == .sending)
        var other = Self.send(5)
        other.contentFingerprint = String(repeating: "d5", count: 32)
        #expect(try ledger.beginAttempt(other).status == .sending)
    }

    @Test(
        "two ledgers racing to begin the same content under two Message-IDs: exactly one wins, every time",
        arguments: LedgerStore.available
    )
    func race(store: LedgerStore) async throws {
        let sandbox = try LedgerSandbox(store: store)
        let first = try sandbox.open()
        let second = try sandbox.open()
        for iteration in 0..<30 {
            let fingerprint = String(format: "%064x", iteration)
            let results = await withTaskGroup(of: Bool?.self, returning: [Bool?].self) { group in
                for contender in 0..<4 {
                    let ledger = contender.isMultiple(of: 2) ? first : second
                    var send = LedgerFixtures.newSend("<race.\(iteration).\(contender)@pec.example.it>")
                    send.contentFingerprint = fingerprint
                    send.duplicateWindow = 86400
                    group.addTask {
                        do {
                            try ledger.beginAttempt(send)
                            return true
                        } catch let duplicate as LedgerDuplicate {
                            return duplicate.sameContent ? false : nil
                        } catch {
                            return nil
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { $0 == true }.count == 1, "iteration \(iteration): \(results)")
            #expect(results.filter { $0 == false }.count == 3, "iteration \(iteration): \(results)")
        }
    }
}
