import Foundation
import Testing

@testable import PECCore

@Suite("SendLedger: attempts, outcomes and duplicates")
struct SendLedgerAttemptTests {
    @Test(
        "beginAttempt records a new send as `sending`, attempt 1, with recipients and attachments",
        arguments: LedgerStore.available
    )
    func beginRecordsNewSend(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let clock = TestClock()
        let ledger = try sandbox.open(clock: clock)
        let send = LedgerFixtures.newSend(to: ["a@pec.example.it", "b@pec.example.it"], cc: ["c@pec.example.it"])
        let stored = try ledger.beginAttempt(send)
        #expect(stored.messageID == "<20250615.1@pec.example.it>")
        #expect(stored.status == .sending)
        #expect(stored.attempts == 1)
        #expect(stored.firstAttemptAt == stored.lastAttemptAt)
        #expect(stored.preparedAt == LedgerFixtures.preparedAt)
        #expect(stored.subject == "Diffida ad adempiere")
        #expect(stored.size == 48_213)
        #expect(
            stored.recipients == [
                LedgerRecipient(address: "a@pec.example.it", role: .to),
                LedgerRecipient(address: "b@pec.example.it", role: .to),
                LedgerRecipient(address: "c@pec.example.it", role: .cc),
            ]
        )
        #expect(stored.attachments == send.attachments)
        #expect(try ledger.send(messageID: send.messageID) == stored)
    }

    @Test(
        "sent, then beginAttempt again: LedgerDuplicate carrying the earlier record",
        arguments: LedgerStore.available
    )
    func sentIsDuplicate(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open(clock: TestClock())
        let send = LedgerFixtures.newSend()
        try ledger.beginAttempt(send)
        try ledger.recordOutcome(
            messageID: send.messageID,
            status: .sent,
            smtpReply: "250 2.0.0 Ok: queued as 4Xyz",
            error: nil,
            recipients: [RecipientOutcome(address: "ufficio@pec.comune.example.it", accepted: true, code: 250)]
        )
        let duplicate = try #require(throws: LedgerDuplicate.self) { try ledger.beginAttempt(send) }
        #expect(duplicate.existing.status == .sent)
        #expect(duplicate.existing.attempts == 1)
        #expect(duplicate.existing.smtpReply == "250 2.0.0 Ok: queued as 4Xyz")
        #expect(duplicate.description.contains("<20250615.1@pec.example.it>"))
        #expect(duplicate.description.contains(duplicate.existing.lastAttemptAt.formatted(.iso8601)))
        #expect(duplicate.pecError.remedies == [.trace(messageID: "<20250615.1@pec.example.it>"), .resend])
        #expect(duplicate.pecError.kind == .sendRefused)
        // Nothing was changed by the refused attempt.
        #expect(try ledger.send(messageID: send.messageID) == duplicate.existing)
    }

    @Test(
        "uncertain, then beginAttempt again: duplicate (it may have been delivered)",
        arguments: LedgerStore.available
    )
    func uncertainIsDuplicate(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        let send = LedgerFixtures.newSend()
        try ledger.beginAttempt(send)
        try ledger.recordOutcome(
            messageID: send.messageID,
            status: .uncertain,
            smtpReply: nil,
            error: "connection reset after DATA",
            recipients: []
        )
        let duplicate = try #require(throws: LedgerDuplicate.self) { try ledger.beginAttempt(send) }
        #expect(duplicate.existing.status == .uncertain)
        #expect(duplicate.description.contains("may already have been sent"))
    }

    @Test(
        "`sending` left by a process that died mid-send: duplicate from a new process",
        arguments: LedgerStore.available
    )
    func crashedSendingIsDuplicate(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let send = LedgerFixtures.newSend()
        do {
            // The "crashed" process: began, never recorded an outcome.
            let crashed = try sandbox.open()
            try crashed.beginAttempt(send)
        }
        let next = try sandbox.open()
        let duplicate = try #require(throws: LedgerDuplicate.self) { try next.beginAttempt(send) }
        #expect(duplicate.existing.status == .sending)
        #expect(duplicate.existing.attempts == 1)
        #expect(duplicate.description.contains("never recorded its outcome"))
    }

    @Test(
        "failed or refused, then beginAttempt again: the row is reused with attempts 2",
        arguments: LedgerStore.available,
        [LedgerSendStatus.failed, .refused]
    )
    func failedIsRetried(store: LedgerStore, status: LedgerSendStatus) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open(clock: TestClock())
        let first = try ledger.beginAttempt(LedgerFixtures.newSend(to: ["old@pec.example.it"]))
        try ledger.recordOutcome(
            messageID: first.messageID,
            status: status,
            smtpReply: "554 5.7.1 rejected",
            error: "the server refused the message",
            recipients: [RecipientOutcome(address: "old@pec.example.it", accepted: false, code: 554, text: "no")]
        )
        var retry = LedgerFixtures.newSend(to: ["new@pec.example.it"])
        retry.attachments = []
        let second = try ledger.beginAttempt(retry)
        #expect(second.attempts == 2)
        #expect(second.status == .sending)
        #expect(second.firstAttemptAt == first.firstAttemptAt)
        #expect(second.lastAttemptAt > first.lastAttemptAt)
        #expect(second.smtpReply == nil)
        #expect(second.error == nil)
        #expect(second.recipients == [LedgerRecipient(address: "new@pec.example.it", role: .to)])
        #expect(second.attachments.isEmpty)
        #expect(try ledger.recentSends(account: nil, limit: 10).count == 1)
    }

    @Test(
        "recordOutcome stores each recipient's answer, matching addresses without regard to case",
        arguments: LedgerStore.available
    )
    func recipientOutcomes(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        let send = LedgerFixtures.newSend(
            to: ["Ufficio@PEC.example.it", "b@pec.example.it", "ufficio@pec.example.it"],
            cc: ["b@pec.example.it", "c@pec.example.it"]
        )
        let stored = try ledger.beginAttempt(send)
        // Duplicates (also across To and Cc) are one recipient; the first spelling and role win.
        #expect(stored.recipients.map(\.address) == ["Ufficio@PEC.example.it", "b@pec.example.it", "c@pec.example.it"])
        #expect(stored.recipients.map(\.role) == [.to, .to, .cc])
        try ledger.recordOutcome(
            messageID: send.messageID,
            status: .sent,
            smtpReply: "250 ok",
            error: nil,
            recipients: [
                RecipientOutcome(address: "ufficio@pec.example.it", accepted: true, code: 250, text: "2.1.5 Ok"),
                RecipientOutcome(address: "b@pec.example.it", accepted: false, code: 550, text: "5.1.1 no such user"),
                RecipientOutcome(address: "stranger@example.it", accepted: true, code: 250),
            ]
        )
        let after = try #require(try ledger.send(messageID: send.messageID))
        #expect(
            after.recipients == [
                LedgerRecipient(
                    address: "Ufficio@PEC.example.it",
                    role: .to,
                    accepted: true,
                    smtpCode: 250,
                    smtpText: "2.1.5 Ok"
                ),
                LedgerRecipient(
                    address: "b@pec.example.it",
                    role: .to,
                    accepted: false,
                    smtpCode: 550,
                    smtpText: "5.1.1 no such user"
                ),
                LedgerRecipient(address: "c@pec.example.it", role: .cc),
            ]
        )
    }

    @Test("recordOutcome and setIdentificativo for an unknown Message-ID: not_found", arguments: LedgerStore.available)
    func unknownMessageID(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        let outcome = try #require(throws: PECError.self) {
            try ledger.recordOutcome(messageID: "<nope@x>", status: .sent, smtpReply: nil, error: nil, recipients: [])
        }
        #expect(outcome.kind == .notFound)
        let identificativo = try #require(throws: PECError.self) {
            try ledger.setIdentificativo("opec1.1@pec.example.it", forMessageID: "nope@x")
        }
        #expect(identificativo.kind == .notFound)
        #expect(try ledger.send(messageID: "nope@x") == nil)
    }

    @Test("Message-IDs are found with or without angle brackets and stored with them", arguments: LedgerStore.available)
    func angleBrackets(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        let stored = try ledger.beginAttempt(LedgerFixtures.newSend("bare.id@pec.example.it"))
        #expect(stored.messageID == "<bare.id@pec.example.it>")
        for spelling in ["bare.id@pec.example.it", "<bare.id@pec.example.it>", "  <bare.id@pec.example.it>\n"] {
            #expect(try ledger.send(messageID: spelling)?.messageID == "<bare.id@pec.example.it>", "\(spelling)")
        }
        // The same message with brackets is the same message.
        #expect(throws: LedgerDuplicate.self) {
            try ledger.beginAttempt(LedgerFixtures.newSend("<bare.id@pec.example.it>"))
        }
        for invalid in ["", "<>", "  ", "<a@b", "a b@c", "<a@b>>"] {
            let error = try #require(throws: PECError.self, "\(invalid.debugDescription)") {
                try ledger.send(messageID: invalid)
            }
            #expect(error.kind == .invalidInput)
        }
    }

    @Test("the identificativo learned from a receipt finds the send", arguments: LedgerStore.available)
    func identificativoLookup(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        try ledger.beginAttempt(LedgerFixtures.newSend("<one@pec.example.it>"))
        try ledger.beginAttempt(LedgerFixtures.newSend("<two@pec.example.it>"))
        let identificativo = "opec210312.20250615103000.123456.789.1.53@pec.example.it"
        try ledger.setIdentificativo(identificativo, forMessageID: "two@pec.example.it")
        #expect(try ledger.send(identificativo: identificativo)?.messageID == "<two@pec.example.it>")
        #expect(try ledger.send(identificativo: identificativo)?.identificativo == identificativo)
        #expect(try ledger.send(identificativo: "opec-unknown@pec.example.it") == nil)
        #expect(try ledger.send(messageID: "one@pec.example.it")?.identificativo == nil)
    }

    @Test("recentSends: newest attempt first, limited, filtered by account", arguments: LedgerStore.available)
    func recentSends(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open(clock: TestClock())
        for index in 1...5 {
            let account = index.isMultiple(of: 2) ? "even@pec.example.it" : "odd@pec.example.it"
            try ledger.beginAttempt(LedgerFixtures.newSend("<m\(index)@pec.example.it>", account: account))
        }
        #expect(
            try ledger.recentSends(account: nil, limit: 3).map(\.messageID) == [
                "<m5@pec.example.it>", "<m4@pec.example.it>", "<m3@pec.example.it>",
            ]
        )
        #expect(try ledger.recentSends(account: nil, limit: 100).count == 5)
        #expect(
            try ledger.recentSends(account: "even@pec.example.it", limit: 10).map(\.messageID) == [
                "<m4@pec.example.it>", "<m2@pec.example.it>",
            ]
        )
        #expect(try ledger.recentSends(account: "nobody@pec.example.it", limit: 10).isEmpty)
        #expect(try ledger.recentSends(account: nil, limit: 0).isEmpty)
        #expect(try ledger.recentSends(account: nil, limit: -1).isEmpty)

        // A retried send moves to the front: ordering is by last attempt.
        try ledger.recordOutcome(
            messageID: "<m1@pec.example.it>",
            status: .failed,
            smtpReply: nil,
            error: "timeout",
            recipients: []
        )
        try ledger.beginAttempt(LedgerFixtures.newSend("<m1@pec.example.it>", account: "odd@pec.example.it"))
        #expect(try ledger.recentSends(account: nil, limit: 1).map(\.messageID) == ["<m1@pec.example.it>"])
    }

    @Test("beginAttempt refuses a send without recipients", arguments: LedgerStore.available)
    func noRecipients(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        let error = try #require(throws: PECError.self) {
            try ledger.beginAttempt(LedgerFixtures.newSend(to: [], cc: []))
        }
        #expect(error.kind == .invalidInput)
    }

    @Test(
        "JSON uses snake_case keys, leaves absent values out (output decides about empties) and decodes back",
        arguments: LedgerStore.available
    )
    func jsonShape(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        // Whole seconds: `.iso8601` JSON dates have no fractional part, and the round trip must be exact.
        let ledger = try sandbox.open(clock: TestClock())
        let stored = try ledger.beginAttempt(LedgerFixtures.newSend())
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let object = try #require(
            try JSONSerialization.jsonObject(with: try encoder.encode(stored)) as? [String: Any]
        )
        #expect(
            Set(object.keys) == [
                "message_id", "account", "from_address", "subject", "prepared_at", "first_attempt_at",
                "last_attempt_at", "attempts", "status", "size", "recipients", "attachments",
            ]
        )
        #expect(object["smtp_reply"] == nil)
        #expect(object["status"] as? String == "sending")
        let recipient = try #require((object["recipients"] as? [[String: Any]])?.first)
        #expect(Set(recipient.keys) == ["address", "role"])
        let attachment = try #require((object["attachments"] as? [[String: Any]])?.first)
        #expect(Set(attachment.keys) == ["filename", "content_type", "size", "sha256"])
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(LedgerSend.self, from: try encoder.encode(stored)) == stored)
    }
}

@Suite("SendLedger: the INBOX bookmark")
struct SendLedgerBookmarkTests {
    @Test(
        "a bookmark is stored with its send and read back; unknown ids are not found",
        arguments: LedgerStore.available
    )
    func bookmark(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        let started = try ledger.beginAttempt(LedgerFixtures.newSend())
        #expect(started.inboxBookmark == nil)
        try ledger.setInboxBookmark(InboxBookmark(uidValidity: 7, uidNext: 1234), forMessageID: started.messageID)
        #expect(
            try ledger.send(messageID: started.messageID)?.inboxBookmark == InboxBookmark(uidValidity: 7, uidNext: 1234)
        )
        #expect(throws: PECError.self) {
            try ledger.setInboxBookmark(InboxBookmark(uidValidity: 7, uidNext: 1), forMessageID: "<nobody@example.org>")
        }
    }
}
