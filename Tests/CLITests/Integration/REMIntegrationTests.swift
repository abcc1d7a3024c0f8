import Foundation
import Testing

@testable import PECTestSupport

/// `pec` against the sandbox in REM mode (PEC europea): the simulator answers as a Policy-IT REM
/// provider, with CMS-signed messages and XAdES-signed evidence. Dovecot records every IMAP session,
/// so what `pec` fetched is checked on the server's side.
@Suite(
    "REM: send, sync, status, watch and list against the REM sandbox",
    .enabled(if: SandboxHarness.isAnnounced, "run through `make test`")
)
struct REMIntegrationTests {
    let sandbox: SandboxHarness
    static let sender = "mario.rossi"

    init() throws {
        sandbox = try SandboxHarness.rem()
        let login = try sandbox.login(Self.sender)
        try #require(login.status == 0, "login failed: \(login.stderr)")
    }

    var environment: [String: String] { sandbox.environment() }

    func pec(_ arguments: [String]) throws -> PecRun {
        try PecRun.run(arguments, environment: environment)
    }

    /// (event, recipient, errore, rem_event) of the lines about `messageID`.
    static func summary(_ lines: [[String: Any]], _ messageID: String) -> Set<String> {
        Set(
            lines.filter { $0["message_id"] as? String == messageID }.map { line in
                [
                    line["event"] as? String ?? "?", line["recipient"] as? String ?? "-",
                    line["errore"] as? String ?? "-", line["rem_event"] as? String ?? "-",
                ].joined(separator: " ")
            }
        )
    }

    @Test("REM receipts tracked like PEC ones; the dispatch is listed but never fetched; nothing marked read")
    func remFlow() throws {
        defer { sandbox.cleanUp() }
        let watch = try WatchProcess(
            arguments: ["--json", "watch", "--ca-file", sandbox.caFile],
            environment: environment
        )
        defer { _ = watch.terminate() }
        try #require(watch.waitForStderrOrTime(seconds: 2))

        let me = sandbox.address(Self.sender)
        let known = "luca.verdi@pec.sandbox"
        let unknown = "nessuno.\(UUID().uuidString.prefix(6).lowercased())@pec.sandbox"
        let subject = "REM prova \(UUID().uuidString.prefix(8))"
        // Also to the sender: a REM dispatch then lands in the very mailbox sync and watch read.
        let send = try pec(
            [
                "--json", "send", "--to", known, "--to", unknown, "--to", me, "--subject", subject, "--body",
                "Prova REM", "--yes",
            ]
        )
        try #require(send.status == 0, "send failed: \(send.stderr)")
        let messageID = try #require(try send.jsonLines().first { $0["message_id"] != nil }?["message_id"] as? String)

        let expected: Set<String> = [
            "pec_acceptance - - SubmissionAcceptance",
            "pec_delivery \(known) - ContentConsignment",
            "pec_delivery \(me) - ContentConsignment",
            "pec_delivery_error \(unknown) RD21 ContentConsignmentFailure",
        ]
        let complete = watch.waitForLine(timeout: 40) { _ in Self.summary(watch.lines, messageID) == expected }
        #expect(complete, "watch printed: \(Self.summary(watch.lines, messageID)); stderr: \(watch.stderr)")
        let watched = watch.lines.filter { $0["message_id"] as? String == messageID }
        #expect(watched.allSatisfy { $0["trusted"] as? Bool == true }, "\(watched)")
        // The simulator certified exactly the bytes pec sent: no digest warning.
        #expect(watched.allSatisfy { ($0["warnings"] as? [String] ?? []).isEmpty }, "\(watched)")
        #expect(watch.terminate() == 143)

        let sync = try pec(["--json", "sync", "--ca-file", sandbox.caFile])
        #expect(sync.status == 0, "stderr: \(sync.stderr)")
        let status = try pec(["--json", "status", messageID])
        #expect(status.status == 0, "stderr: \(status.stderr)")
        let tracked = try #require(try status.jsonLines().first)
        #expect(tracked["status"] as? String == "failed")
        let recipients = (tracked["recipients"] as? [[String: Any]]) ?? []
        let byAddress = Dictionary(
            uniqueKeysWithValues: recipients.map {
                ($0["address"] as? String ?? "", "\($0["status"] as? String ?? "") \($0["errore"] as? String ?? "-")")
            }
        )
        #expect(byAddress == [known: "delivered -", me: "delivered -", unknown: "failed RD21"], "\(recipients)")

        // The listing reads headers only: REM kinds in the kind column, everything still unread.
        let list = try pec(["--json", "list", "--limit", "0"])
        #expect(list.status == 0, "stderr: \(list.stderr)")
        let rows = try list.jsonLines().filter { ($0["subject"] as? String)?.contains(subject) == true }
        let kinds = rows.compactMap { $0["pec_type"] as? String }.sorted()
        #expect(
            kinds == [
                "rem-content-consignment", "rem-content-consignment", "rem-content-consignment-failure", "rem-dispatch",
                "rem-submission-acceptance",
            ],
            "\(rows)"
        )
        #expect(rows.allSatisfy { $0["unread"] as? Bool == true }, "something was marked read: \(rows)")
        let dispatch = try #require(rows.first { $0["pec_type"] as? String == "rem-dispatch" })
        let dispatchUID = try #require((dispatch["id"] as? NSNumber)?.uint32Value)
        let receiptUIDs = rows.filter { $0["pec_type"] as? String != "rem-dispatch" }.compactMap {
            ($0["id"] as? NSNumber)?.uint32Value
        }

        // On the server's side: pec fetched every receipt's content and none of the dispatch's.
        let fetched = try contentFetches()
        #expect(receiptUIDs.allSatisfy { uid in fetched.contains { $0.contains(uid) } }, "receipts: \(receiptUIDs)")
        #expect(!fetched.contains { $0.contains(dispatchUID) }, "the dispatch \(dispatchUID) was fetched")

        // The dossier of a REM send: the receipts' evidence verified, the REM digest equal to the bytes
        // kept as sent; its trace (read-only) reads headers only, so the dispatch stays unfetched.
        let dossier = FileManager.default.temporaryDirectory.appendingPathComponent("pec-rem-dossier-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dossier) }
        let made = try pec(["--json", "evidence", messageID, "--out", dossier.path, "--ca-file", sandbox.caFile])
        #expect(made.status == 0, "stderr: \(made.stderr)")
        let report = try #require(try made.jsonLines().first?["report"] as? [String: Any])
        #expect(report["complete"] as? Bool == true)
        let standards = ((report["receipts"] as? [[String: Any]]) ?? []).compactMap { $0["standard"] as? String }
        #expect(standards.count == 4 && standards.allSatisfy { $0 == "rem" }, "\(standards)")
        let verified = try pec(["--json", "evidence", "verify", dossier.path, "--ca-file", sandbox.caFile])
        #expect(verified.status == 0, "stderr: \(verified.stderr)")
        #expect(try verified.jsonLines().first?["valid"] as? Bool == true)
        #expect(!(try contentFetches()).contains { $0.contains(dispatchUID) }, "pec evidence fetched the dispatch")

        // pec get is the deliberate reading: it hands the dispatch over, says so, and the server saw it.
        let get = try pec(["--json", "get", "\(dispatchUID)", "--ca-file", sandbox.caFile])
        #expect(get.status == 0, "stderr: \(get.stderr)")
        let details = try #require(try get.jsonLines().first)
        #expect(details["handover"] as? Bool == true)
        #expect(details["standard"] as? String == "rem")
        #expect(details["pec_type"] as? String == "rem-dispatch", "\(details)")
        #expect((details["subject"] as? String)?.contains(subject) == true)
        let rem = try #require(details["rem"] as? [String: Any])
        #expect(rem["ua_message_id"] as? String == messageID)
        let evidence = try #require((rem["evidence"] as? [[String: Any]])?.first)
        #expect((evidence["signature"] as? [String: Any])?["status"] as? String == "valid", "\(evidence)")
        #expect(try contentFetches().contains { $0.contains(dispatchUID) }, "pec get fetched no content")
    }

    /// The UID sets of every content fetch (BODY[]/BODY.PEEK[] of the whole message, its text or a
    /// part; RFC822) the sender's sessions sent, from Dovecot's raw logs. Header-field fetches are not
    /// content: fetching them is no handover (EN 319 532-1 §6.2.5).
    func contentFetches() throws -> [UIDSetMatcher] {
        let folder = URL(fileURLWithPath: sandbox.directory).appendingPathComponent(
            "rawlog/\(sandbox.address(Self.sender))"
        )
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".in") }
        #expect(!files.isEmpty, "Dovecot recorded no session in \(folder.path)")
        let content = try NSRegularExpression(
            pattern: #"BODY(\.PEEK)?\[(\]|TEXT\]|[0-9])|RFC822(?![.](SIZE|HEADER))"#,
            options: [.caseInsensitive]
        )
        let fetch = try NSRegularExpression(pattern: #"UID FETCH ([0-9:,*]+) "#, options: [.caseInsensitive])
        var sets: [UIDSetMatcher] = []
        for name in files {
            let text = String(decoding: try Data(contentsOf: folder.appendingPathComponent(name)), as: UTF8.self)
            for line in text.split(whereSeparator: \.isNewline) {
                let line = String(line)
                let range = NSRange(line.startIndex..., in: line)
                guard content.firstMatch(in: line, range: range) != nil,
                    let match = fetch.firstMatch(in: line, range: range),
                    let set = Range(match.range(at: 1), in: line)
                else { continue }
                sets.append(UIDSetMatcher(String(line[set])))
            }
        }
        return sets
    }
}

/// An IMAP UID set (`3`, `3,5`, `3:7`, `9:*`) as a client wrote it.
struct UIDSetMatcher {
    let ranges: [ClosedRange<UInt32>]

    init(_ text: String) {
        ranges = text.split(separator: ",").compactMap { item in
            let bounds = item.split(separator: ":").map { $0 == "*" ? UInt32.max : UInt32($0) }
            guard let first = bounds.first, let low = first else { return nil }
            let high = (bounds.count > 1 ? bounds[1] : low) ?? low
            return min(low, high)...max(low, high)
        }
    }

    func contains(_ uid: UInt32) -> Bool { ranges.contains { $0.contains(uid) } }
}
