import Foundation
import Testing

@testable import PECTestSupport

/// `pec send` and `pec trace` against the sandbox's PEC provider simulator, checked against what
/// the simulator itself recorded (its journal): what was submitted, how often, and the receipts.
@Suite(
    "pec send and pec trace against the sandbox",
    .enabled(if: SandboxHarness.isAnnounced, "run through `make test`")
)
struct SendIntegrationTests {
    let sandbox: SandboxHarness

    init() throws {
        sandbox = try SandboxHarness()
        let login = try sandbox.login("luca.verdi")
        try #require(login.status == 0, "login failed: \(login.stderr)")
    }

    /// A subject no other test (or run) uses, so each test has its own Message-IDs.
    func subject(_ what: String) -> String { "\(what) \(UUID().uuidString.prefix(8)) però" }

    func send(_ arguments: [String], stdin: String = "") throws -> (run: PecRun, record: [String: Any]?) {
        let run = try sandbox.pec(["--json", "send"] + arguments, stdin: stdin)
        let record = try? run.jsonLines().first { $0["status"] != nil }
        return (run, record)
    }

    /// Receipts arrive right after the submission; wait (bounded) until `done` says they are in.
    func trace(_ id: String, extra: [String] = [], until done: ([String: Any]) -> Bool) throws -> [String: Any] {
        var last: [String: Any] = [:]
        for _ in 0..<40 {
            let run = try sandbox.pec(["--json", "trace", id] + extra)
            try #require(run.status == 0, "trace failed: \(run.stderr)")
            last = try #require(try run.jsonLines().first)
            if done(last) { return last }
            Thread.sleep(forTimeInterval: 0.25)
        }
        return last
    }

    static func statuses(_ trace: [String: Any]) -> [String: String] {
        var result: [String: String] = [:]
        for recipient in (trace["recipients"] as? [[String: Any]]) ?? [] {
            if let address = recipient["address"] as? String { result[address] = recipient["status"] as? String }
        }
        return result
    }

    @Test("a send to a mailbox and an unknown address: sent, then trace shows one delivered and one failed")
    func deliveredAndFailed() throws {
        defer { sandbox.cleanUp() }
        let attachment = sandbox.configHome.appendingPathComponent("fattura 12.pdf")
        try Data("%PDF-1.4 prova".utf8).write(to: attachment)
        let (run, record) = try send([
            "--to", "anna.bianchi@pec.sandbox", "--to", "nessuno@pec.sandbox", "--subject", subject("Consegna"),
            "--body", "Buongiorno,\n.riga con un punto\n", "--attach", attachment.path, "--yes",
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let sent = try #require(record)
        #expect(sent["status"] as? String == "sent")
        let id = try #require(sent["message_id"] as? String)
        #expect(sandbox.submissions(messageID: id) == 1)
        let recipients = (sent["recipients"] as? [[String: Any]]) ?? []
        #expect(recipients.map { $0["status"] as? String } == ["accepted", "accepted"])

        // A plain trace verifies each receipt; without the sandbox's private CA none is vouched for,
        // so nobody counts as delivered (the receipts are still shown and kept as evidence).
        func count(_ record: [String: Any]) -> Int { ((record["events"] as? [[String: Any]]) ?? []).count }
        let untrusted = try trace(id) { count($0) >= 3 }
        #expect(count(untrusted) == 3)
        #expect(untrusted["verified"] as? Bool == true)
        #expect(!Self.statuses(untrusted).values.contains("delivered"))
        #expect(!Self.statuses(untrusted).values.contains("accepted"))

        // With the CA: read again from the evidence store (no download), now trusted.
        let traced = try trace(id, extra: ["--ca-file", sandbox.caFile]) { count($0) >= 3 }
        #expect(traced["downloaded"] as? Int == 0)
        let tracedEvents = (traced["events"] as? [[String: Any]]) ?? []
        let kinds = tracedEvents.compactMap { $0["event"] as? String }
        #expect(Set(kinds) == ["pec_acceptance", "pec_delivery", "pec_delivery_error"])
        #expect(kinds.first == "pec_acceptance", "events in the order found: \(kinds)")
        #expect(tracedEvents.allSatisfy { $0["trusted"] as? Bool == true }, "\(tracedEvents)")
        #expect(Self.statuses(traced) == ["anna.bianchi@pec.sandbox": "delivered", "nessuno@pec.sandbox": "failed"])
        #expect(traced["status"] as? String == "failed")
        let failure = tracedEvents.first { $0["event"] as? String == "pec_delivery_error" }
        #expect(failure?["errore"] as? String == "no-dest")
        #expect(failure?["recipient"] as? String == "nessuno@pec.sandbox")

        // The PEC identificativo (learned from the certified acceptance) finds the same receipts.
        let identificativo = try #require(traced["identificativo"] as? String)
        #expect(identificativo.hasPrefix("opec"))
        let byIdentificativo = try trace(identificativo, extra: ["--ca-file", sandbox.caFile]) { count($0) >= 3 }
        #expect(byIdentificativo["message_id"] as? String == id)
        #expect(count(byIdentificativo) == 3)
        #expect(Self.statuses(byIdentificativo) == Self.statuses(traced))

        // --no-verify: headers only, marked unverified, nobody delivered or accepted.
        let quick = try trace(id, extra: ["--no-verify"]) { count($0) >= 3 }
        #expect(quick["verified"] as? Bool == false)
        #expect(count(quick) == 3)
        #expect(!Self.statuses(quick).values.contains { ["delivered", "accepted"].contains($0) })
        let quickKinds = Set(((quick["events"] as? [[String: Any]]) ?? []).compactMap { $0["event"] as? String })
        #expect(quickKinds == Set(kinds))
    }

    @Test("without a terminal and without --yes nothing is sent (exit 3); --dry-run contacts nothing")
    func refusalAndDryRun() throws {
        defer { sandbox.cleanUp() }
        let arguments = ["--to", "anna.bianchi@pec.sandbox", "--subject", subject("Rifiuto"), "--body", "testo"]
        let before = try send(arguments + ["--dry-run"])
        #expect(before.run.status == 0, "stderr: \(before.run.stderr)")
        #expect(before.record?["status"] as? String == "dry_run")
        let refused = try sandbox.pec(["--json", "send"] + arguments)
        #expect(refused.status == 3, "stderr: \(refused.stderr)")
        #expect(try refused.errorObject()["kind"] as? String == "send_refused")
        #expect(refused.stderr.contains("--yes"))
        let after = try send(arguments + ["--dry-run"])
        // The id depends on the minute: check the ids of both sides of the refusal.
        for id in [before.record?["message_id"], after.record?["message_id"]].compactMap({ $0 as? String }) {
            #expect(sandbox.submissions(messageID: id) == 0, "\(id) reached the simulator")
        }
        // And the ledger did not record it: the same content can still be sent.
        let sent = try send(arguments + ["--yes"])
        #expect(sent.run.status == 0, "stderr: \(sent.run.stderr)")
    }

    @Test("a temporary refusal (451) is retried and the message goes out once")
    func temporaryFailureRetried() throws {
        defer { sandbox.cleanUp() }
        let (run, record) = try send([
            "--to", "tempfail+mario.rossi@pec.sandbox", "--subject", subject("Riprova"), "--body", "testo", "--yes",
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let id = try #require(record?["message_id"] as? String)
        #expect(record?["status"] as? String == "sent")
        #expect(sandbox.submissions(messageID: id) == 1)
    }

    @Test("a refused recipient: exit 1 naming it, the others listed as accepted, nothing sent")
    func recipientRefused() throws {
        defer { sandbox.cleanUp() }
        let (run, record) = try send([
            "--to", "anna.bianchi@pec.sandbox", "--cc", "reject+anna.bianchi@pec.sandbox", "--subject",
            subject("Rifiutato"), "--body", "testo", "--yes",
        ])
        #expect(run.status == 1)
        #expect(run.stderr.contains("reject+anna.bianchi@pec.sandbox"), "stderr: \(run.stderr)")
        let result = try #require(record)
        #expect(result["status"] as? String == "refused")
        let recipients = (result["recipients"] as? [[String: Any]]) ?? []
        #expect(
            recipients.first { $0["address"] as? String == "anna.bianchi@pec.sandbox" }?["status"] as? String
                == "accepted"
        )
        let refused = recipients.first { $0["address"] as? String == "reject+anna.bianchi@pec.sandbox" }
        #expect(refused?["status"] as? String == "refused")
        #expect(refused?["smtp_code"] as? Int == 550)
        let id = try #require(result["message_id"] as? String)
        #expect(sandbox.submissions(messageID: id) == 0)
    }

    @Test("the connection dropped after the data: uncertain (exit 1), never resent, and a repeat is refused")
    func droppedIsUncertain() throws {
        defer { sandbox.cleanUp() }
        let arguments = [
            "--to", "drop+anna.bianchi@pec.sandbox", "--subject", subject("Incerto"), "--body", "x", "--yes",
        ]
        let (run, record) = try send(arguments)
        #expect(run.status == 1)
        let result = try #require(record)
        #expect(result["status"] as? String == "uncertain")
        #expect(run.stderr.contains("pec trace"), "stderr: \(run.stderr)")
        let id = try #require(result["message_id"] as? String)
        #expect(sandbox.submissions(messageID: id) == 1, "received exactly once, no automatic resend")
        // Refused even if the minute changed in between: the content is the same.
        let again = try sandbox.pec(["--json", "send"] + arguments)
        #expect(again.status == 1)
        #expect(try again.errorObject()["kind"] as? String == "duplicate")
        #expect(sandbox.submissions(messageID: id) == 1)

        // The provider's signed acceptance settles it: the ledger no longer keeps it as uncertain.
        let traced = try trace(id, extra: ["--ca-file", sandbox.caFile]) { record in
            ((record["events"] as? [[String: Any]]) ?? []).contains { $0["event"] as? String == "pec_acceptance" }
        }
        #expect(((traced["events"] as? [[String: Any]]) ?? []).contains { $0["event"] as? String == "pec_acceptance" })
        let status = try sandbox.pec(["--json", "status", id])
        #expect(status.status == 0, "stderr: \(status.stderr)")
        #expect(try status.jsonLines().first?["send_status"] as? String == "sent")
    }

    @Test("the same content twice is refused by the ledger; --resend sends it as a new message")
    func duplicateAndResend() throws {
        defer { sandbox.cleanUp() }
        let arguments = [
            "--to", "anna.bianchi@pec.sandbox", "--subject", subject("Doppio"), "--body", "una volta", "--yes",
        ]
        let first = try #require(try send(arguments).record)
        // Refused whether or not the minute (and so the Message-ID) changed in between.
        let duplicate = try sandbox.pec(["--json", "send"] + arguments)
        let id = try #require(first["message_id"] as? String)
        #expect(duplicate.status == 1)
        let error = try duplicate.errorObject()
        #expect(error["kind"] as? String == "duplicate")
        #expect((error["message"] as? String)?.contains(id) == true)
        #expect(sandbox.submissions(messageID: id) == 1)

        let (resent, record) = try send(arguments + ["--resend"])
        #expect(resent.status == 0, "stderr: \(resent.stderr)")
        let newID = try #require(record?["message_id"] as? String)
        #expect(newID != id)
        #expect(record?["resend_of"] as? String == id)
        #expect(sandbox.submissions(messageID: newID) == 1)
    }

    @Test(
        "the same letter under another Message-ID (recipients reordered) is refused; PEC_DUPLICATE_WINDOW=0 lets it go"
    )
    func sameContentOtherMessageID() throws {
        defer { sandbox.cleanUp() }
        let text = ["--subject", subject("Stessa lettera"), "--body", "una lettera sola", "--yes"]
        let first = try #require(
            try send(["--to", "anna.bianchi@pec.sandbox", "--to", "mario.rossi@pec.sandbox"] + text).record
        )
        let id = try #require(first["message_id"] as? String)
        let reordered =
            ["--json", "send", "--to", "mario.rossi@pec.sandbox", "--to", "anna.bianchi@pec.sandbox"] + text
        let refused = try sandbox.pec(reordered)
        #expect(refused.status == 1)
        let error = try refused.errorObject()
        #expect(error["kind"] as? String == "duplicate")
        #expect((error["message"] as? String)?.contains(id) == true)
        #expect((error["message"] as? String)?.contains("same message") == true)
        let remedies = (error["remedies"] as? [[String: Any]]) ?? []
        #expect(remedies.contains { $0["action"] as? String == "trace" && $0["message_id"] as? String == id })
        let plain = try sandbox.pec(Array(reordered.dropFirst()))
        #expect(plain.stderr.contains("pec trace"), "stderr: \(plain.stderr)")
        #expect(sandbox.submissions(messageID: id) == 1)

        var environment = sandbox.environment(keyring: false)
        environment["PEC_DUPLICATE_WINDOW"] = "0"
        let unchecked = try PecRun.run(reordered, environment: environment)
        #expect(unchecked.status == 0, "stderr: \(unchecked.stderr)")
        environment["PEC_DUPLICATE_WINDOW"] = "soon"
        let malformed = try PecRun.run(reordered, environment: environment)
        #expect(malformed.status == 1)
        #expect(try malformed.errorObject()["kind"] as? String == "usage")
    }

    @Test("bad input: unreadable attachment, bad address, no text: a clear error, nothing contacted")
    func badInput() throws {
        defer { sandbox.cleanUp() }
        let base = ["--subject", subject("Errore"), "--yes"]
        let missing = try sandbox.pec(
            ["send", "--to", "anna.bianchi@pec.sandbox", "--body", "x", "--attach", "/nonexistent/file.pdf"] + base
        )
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/file.pdf"))
        let badAddress = try sandbox.pec(
            ["send", "--to", "anna.bianchi@pec.sandbox\r\nRCPT TO:<x@y>", "--body", "x"] + base
        )
        #expect(badAddress.status == 1)
        let noText = try sandbox.pec(["send", "--to", "anna.bianchi@pec.sandbox"] + base)
        #expect(noText.status == 1)
        #expect(noText.stderr.contains("--body"))
        let latin1 = sandbox.configHome.appendingPathComponent("testo.txt")
        try Data([0x63, 0x61, 0x66, 0xE9]).write(to: latin1)
        let notUTF8 = try sandbox.pec(["send", "--to", "anna.bianchi@pec.sandbox", "--file", latin1.path] + base)
        #expect(notUTF8.status == 1)
        #expect(notUTF8.stderr.contains("not UTF-8"))
        let trace = try sandbox.pec(["trace", "not an id"])
        #expect(trace.status == 1)
        #expect(trace.stderr.contains("Message-ID"))
    }
}
