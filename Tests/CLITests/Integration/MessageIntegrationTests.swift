import Foundation
import Testing
@testable import PECTestSupport

/// `pec get` and `pec verify` on the sandbox's messages: envelopes unwrapped, gestore signatures
/// checked against the sandbox CA, attachments saved, nothing marked read.
@Suite(
    "reading whole messages against the sandbox",
    .enabled(if: SandboxHarness.isAnnounced, "run through `make test`")
)
struct MessageIntegrationTests {
    let sandbox: SandboxHarness
    let corpus: CorpusManifest

    init() throws {
        (sandbox, corpus) = try CorpusManifest.loggedIn(as: "archivio")
    }

    func envelope() throws -> CorpusManifest.Message {
        try #require(
            corpus.messages(in: "INBOX").first { $0.kind == "posta-certificata" && $0.extra?["pec_body"] == "own" }
        )
    }

    @Test("get of a PEC envelope shows the original message, the envelope beside it, a valid signature")
    func envelopeUnwrapped() throws {
        defer { sandbox.cleanUp() }
        let target = try envelope()
        let run = try sandbox.pec(["get", "\(target.uid)", "--json", "--verify", "--cert", "--ca-file", sandbox.caFile])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let details = try #require(try run.jsonLines().first)
        #expect(details["pec_type"] as? String == "posta-certificata")
        let original = target.subject.replacingOccurrences(of: "POSTA CERTIFICATA: ", with: "")
        #expect(details["subject"] as? String == original)
        #expect(
            (details["from"] as? String)?.contains(
                target.fromName?.replacingOccurrences(of: "Per conto di: ", with: "") ?? "?"
            ) == true
        )
        let envelope = try #require(details["envelope"] as? [String: Any])
        #expect(envelope["subject"] as? String == target.subject)
        #expect(envelope["identificativo"] as? String == target.extra?["identificativo"])
        let signature = try #require(details["signature"] as? [String: Any])
        #expect(signature["status"] as? String == "valid", "\(signature)")
        #expect((details["pec_cert"] as? [String: Any])?["tipo"] as? String == "posta-certificata")
        let attachments = (details["attachments"] as? [[String: Any]]) ?? []
        #expect(
            !attachments.contains { ($0["filename"] as? String) == "daticert.xml" },
            "certification files are hidden"
        )
    }

    @Test(
        "the account's TLS CA file is not trusted for gestore signatures: without --ca-file the envelope is untrusted"
    )
    func tlsTrustIsNotSignatureTrust() throws {
        defer { sandbox.cleanUp() }
        let target = try envelope()
        let run = try sandbox.pec(["get", "\(target.uid)", "--json", "--verify"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let details = try #require(try run.jsonLines().first)
        #expect((details["signature"] as? [String: Any])?["status"] as? String == "untrusted")
        #expect(details["pec_type"] == nil)
        #expect(details["claimed_pec_type"] as? String == "posta-certificata")
    }

    @Test("a saved receipt verifies offline: valid with the sandbox CA, untrusted without, invalid when altered")
    func verifySaved() throws {
        defer { sandbox.cleanUp() }
        let target = try envelope()
        let file = sandbox.configHome.appendingPathComponent("busta.eml").path
        let save = try sandbox.pec(["get", "\(target.uid)", "--save-eml", file])
        #expect(save.status == 0, "stderr: \(save.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)).count == target.size)
        let again = try sandbox.pec(["get", "\(target.uid)", "--save-eml", file])
        #expect(again.status == 1, "an existing file is never overwritten")

        let trusted = try sandbox.pec(["verify", file, "--ca-file", sandbox.caFile, "--json"])
        #expect(trusted.status == 0, "stderr: \(trusted.stderr)")
        #expect((try trusted.jsonLines().first?["signature"] as? [String: Any])?["status"] as? String == "valid")

        let untrusted = try sandbox.pec(["verify", file, "--json"])
        #expect(untrusted.status == 1)
        #expect((try untrusted.jsonLines().first?["signature"] as? [String: Any])?["status"] as? String == "untrusted")

        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let marker = Data("Identificativo".utf8)
        if let range = bytes.range(of: marker) { bytes[range.lowerBound] = UInt8(ascii: "X") }
        let altered = sandbox.configHome.appendingPathComponent("altered.eml").path
        try bytes.write(to: URL(fileURLWithPath: altered))
        let tampered = try sandbox.pec(["verify", altered, "--ca-file", sandbox.caFile, "--json"])
        #expect(tampered.status == 1)
        let rows = try tampered.jsonLines()
        #expect((rows.first?["signature"] as? [String: Any])?["status"] as? String == "invalid")
        #expect(rows.first?["pec_type"] == nil, "an unverified message is never shown as certified")
        #expect(rows.first?["claimed_pec_type"] as? String == "posta-certificata")
    }

    @Test("get of the raw-UTF-8 message saves its attachment under its real name; it stays unread")
    func saveAttachments() throws {
        defer { sandbox.cleanUp() }
        let special = try corpus.message(special: "raw-utf8")
        let directory = sandbox.configHome.appendingPathComponent("allegati")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let run = try sandbox.pec([
            "get", "\(special.uid)", "--folder", special.folder, "--json", "--save-attachments", directory.path,
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let details = try #require(try run.jsonLines().first)
        #expect(details["subject"] as? String == special.subject)
        let attachments = try #require(details["attachments"] as? [[String: Any]])
        #expect(attachments.map { $0["filename"] as? String } == special.attachments.map { Optional($0) })
        for attachment in attachments {
            let path = try #require(attachment["saved_as"] as? String)
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber
            #expect(size?.intValue == (attachment["size"] as? NSNumber)?.intValue)
            #expect(path.hasPrefix(directory.path))
        }
        if special.unread {
            let rows = try sandbox.pec(["list", "--json", "--limit", "0", "--folder", special.folder]).jsonLines()
            let row = rows.first { ($0["id"] as? NSNumber)?.uint32Value == special.uid }
            #expect(row?["unread"] as? Bool == true, "get must not mark the message read")
        }
    }

    @Test("--save-attachments creates a missing directory and its parents, mode 0700, with the files in it")
    func saveAttachmentsCreatesDirectory() throws {
        defer { sandbox.cleanUp() }
        let special = try corpus.message(special: "raw-utf8")
        let top = sandbox.configHome.appendingPathComponent("nuova-\(UUID().uuidString.prefix(8))")
        let directory = top.appendingPathComponent("2026/allegati")
        #expect(!FileManager.default.fileExists(atPath: top.path))
        let run = try sandbox.pec([
            "get", "\(special.uid)", "--folder", special.folder, "--json", "--save-attachments", directory.path,
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        for created in [top, top.appendingPathComponent("2026"), directory] {
            let mode = try FileManager.default.attributesOfItem(atPath: created.path)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o700, "\(created.path)")
        }
        let saved = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(saved.sorted() == special.attachments.sorted())
    }

    @Test("--save-attachments refuses a file and a symbolic link: exit 1, nothing fetched or written")
    func saveAttachmentsRefusals() throws {
        defer { sandbox.cleanUp() }
        let special = try corpus.message(special: "raw-utf8")
        let base = sandbox.configHome.appendingPathComponent("rifiuti-\(UUID().uuidString.prefix(8))")
        let target = base.appendingPathComponent("vera")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let file = base.appendingPathComponent("file.txt")
        try Data("x".utf8).write(to: file)
        let link = base.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        let dangling = base.appendingPathComponent("dangling")
        try FileManager.default.createSymbolicLink(at: dangling, withDestinationURL: base.appendingPathComponent("no"))
        for path in [file, link, dangling, file.appendingPathComponent("sotto")] {
            let run = try sandbox.pec([
                "get", "\(special.uid)", "--folder", special.folder, "--json", "--save-attachments", path.path,
            ])
            #expect(run.status == 1, "\(path.lastPathComponent): \(run.stderr)")
            #expect(try run.errorObject()["kind"] as? String == "io")
            #expect(run.stdoutLines.count == 1, "only the error: \(run.stdout)")
        }
        #expect(try String(contentsOf: file, encoding: .utf8) == "x")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: base.appendingPathComponent("no").path))
    }

    @Test("get of an id that does not exist: exit 1, not_found")
    func missing() throws {
        defer { sandbox.cleanUp() }
        let run = try sandbox.pec(["get", "99999", "--json"])
        #expect(run.status == 1)
        #expect(try run.errorObject()["kind"] as? String == "not_found")
    }
}
