import Foundation
import Testing

@testable import PECTestSupport

/// `pec send --ref` and the pull feed `pec events` against the sandbox: the application's reference
/// travels with every event and status record, and the feed pages by `seq` without gaps or repeats.
@Suite(
    "pec send --ref and pec events against the sandbox",
    .enabled(if: SandboxHarness.isAnnounced, "run through `make test`")
)
struct EventsIntegrationTests {
    let sandbox: SandboxHarness
    static let sender = "mario.rossi"

    init() throws {
        sandbox = try SandboxHarness()
        let login = try sandbox.login(Self.sender)
        try #require(login.status == 0, "login failed: \(login.stderr)")
    }

    /// Every event of the feed from the start, one page of `limit` at a time (bounded).
    func feed(limit: Int) throws -> [[String: Any]] {
        var all: [[String: Any]] = []
        var after = 0
        for _ in 0..<200 {
            let run = try sandbox.pec(["--json", "events", "--after", "\(after)", "--limit", "\(limit)"])
            try #require(run.status == 0, "stderr: \(run.stderr)")
            let page = try run.jsonLines()
            if page.isEmpty { return all }
            all += page
            after = try #require(page.last?["seq"] as? Int)
        }
        Issue.record("the feed did not end within 200 pages")
        return all
    }

    @Test("--ref is in the send record, every event, the status record and the feed; the feed pages by seq")
    func referenceAndFeed() throws {
        defer { sandbox.cleanUp() }
        let ref = "FATT-2026/0042 \(UUID().uuidString.prefix(6))"
        let unknown = "nessuno.\(UUID().uuidString.prefix(6).lowercased())@pec.sandbox"
        let send = try sandbox.pec(
            [
                "--json", "send", "--to", "anna.bianchi@pec.sandbox", "--to", unknown, "--subject",
                "Fattura \(UUID().uuidString.prefix(8))", "--body", "In allegato la fattura", "--ref", ref, "--yes",
            ]
        )
        try #require(send.status == 0, "send failed: \(send.stderr)")
        let record = try #require(try send.jsonLines().first)
        #expect(record["ref"] as? String == ref)
        let messageID = try #require(record["message_id"] as? String)

        var mine: [[String: Any]] = []
        for _ in 0..<40 {
            _ = try sandbox.pec(["sync", "--ca-file", sandbox.caFile])
            mine = try feed(limit: 1000).filter { $0["message_id"] as? String == messageID }
            if mine.count >= 3 { break }
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(
            Set(mine.compactMap { $0["event"] as? String }) == [
                "pec_acceptance", "pec_delivery", "pec_delivery_error",
            ],
            "\(mine)"
        )
        #expect(mine.allSatisfy { $0["ref"] as? String == ref }, "\(mine)")

        // Small pages give the same events, in increasing seq, none twice.
        let whole = try feed(limit: 1000)
        let paged = try feed(limit: 2)
        let seqs = paged.compactMap { $0["seq"] as? Int }
        #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
        #expect(Set(seqs).isSuperset(of: whole.compactMap { $0["seq"] as? Int }))
        let last = try #require(whole.last?["seq"] as? Int)
        let after = try sandbox.pec(["--json", "events", "--after", "\(last)"])
        let later = try after.jsonLines()
        #expect(after.status == 0 && later.allSatisfy { ($0["seq"] as? Int ?? 0) > last })

        let status = try sandbox.pec(["--json", "status", messageID])
        #expect(try status.jsonLines().first?["ref"] as? String == ref)
        let text = try sandbox.pec(["events", "--after", "\(last - 1)"])
        #expect(text.status == 0 && text.stdout.hasPrefix("\(last) "), "\(text.stdout)")
    }

    @Test("a reference with a line break is refused before anything is sent; bad feed options exit 1")
    func badInput() throws {
        defer { sandbox.cleanUp() }
        let subject = "Rif \(UUID().uuidString.prefix(8))"
        let refused = try sandbox.pec(
            [
                "--json", "send", "--to", "anna.bianchi@pec.sandbox", "--subject", subject, "--body", "x", "--ref",
                "A\nX-Forged: 1", "--yes",
            ]
        )
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(try refused.errorObject()["kind"] as? String == "invalid_input")
        // Refused while preparing: the ledger has no send with this subject (so SMTP was never reached).
        let sends = try sandbox.pec(["--json", "status", "--limit", "1000"]).jsonLines()
        #expect(!sends.contains { $0["subject"] as? String == subject }, "\(sends.prefix(2))")
        for arguments in [["events", "--after", "-1"], ["events", "--limit", "0"], ["events", "--limit", "x"]] {
            let run = try sandbox.pec(arguments)
            #expect(run.status != 0 && !run.stderr.isEmpty, "\(arguments)")
        }
    }

    @Test("--exec is an outbox target: each event once to a hook that exits 0; one that exits 3 parks them")
    func execTarget() throws {
        defer { sandbox.cleanUp() }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("pec-exec-\(UUID()).ndjson")
        defer { try? FileManager.default.removeItem(at: out) }
        let watch = try WatchProcess(
            arguments: ["--json", "watch", "--ca-file", sandbox.caFile, "--exec", "cat >> '\(out.path)'"],
            environment: sandbox.environment()
        )
        try #require(watch.waitForStderrOrTime(seconds: 2))
        let send = try sandbox.pec(
            [
                "--json", "send", "--to", "anna.bianchi@pec.sandbox", "--subject",
                "Hook \(UUID().uuidString.prefix(8))",
                "--body", "x", "--yes",
            ]
        )
        let messageID = try #require(try send.jsonLines().first?["message_id"] as? String)
        var hooked: [[String: Any]] = []
        for _ in 0..<60 {
            let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            hooked = text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }.filter { $0["message_id"] as? String == messageID }
            if hooked.count >= 2 { break }
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(Set(hooked.compactMap { $0["event"] as? String }) == ["pec_acceptance", "pec_delivery"], "\(hooked)")
        #expect(hooked.allSatisfy { ($0["event_id"] as? String)?.hasPrefix("evt_") == true })
        #expect(watch.terminate() == 143)

        // A hook that refuses (exit 3): the events are parked for it, and the watch goes on.
        let refusing = try WatchProcess(
            arguments: ["--json", "watch", "--ca-file", sandbox.caFile, "--exec", "exit 3"],
            environment: sandbox.environment()
        )
        defer { _ = refusing.terminate() }
        try #require(refusing.waitForStderrOrTime(seconds: 2))
        let second = try sandbox.pec(
            [
                "--json", "send", "--to", "anna.bianchi@pec.sandbox", "--subject",
                "Hook \(UUID().uuidString.prefix(8))",
                "--body", "x", "--yes",
            ]
        )
        let refused = try #require(try second.jsonLines().first?["message_id"] as? String)
        var parked: [[String: Any]] = []
        for _ in 0..<60 {
            parked = try sandbox.pec(["--json", "events", "--parked"]).jsonLines().filter {
                $0["message_id"] as? String == refused
            }
            if parked.count >= 2 { break }
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(parked.count >= 2, "\(parked)")
        #expect(
            parked.allSatisfy {
                $0["target"] as? String == "exec:exit 3" && $0["parked_reason"] as? String == "exited with 3"
            }
        )
        #expect(refusing.stderr.contains("--exec command refused"), "\(refusing.stderr)")
    }
}
