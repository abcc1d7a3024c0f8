import Foundation
import Testing

@testable import PECCore

@Suite("Ledger: sends per recipient within a window")
struct RecipientRateLimitTests {
    let limit = RecipientRateLimit(maxSends: 3, window: 300)

    func send(_ n: Int, to: [String], limit: RecipientRateLimit?) -> NewSend {
        var send = LedgerFixtures.newSend("<rate.\(n)@pec.example.it>", to: to)
        send.rateLimit = limit
        return send
    }

    @Test(
        "the fourth send to one recipient within the window is refused, in the same transaction",
        arguments: LedgerStore.available
    )
    func fourthRefused(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let clock = TestClock()
        let ledger = try sandbox.open(clock: clock)
        for n in 1...3 {
            try ledger.beginAttempt(send(n, to: ["ufficio@pec.example.it"], limit: limit))
            try ledger.recordOutcome(
                messageID: "<rate.\(n)@pec.example.it>",
                status: .sent,
                smtpReply: "250 ok",
                error: nil,
                recipients: []
            )
        }
        // Another case of the same address is the same mailbox.
        let refusal = try #require(
            throws: RecipientRateLimited.self,
            performing: { try ledger.beginAttempt(send(4, to: ["UFFICIO@pec.example.it"], limit: limit)) }
        )
        #expect(refusal.recipient == "UFFICIO@pec.example.it")
        #expect(refusal.pecError.kind == .rateLimited)
        #expect(refusal.pecError.retryable)
        // Nothing was recorded for the refused send.
        #expect(try ledger.send(messageID: "<rate.4@pec.example.it>") == nil)
        // The next slot opens when the first of the three leaves the window.
        let first = try #require(try ledger.send(messageID: "<rate.1@pec.example.it>"))
        #expect(refusal.allowedAfter == first.lastAttemptAt.addingTimeInterval(300))
        // Without a limit (the CLI) the ledger does not refuse it.
        try ledger.beginAttempt(send(5, to: ["ufficio@pec.example.it"], limit: nil))
    }

    @Test(
        "other recipients, failed attempts and sends older than the window do not count",
        arguments: LedgerStore.available
    )
    func whatCounts(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let clock = TestClock()
        let ledger = try sandbox.open(clock: clock)
        for n in 1...2 {
            try ledger.beginAttempt(send(n, to: ["a@pec.example.it"], limit: limit))
            try ledger.recordOutcome(
                messageID: "<rate.\(n)@pec.example.it>",
                status: .sent,
                smtpReply: nil,
                error: nil,
                recipients: []
            )
        }
        // A refused attempt sent nothing: it does not use a slot.
        try ledger.beginAttempt(send(3, to: ["a@pec.example.it"], limit: limit))
        try ledger.recordOutcome(
            messageID: "<rate.3@pec.example.it>",
            status: .refused,
            smtpReply: nil,
            error: "550",
            recipients: []
        )
        try ledger.beginAttempt(send(4, to: ["a@pec.example.it", "b@pec.example.it"], limit: limit))
        #expect(try ledger.rateLimitRefusal(recipients: ["b@pec.example.it"], limit: limit) == nil)
        #expect(
            try ledger.rateLimitRefusal(recipients: ["b@pec.example.it", "a@pec.example.it"], limit: limit)?.recipient
                == "a@pec.example.it"
        )
        // In progress (`sending`) counts: it may be going out right now.
        #expect(throws: RecipientRateLimited.self) {
            try ledger.beginAttempt(send(5, to: ["a@pec.example.it"], limit: limit))
        }
        clock.advance(by: 301)
        #expect(try ledger.rateLimitRefusal(recipients: ["a@pec.example.it"], limit: limit) == nil)
        try ledger.beginAttempt(send(6, to: ["a@pec.example.it"], limit: limit))
    }

    @Test("the limit survives reopening the ledger (a restarted pec-mcp)", arguments: LedgerStore.available)
    func survivesReopen(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let clock = TestClock()
        do {
            let ledger = try sandbox.open(clock: clock)
            for n in 1...3 { try ledger.beginAttempt(send(n, to: ["x@pec.example.it"], limit: limit)) }
        }
        let reopened = try sandbox.open(clock: clock)
        #expect(throws: RecipientRateLimited.self) {
            try reopened.beginAttempt(send(4, to: ["x@pec.example.it"], limit: limit))
        }
    }

    @Test("the limit says itself in words")
    func description() {
        #expect(RecipientRateLimit.mcpDefault.description == "3 messages per recipient per 5 minutes")
        #expect(RecipientRateLimit(maxSends: 1, window: 90).description == "1 message per recipient per 90 seconds")
    }
}
