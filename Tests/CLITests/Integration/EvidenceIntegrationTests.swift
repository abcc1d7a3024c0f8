import Foundation
import PECCore
import Testing

@testable import PECTestSupport

/// `pec evidence` against the sandbox: a dossier of a real send (one known, one unknown recipient),
/// as a directory and as a zip, and what `pec evidence verify` says of it once someone has changed a
/// byte, removed a receipt, or slipped in a receipt of another message. (The independent check, with
/// openssl and sha256sum, is Tests/EvidenceTests/test_evidence_dossier.py.)
@Suite(
    "pec evidence: dossiers of a sent PEC and their offline check",
    .enabled(if: SandboxHarness.isAnnounced, "run through `make test`")
)
struct EvidenceIntegrationTests {
    let sandbox: SandboxHarness
    static let sender = "mario.rossi"

    init() throws {
        sandbox = try SandboxHarness()
        let login = try sandbox.login(Self.sender)
        try #require(login.status == 0, "login failed: \(login.stderr)")
    }

    func send(to recipients: [String], receipt: String = "completa") throws -> String {
        let run = try sandbox.pec(
            ["--json", "send"] + recipients.flatMap { ["--to", $0] } + [
                "--subject", "Dossier \(UUID().uuidString.prefix(8))", "--body", "Prova di dossier", "--receipt",
                receipt, "--yes",
            ]
        )
        try #require(run.status == 0, "send failed: \(run.stderr)")
        let record = try #require(try run.jsonLines().first { $0["message_id"] != nil })
        return try #require(record["message_id"] as? String)
    }

    /// Syncs and polls `status` (bounded) until no recipient waits for a receipt.
    func waitForFinalReceipts(_ messageID: String) throws {
        for _ in 0..<40 {
            _ = try sandbox.pec(["sync", "--ca-file", sandbox.caFile])
            let status = try sandbox.pec(["--json", "status", messageID])
            let recipients = (try status.jsonLines().first?["recipients"] as? [[String: Any]]) ?? []
            let open = recipients.filter { ["pending", "accepted", "relayed"].contains($0["status"] as? String) }
            if !recipients.isEmpty && open.isEmpty { return }
            Thread.sleep(forTimeInterval: 0.5)
        }
        Issue.record("the receipts of \(messageID) did not arrive in 20 s")
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pec-dossier-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func verify(_ path: String) throws -> (status: Int32, record: [String: Any], stderr: String) {
        let run = try sandbox.pec(["--json", "evidence", "verify", path, "--ca-file", sandbox.caFile])
        return (run.status, try run.jsonLines().first ?? [:], run.stderr)
    }

    static func status(of file: String, in record: [String: Any]) -> String? {
        (record["files"] as? [[String: Any]])?.first { $0["file"] as? String == file }?["status"] as? String
    }

    @Test("a directory and a zip that verify; a changed byte, a removed or a foreign receipt fail, named")
    func dossierAndTampering() throws {
        defer { sandbox.cleanUp() }
        let unknown = "nessuno.\(UUID().uuidString.prefix(6).lowercased())@pec.sandbox"
        let messageID = try send(to: ["anna.bianchi@pec.sandbox", unknown])
        let other = try send(to: ["luca.verdi@pec.sandbox"])
        try waitForFinalReceipts(messageID)
        try waitForFinalReceipts(other)
        let work = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }

        let directory = work.appendingPathComponent("dossier").path
        let made = try sandbox.pec(["--json", "evidence", messageID, "--out", directory, "--ca-file", sandbox.caFile])
        #expect(made.status == 0, "stderr: \(made.stderr)")
        let result = try #require(try made.jsonLines().first)
        let report = try #require(result["report"] as? [String: Any])
        #expect(report["complete"] as? Bool == true)
        let files = try #require(result["files"] as? [String])
        #expect(files.first == "01-messaggio-inviato.eml" && files.last == "SHA256SUMS", "\(files)")
        let failure = try #require(files.first { $0.contains("avviso-mancata-consegna") })
        let recipients = try #require(report["recipients"] as? [[String: Any]])
        let failed = try #require(recipients.first { $0["address"] as? String == unknown })
        #expect(failed["status"] as? String == "failed" && failed["errore"] as? String == "no-dest")
        #expect(failed["proof"] as? String == failure)

        let zip = work.appendingPathComponent("dossier.zip").path
        let zipped = try sandbox.pec(["evidence", messageID, "--no-sync", "--out", zip, "--ca-file", sandbox.caFile])
        #expect(zipped.status == 0, "stderr: \(zipped.stderr)")
        for path in [directory, zip] {
            let check = try verify(path)
            #expect(check.status == 0, "\(path): \(check.stderr)")
            #expect(check.record["valid"] as? Bool == true && check.record["complete"] as? Bool == true)
        }
        // Never over an existing dossier, and nothing half-written beside it.
        let again = try sandbox.pec(["evidence", messageID, "--no-sync", "--out", zip])
        #expect(again.status == 1 && again.stderr.contains("already exists"), "\(again.stderr)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")

        // One byte of a receipt changed: altered, named.
        let delivery = try #require(files.first { $0.contains("ricevuta-consegna") })
        let deliveryURL = URL(fileURLWithPath: directory).appendingPathComponent(delivery)
        var bytes = Array(try Data(contentsOf: deliveryURL))
        let original = bytes
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: deliveryURL)
        let altered = try verify(directory)
        #expect(altered.status == 1)
        #expect(Self.status(of: delivery, in: altered.record) == "altered")
        #expect(altered.stderr.contains(delivery), "\(altered.stderr)")
        try Data(original).write(to: deliveryURL)

        // A receipt removed: missing, and the proof is no longer complete.
        let failureURL = URL(fileURLWithPath: directory).appendingPathComponent(failure)
        let kept = try Data(contentsOf: failureURL)
        try FileManager.default.removeItem(at: failureURL)
        let removed = try verify(directory)
        #expect(removed.status == 1)
        #expect(Self.status(of: failure, in: removed.record) == "missing")
        #expect(removed.record["complete"] as? Bool == false)
        try kept.write(to: failureURL)
        #expect(try verify(directory).status == 0, "restored, the dossier verifies again")

        // A genuine receipt of another message put in (and listed in SHA256SUMS): other_message.
        let foreign = work.appendingPathComponent("foreign")
        let foreignMade = try sandbox.pec(
            ["evidence", other, "--no-sync", "--out", foreign.path, "--ca-file", sandbox.caFile]
        )
        try #require(foreignMade.status == 0, "\(foreignMade.stderr)")
        let stranger = "05-ricevuta-consegna-luca.verdi@pec.sandbox.eml"
        let strangerURL = URL(fileURLWithPath: directory).appendingPathComponent(stranger)
        try FileManager.default.copyItem(
            at: foreign.appendingPathComponent("03-ricevuta-consegna-luca.verdi@pec.sandbox.eml"),
            to: strangerURL
        )
        let unlisted = try verify(directory)
        #expect(unlisted.status == 1 && Self.status(of: stranger, in: unlisted.record) == "unlisted")
        let sums = URL(fileURLWithPath: directory).appendingPathComponent("SHA256SUMS")
        let digest = try #require(
            try String(contentsOf: foreign.appendingPathComponent("SHA256SUMS"), encoding: .utf8)
                .split(separator: "\n").first { $0.hasSuffix("03-ricevuta-consegna-luca.verdi@pec.sandbox.eml") }?
                .split(separator: " ").first
        )
        let handle = try FileHandle(forWritingTo: sums)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\(digest)  \(stranger)\n".utf8))
        try handle.close()
        let listed = try verify(directory)
        #expect(listed.status == 1)
        #expect(Self.status(of: stranger, in: listed.record) == "other_message")
        #expect(listed.stderr.contains(stranger) && listed.stderr.contains("other_message"), "\(listed.stderr)")
    }

    @Test("a breve delivery receipt: the report warns that it is not completa")
    func breveReceiptWarns() throws {
        defer { sandbox.cleanUp() }
        let messageID = try send(to: ["anna.bianchi@pec.sandbox"], receipt: "breve")
        try waitForFinalReceipts(messageID)
        let work = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let made = try sandbox.pec(
            [
                "--json", "evidence", messageID, "--out", work.appendingPathComponent("d").path, "--ca-file",
                sandbox.caFile,
            ]
        )
        #expect(made.status == 0, "stderr: \(made.stderr)")
        let report = try #require(try made.jsonLines().first?["report"] as? [String: Any])
        let warnings = (report["warnings"] as? [String]) ?? []
        #expect(warnings.contains { $0.contains("breve") && $0.contains("53/1994") }, "\(warnings)")
        let receipts = (report["receipts"] as? [[String: Any]]) ?? []
        #expect(
            receipts.contains { $0["kind"] as? String == "pec_delivery" && $0["receipt_type"] as? String == "breve" }
        )
        let html = try String(contentsOf: work.appendingPathComponent("d/report.html"), encoding: .utf8)
        #expect(html.contains("53/1994"))
    }

    @Test(
        "--received: a real Aruba envelope dropped into the mailbox gives a valid dossier; nothing is marked read",
        .enabled(if: PECFixtureCorpus.directory != nil, "shared fixtures (shared/fixtures/pec) not found")
    )
    func receivedEnvelope() throws {
        defer { sandbox.cleanUp() }
        let corpus = try #require(PECFixtureCorpus.directory)
        let envelope = try Data(contentsOf: corpus.appendingPathComponent("OCA_l10n-italy_message1.eml"))
        let maildir = URL(fileURLWithPath: sandbox.directory)
            .appendingPathComponent("mail/pec.sandbox/\(Self.sender)/Maildir/new")
        let dropped = maildir.appendingPathComponent("\(Int(Date().timeIntervalSince1970)).dossier\(getpid()).track")
        try envelope.write(to: dropped)
        var info = stat()
        if stat(maildir.path, &info) == 0 { _ = chown(dropped.path, info.st_uid, info.st_gid) }

        let list = try sandbox.pec(["--json", "list", "--limit", "200"])
        let entry = try #require(
            try list.jsonLines().first { ($0["subject"] as? String)?.contains("archetipo") == true },
            "the dropped envelope is not listed: \(list.stderr)"
        )
        let uid = try #require(entry["id"] as? Int)
        let work = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let zip = work.appendingPathComponent("ricevuto.zip").path
        let made = try sandbox.pec(["--json", "evidence", "--received", "\(uid)", "--out", zip])
        #expect(made.status == 0, "stderr: \(made.stderr)")
        let report = try #require(try made.jsonLines().first?["report"] as? [String: Any])
        #expect(report["direction"] as? String == "received" && report["complete"] as? Bool == true)
        let message = try #require(report["message"] as? [String: Any])
        #expect(message["message_id"] as? String == "<NEOEQO$8B558E13C0664DE7004C1EFB790D1A09@pec.it>")
        // IMAP serves CRLF line ends; the fixture file has LF ones, which Dovecot converts.
        let served = Data(
            String(decoding: envelope, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
                .replacingOccurrences(of: "\n", with: "\r\n").utf8
        )
        let digest = try SHA256Digest()
        digest.update(served)
        #expect(message["sha256"] as? String == (try digest.finalizeHex()))
        let signature = (report["envelope"] as? [String: Any])?["signature"] as? [String: Any]
        #expect(signature?["status"] as? String == "valid", "\(signature ?? [:])")
        let check = try verify(zip)
        #expect(check.status == 0 && check.record["valid"] as? Bool == true, "\(check.stderr)")
        // EXAMINE and BODY.PEEK only: the envelope is still unread.
        let after = try sandbox.pec(["--json", "list", "--limit", "200"])
        let again = try after.jsonLines().first { $0["id"] as? Int == uid }
        #expect(again?["unread"] as? Bool == true, "\(again ?? [:])")
    }

    /// What a forger does after editing files: SHA256SUMS written again for whatever is there.
    static func rewriteChecksums(_ directory: URL) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0 != "SHA256SUMS" }
        var text = ""
        for name in names.sorted() {
            let digest = try SHA256Digest()
            digest.update(try Data(contentsOf: directory.appendingPathComponent(name)))
            text += "\(try digest.finalizeHex())  \(name)\n"
        }
        try Data(text.utf8).write(to: directory.appendingPathComponent("SHA256SUMS"))
    }

    @Test("forgeries with SHA256SUMS rewritten: a lying report, an edited To, a missing message, a link: all fail")
    func forgeriesWithNewChecksums() throws {
        defer { sandbox.cleanUp() }
        let unknown = "nessuno.\(UUID().uuidString.prefix(6).lowercased())@pec.sandbox"
        let messageID = try send(to: ["anna.bianchi@pec.sandbox", unknown])
        try waitForFinalReceipts(messageID)
        let work = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let original = work.appendingPathComponent("original")
        let made = try sandbox.pec([
            "evidence", messageID, "--no-sync", "--out", original.path, "--ca-file", sandbox.caFile,
        ])
        try #require(made.status == 0, "\(made.stderr)")
        #expect(try verify(original.path).status == 0)

        func forged(_ name: String, _ edit: (URL) throws -> Void) throws -> (
            status: Int32, record: [String: Any], stderr: String
        ) {
            let copy = work.appendingPathComponent(name)
            try FileManager.default.copyItem(at: original, to: copy)
            try edit(copy)
            try Self.rewriteChecksums(copy)
            return try verify(copy.path)
        }
        // The report claims the unknown recipient got the message.
        let lying = try forged("lying") { copy in
            let url = copy.appendingPathComponent("report.json")
            let text = try String(contentsOf: url, encoding: .utf8)
            try Data(text.replacingOccurrences(of: "\"failed\"", with: "\"delivered\"").utf8).write(to: url)
        }
        #expect(
            lying.status == 1 && lying.stderr.contains("report.json says \(unknown) is delivered"),
            "\(lying.stderr)"
        )
        // The message as sent edited to hide the failed recipient.
        let edited = try forged("edited") { copy in
            let url = copy.appendingPathComponent("01-messaggio-inviato.eml")
            let text = try String(contentsOf: url, encoding: .utf8)
            try Data(text.replacingOccurrences(of: ", \(unknown)", with: "").utf8).write(to: url)
        }
        #expect(edited.status == 1 && edited.stderr.contains("signed acceptance names"), "\(edited.stderr)")
        // No message at all.
        let bare = try forged("bare") { copy in
            try FileManager.default.removeItem(at: copy.appendingPathComponent("01-messaggio-inviato.eml"))
        }
        #expect(bare.status == 1 && bare.stderr.contains("not in the dossier"), "\(bare.stderr)")
        // A link to a file outside is never read.
        let linked = try forged("linked") { copy in
            try FileManager.default.createSymbolicLink(
                atPath: copy.appendingPathComponent("09-ricevuta-consegna-x.eml").path,
                withDestinationPath: "/etc/hostname"
            )
        }
        #expect(linked.status == 1)
        #expect(Self.status(of: "09-ricevuta-consegna-x.eml", in: linked.record) == "unexpected", "\(linked.record)")
    }
}
