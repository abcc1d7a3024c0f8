import Foundation
import Testing

@testable import PECCore

@Suite("TrackingStatusDerivation: statuses and deadlines from events")
struct TrackingStatusDerivationTests {
    static let sentAt = Date(timeIntervalSince1970: 1_780_000_000)
    static let settings = TrackingSettings(acceptanceTimeout: 1800)
    static let anna = "anna@pec.example.it"
    static let luca = "luca@pec.example.it"
    static let esterno = "info@example.com"

    static func send(_ recipients: [String] = [anna, luca]) -> LedgerSend {
        .sent(messageID: "<m1@pec.example.it>", to: recipients, at: sentAt)
    }

    static func event(
        _ kind: ReceiptEventKind,
        after seconds: TimeInterval,
        recipient: String? = nil,
        trusted: Bool = true,
        errore: String? = nil,
        external: [String]? = nil,
        seq: Int64 = 1
    ) -> TrackingEvent {
        TrackingEvent(
            seq: seq,
            kind: kind,
            messageID: "<m1@pec.example.it>",
            account: "mario",
            recipient: recipient,
            at: sentAt.addingTimeInterval(seconds),
            recordedAt: sentAt.addingTimeInterval(seconds),
            errore: errore,
            trusted: trusted,
            externalRecipients: external,
            evidence: ReceiptEvidence(
                receiptMessageID: nil,
                folder: "INBOX",
                uid: UInt32(seq),
                uidValidity: 1,
                sha256: String(repeating: "\(seq % 10)", count: 64),
                size: 1,
                path: "/dev/null"
            )
        )
    }

    func derive(_ events: [TrackingEvent], at seconds: TimeInterval, send: LedgerSend = send()) -> TrackedMessage {
        TrackingStatusDerivation(settings: Self.settings, now: Self.sentAt.addingTimeInterval(seconds))
            .message(send.messageID, send: send, events: events, includeEvents: false)
    }

    func statuses(_ message: TrackedMessage) -> [String: TrackingStatus] {
        Dictionary(uniqueKeysWithValues: message.recipients.map { ($0.address, $0.status) })
    }

    @Test("no acceptance: pending until the timeout, timed_out after it, and a later acceptance clears it")
    func acceptanceTimeout() {
        let before = derive([], at: 1799)
        #expect(before.status == .pending)
        #expect(before.overdue.isEmpty)
        #expect(before.acceptanceDeadline == Self.sentAt.addingTimeInterval(1800))

        let after = derive([], at: 1800)
        #expect(after.status == .timedOut)
        #expect(after.overdue == [.acceptance])
        #expect(statuses(after).values.allSatisfy { $0 == .timedOut })

        let late = derive([Self.event(.acceptance, after: 2000)], at: 2100)
        #expect(late.status == .accepted)
        #expect(late.overdue.isEmpty)
        #expect(late.acceptanceDeadline == nil)
    }

    @Test("per recipient: one delivered, one failed with its errore; the message is failed")
    func deliveredAndFailed() {
        let events = [
            Self.event(.acceptance, after: 1, seq: 1),
            Self.event(.delivery, after: 2, recipient: Self.anna, seq: 2),
            Self.event(.deliveryError, after: 3, recipient: Self.luca.uppercased(), errore: "no-dest", seq: 3),
        ]
        let message = derive(events, at: 10)
        #expect(statuses(message) == [Self.anna: .delivered, Self.luca: .failed])
        #expect(message.recipients.last?.errore == "no-dest")
        #expect(message.status == .failed)
        #expect(StatusFilter.failed.matches(message))
        #expect(!StatusFilter.pending.matches(message))
    }

    @Test("everyone delivered: delivered; a recipient still waiting keeps the message accepted")
    func allDelivered() {
        let accepted = Self.event(.acceptance, after: 1, seq: 1)
        let anna = Self.event(.delivery, after: 2, recipient: Self.anna, seq: 2)
        #expect(derive([accepted, anna], at: 10).status == .accepted)
        let luca = Self.event(.delivery, after: 3, recipient: Self.luca, seq: 3)
        #expect(derive([accepted, anna, luca], at: 10).status == .delivered)
    }

    @Test("an untrusted delivery is listed as such and changes nothing")
    func untrustedDelivery() {
        let events = [
            Self.event(.acceptance, after: 1, seq: 1),
            Self.event(.delivery, after: 2, recipient: Self.anna, trusted: false, seq: 2),
        ]
        let message = derive(events, at: 10)
        #expect(statuses(message)[Self.anna] == .accepted)
        #expect(message.untrustedEvents == 1)
        // Not even an untrusted acceptance counts.
        let forged = derive([Self.event(.acceptance, after: 1, trusted: false)], at: 10)
        #expect(forged.status == .pending)
    }

    @Test("non-acceptance fails every recipient")
    func nonAcceptance() {
        let message = derive([Self.event(.nonAcceptance, after: 1, errore: "altro")], at: 5000)
        #expect(message.status == .failed)
        #expect(statuses(message).values.allSatisfy { $0 == .failed })
        #expect(message.overdue.isEmpty)
    }

    @Test("relay: relayed; 12 h after acceptance a warning, 24 h timed_out; external recipients exempt")
    func deliveryWindows() {
        let send = Self.send([Self.anna, Self.esterno])
        let events = [
            Self.event(.acceptance, after: 0, external: [Self.esterno], seq: 1),
            Self.event(.relay, after: 5, recipient: Self.anna, seq: 2),
        ]
        let early = derive(events, at: 3600, send: send)
        #expect(statuses(early) == [Self.anna: .relayed, Self.esterno: .accepted])
        #expect(early.status == .accepted)

        let warned = derive(events, at: 12 * 3600, send: send)
        #expect(warned.recipients.first?.overdue == .deliveryWarning)
        #expect(warned.recipients.last?.overdue == nil)
        #expect(warned.overdue == [.deliveryWarning])
        #expect(StatusFilter.overdue.matches(warned))

        let failed = derive(events, at: 24 * 3600, send: send)
        #expect(statuses(failed) == [Self.anna: .timedOut, Self.esterno: .accepted])
        #expect(failed.status == .timedOut)

        let derivation = TrackingStatusDerivation(settings: Self.settings, now: Self.sentAt.addingTimeInterval(86_400))
        let passed = derivation.passedDeadlines(failed, acceptedAt: Self.sentAt)
        #expect(passed.map(\.deadline) == [.deliveryWarning, .deliveryFailure])
        #expect(passed.allSatisfy { $0.recipient == Self.anna })
    }

    @Test("the gestore's own 12 h warning marks the recipient overdue at once")
    func gestoreWarning() {
        let events = [
            Self.event(.acceptance, after: 0, seq: 1),
            Self.event(.deliveryWarning, after: 60, recipient: Self.anna, seq: 2),
        ]
        let message = derive(events, at: 120)
        #expect(message.recipients.first?.overdue == .deliveryWarning)
        #expect(message.recipients.first?.status == .accepted)
    }

    @Test("deadlines: the acceptance one passes once, and the next deadline is reported")
    func passedAndNext() {
        let derivation = TrackingStatusDerivation(settings: Self.settings, now: Self.sentAt.addingTimeInterval(10))
        let waiting = derivation.message("<m1@pec.example.it>", send: Self.send(), events: [], includeEvents: false)
        #expect(derivation.passedDeadlines(waiting, acceptedAt: nil).isEmpty)
        #expect(derivation.nextDeadline(waiting, acceptedAt: nil) == Self.sentAt.addingTimeInterval(1800))

        let late = TrackingStatusDerivation(settings: Self.settings, now: Self.sentAt.addingTimeInterval(1900))
        let overdue = late.message("<m1@pec.example.it>", send: Self.send(), events: [], includeEvents: false)
        let passed = late.passedDeadlines(overdue, acceptedAt: nil)
        #expect(passed.map(\.deadline) == [.acceptance])
        #expect(passed.first?.at == Self.sentAt.addingTimeInterval(1800))
        #expect(late.nextDeadline(overdue, acceptedAt: nil) == nil)
    }

    @Test("a message pec did not send: recipients from its receipts, no acceptance deadline")
    func foreignMessage() {
        let derivation = TrackingStatusDerivation(settings: Self.settings, now: Self.sentAt.addingTimeInterval(99_999))
        let events = [
            Self.event(.acceptance, after: 99_000, seq: 1),
            Self.event(.delivery, after: 99_001, recipient: Self.anna, seq: 2),
        ]
        let message = derivation.message("<m1@pec.example.it>", send: nil, events: events, includeEvents: true)
        #expect(message.status == .delivered)
        #expect(message.sentAt == nil)
        #expect(message.events?.count == 2)
    }

    @Test("PEC_ACCEPTANCE_TIMEOUT: default 1800, a number of seconds, anything else refused")
    func settingsFromEnvironment() throws {
        #expect(try TrackingSettings(environment: [:]).acceptanceTimeout == 1800)
        #expect(try TrackingSettings(environment: ["PEC_ACCEPTANCE_TIMEOUT": "2.5"]).acceptanceTimeout == 2.5)
        for bad in ["0", "-1", "abc", "inf"] {
            #expect(throws: PECError.self) { try TrackingSettings(environment: ["PEC_ACCEPTANCE_TIMEOUT": bad]) }
        }
    }

    @Test("every PEC receipt kind maps to one event kind; envelopes to none")
    func eventKinds() {
        #expect(ReceiptEventKind(.accettazione) == .acceptance)
        #expect(ReceiptEventKind(.avvenutaConsegna) == .delivery)
        #expect(ReceiptEventKind(.erroreConsegna) == .deliveryError)
        #expect(ReceiptEventKind(.preavvisoErroreConsegna) == .deliveryWarning)
        #expect(ReceiptEventKind(.presaInCarico) == .relay)
        #expect(ReceiptEventKind(.rilevazioneVirus) == .virus)
        #expect(ReceiptEventKind(.nonAccettazione) == .nonAcceptance)
        #expect(ReceiptEventKind(.postaCertificata) == nil)
        #expect(ReceiptEventKind(.anomalia) == nil)
        // Every kind is a PEC receipt's, but ContentHandover, which only REM has.
        #expect(
            ReceiptEventKind.allCases.filter { $0 != .handover }.map(\.rawValue).allSatisfy { $0.hasPrefix("pec_") }
        )
        #expect(ReceiptEventKind.handover.rawValue == "rem_handover")
    }
}
