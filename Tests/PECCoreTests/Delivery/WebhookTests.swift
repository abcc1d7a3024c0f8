import Foundation
import NIOHTTP1
import Testing

@testable import PECCore

/// The parts of `watch --webhook` that need no network: URL and secret checks, the signature, how an
/// answer is read, the genro body, the backoff, and the durable outbox in the ledger.
@Suite("Webhooks: targets, signature, answers, genro, the outbox")
struct WebhookTests {
    typealias Fixture = TrackingStatusDerivationTests
    static let secret = Array("s3cret".utf8)

    @Test(
        "https anywhere, plain http to this machine only, a batch of 1-100, a secret",
        arguments: [
            ("https://example.com/hook", true), ("http://127.0.0.1:8080/hook", true), ("http://localhost/x", true),
            ("http://[::1]:9/x", true), ("http://example.com/hook", false), ("ftp://example.com/x", false),
            ("https://user:pw@example.com/x", false), ("not a url", false),
        ]
    )
    func targets(url: String, accepted: Bool) {
        #expect(((try? WebhookTarget(url: url, secret: Self.secret)) != nil) == accepted, "\(url)")
    }

    @Test("no secret, or a batch out of range, is refused with a hint")
    func refusals() {
        #expect(throws: PECError.self) { try WebhookTarget(url: "https://example.com/x", secret: []) }
        #expect(throws: PECError.self) {
            try WebhookTarget(url: "https://example.com/x", batch: 0, secret: Self.secret)
        }
        #expect(throws: PECError.self) {
            try WebhookTarget(url: "https://example.com/x", batch: 101, secret: Self.secret)
        }
        let genro = try? WebhookTarget(url: "https://example.com/x", format: .genro, secret: Self.secret)
        #expect(genro?.name == "webhook:genro:https://example.com/x")
    }

    @Test("PEC-Signature is t=<unix>,v1=HMAC-SHA256(secret, \"t.body\"), as Python's hmac computes it")
    func signature() {
        let value = WebhookPayload.signature(
            secret: Self.secret,
            timestamp: 1_700_000_000,
            body: Array(#"{"a":1}"#.utf8)
        )
        #expect(value == "t=1700000000,v1=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940")
    }

    @Test("2xx acknowledges; 408, 425, 429, 5xx retry (Retry-After honoured); other answers park")
    func outcomes() {
        #expect(WebhookSender.outcome(status: .ok, retryAfter: nil) == .acknowledged)
        #expect(WebhookSender.outcome(status: .noContent, retryAfter: nil) == .acknowledged)
        #expect(
            WebhookSender.outcome(status: .tooManyRequests, retryAfter: "7")
                == .retry(after: .seconds(7), reason: "429 Too Many Requests")
        )
        for status: HTTPResponseStatus in [.serviceUnavailable, .requestTimeout, .internalServerError, .badGateway] {
            guard case .retry = WebhookSender.outcome(status: status, retryAfter: nil) else {
                Issue.record("\(status) should be retried")
                continue
            }
        }
        for status: HTTPResponseStatus in [.badRequest, .unauthorized, .notFound, .movedPermanently, .gone] {
            guard case .park = WebhookSender.outcome(status: status, retryAfter: nil) else {
                Issue.record("\(status) should park")
                continue
            }
        }
        #expect(WebhookSender.retryAfter("99999") == .seconds(3600))
        #expect(WebhookSender.retryAfter("soon") == nil)
    }

    @Test("the backoff doubles from 1 s to 5 minutes, each wait between half and all of its step")
    func backoff() {
        for failures in 0..<30 {
            let ceiling = min(300.0, pow(2, Double(failures)))
            let wait = EventOutbox.backoff(after: failures)
            let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
            #expect(seconds >= ceiling / 2 - 0.001 && seconds <= ceiling + 0.001, "\(failures): \(seconds)")
        }
    }

    @Test("genro: {delivery_report: [{id: ref else Message-ID, pec_event, pec_ts, pec_details}]}, nothing dropped")
    func genroBody() throws {
        var failure = Fixture.event(.deliveryError, after: 5, recipient: Fixture.anna, seq: 4)
        failure.errore = "no-dest"
        failure.ref = "FATT-42"
        let acceptance = Fixture.event(.acceptance, after: 1, seq: 1)
        let body = try WebhookPayload.body([failure, acceptance], format: .genro, batch: true)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(Set(object.keys) == ["delivery_report"])
        let entries = try #require(object["delivery_report"] as? [[String: Any]])
        #expect(entries.count == 2)
        #expect(Set(entries[0].keys) == ["id", "pec_event", "pec_ts", "pec_details"])
        #expect(entries[0]["id"] as? String == "FATT-42")
        #expect(entries[0]["pec_event"] as? String == "pec_error")
        #expect(entries[0]["pec_ts"] as? Int == Int(failure.at.timeIntervalSince1970))
        let details = try #require(entries[0]["pec_details"] as? String)
        #expect(details.contains(Fixture.anna) && details.contains("no-dest"), "\(details)")
        #expect(entries[1]["id"] as? String == acceptance.messageID)
        #expect(entries[1]["pec_event"] as? String == "pec_acceptance")
    }

    @Test(
        "the outbox: a cursor that only moves forward, parked events listed and queued again",
        arguments: LedgerStore.available
    )
    func outboxInTheLedger(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        let stored = try ledger.recordEvents([
            Fixture.event(.acceptance, after: 1, seq: 0),
            Fixture.event(.delivery, after: 2, recipient: Fixture.anna, seq: 0),
        ])
        let account = try #require(stored.first?.account)
        let target = "webhook:https://example.com/x"
        #expect(try ledger.deliveredSeqs()[target] == nil)
        try ledger.setDeliveredSeqs([target: 0])
        #expect(try ledger.deliveredSeqs() == [target: 0])
        let pending = try ledger.feed(after: 0, limit: 10, account: account)
        #expect(pending.map(\.seq) == stored.map(\.seq))
        #expect(pending.allSatisfy { $0.eventID?.hasPrefix("evt_") == true && $0.eventID?.count == 36 })
        #expect(Set(pending.compactMap(\.eventID)).count == 2)

        try ledger.park([stored[0].seq], target: target, reason: "400 Bad Request")
        try ledger.setDeliveredSeqs([target: stored[1].seq])
        try ledger.setDeliveredSeqs([target: stored[0].seq])  // never backwards
        #expect(try ledger.deliveredSeqs() == [target: stored[1].seq])
        let parked = try ledger.parkedEvents()
        #expect(parked.map(\.event.seq) == [stored[0].seq] && parked.first?.reason == "400 Bad Request")
        #expect(parked.first?.requeued == false)

        #expect(try ledger.requeueParked() == 1)
        let queued = try ledger.requeuedEvents(limit: 10)
        #expect(queued.map(\.event.seq) == [stored[0].seq] && queued.map(\.target) == [target])
        try ledger.unpark([stored[0].seq], target: target)
        #expect(try ledger.parkedEvents().isEmpty)
        #expect(try ledger.requeuedEvents(limit: 10).isEmpty)
    }
}
