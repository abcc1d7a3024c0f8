import Foundation
import PECCore
import Testing

@testable import PECTestSupport

/// The providers' limits checked before any network, through `pec send --dry-run` and a real send
/// against the sandbox. The accounts are saved with `--provider aruba` / `--provider legalmail` and
/// the sandbox's servers: the limits follow the provider id. The simulator applies the same rules to
/// those mailboxes (sandbox/pecsim/rules.py), and its journal shows whether anything reached it.
@Suite(
    "provider pre-flight against the sandbox",
    .serialized,
    .enabled(if: SandboxHarness.isAnnounced, "run through `make test`")
)
struct PreflightIntegrationTests {
    let sandbox: SandboxHarness

    init() throws {
        sandbox = try SandboxHarness()
        for provider in ["aruba", "legalmail"] {
            let login = try sandbox.login(provider, extra: ["--provider", provider])
            try #require(login.status == 0, "login failed: \(login.stderr)")
        }
    }

    func subject(_ what: String) -> String { "\(what) \(UUID().uuidString.prefix(8))" }

    func send(_ account: String, _ arguments: [String]) throws -> PecRun {
        try sandbox.pec(["--json", "send", "--account", sandbox.address(account)] + arguments)
    }

    func attachment(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = sandbox.configHome.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    static let program: [UInt8] = [0x4D, 0x5A, 0x90, 0x00] + Array(repeating: 0, count: 60)

    /// Exit 3, `send_refused` naming the reason on stderr and in the JSON error; the simulator got nothing.
    func expectRefused(
        _ run: PecRun,
        by account: String,
        journalBefore: Int,
        saying reason: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [String: Any] {
        #expect(run.status == 3, "stderr: \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.contains(reason), "stderr: \(run.stderr)", sourceLocation: sourceLocation)
        let error = try run.errorObject()
        #expect(error["kind"] as? String == "send_refused", sourceLocation: sourceLocation)
        #expect(
            sandbox.journal(authUser: account).count == journalBefore,
            "the simulator was contacted",
            sourceLocation: sourceLocation
        )
        return error
    }

    @Test("Aruba: a renamed .exe is refused in --dry-run and before a real send, naming the file")
    func renamedProgram() throws {
        defer { sandbox.cleanUp() }
        let path = try attachment("fattura.pdf", Self.program)
        let before = sandbox.journal(authUser: "aruba").count
        let arguments = [
            "--to", "anna.bianchi@pec.sandbox", "--subject", subject("Fattura"), "--body", "In allegato.",
            "--attach", path,
        ]
        for mode in ["--dry-run", "--yes"] {
            let error = try expectRefused(
                try send("aruba", arguments + [mode]),
                by: "aruba",
                journalBefore: before,
                saying: "Aruba PEC would not accept this message (non-accettazione): the attachment fattura.pdf is "
                    + "a Windows or DOS program (MZ)"
            )
            let remedies = (error["remedies"] as? [[String: Any]]) ?? []
            #expect(remedies.first?["action"] as? String == "remove_attachment")
            #expect(remedies.first?["file"] as? String == path)
        }
    }

    @Test("Aruba: an .exe inside a zip is refused before any network; an allowed zip is sent and accepted")
    func programInsideZip() throws {
        defer { sandbox.cleanUp() }
        let blocked = try attachment(
            "documenti.zip",
            ZipFiles.archive([.stored("leggimi.txt", "ciao"), .stored("bin/setup.exe", "x")])
        )
        let before = sandbox.journal(authUser: "aruba").count
        let base = ["--to", "anna.bianchi@pec.sandbox", "--subject", subject("Pratica"), "--body", "Allegati."]
        for mode in ["--dry-run", "--yes"] {
            _ = try expectRefused(
                try send("aruba", base + ["--attach", blocked, mode]),
                by: "aruba",
                journalBefore: before,
                saying: "the attachment documenti.zip › bin/setup.exe is a .exe file"
            )
        }

        let allowed = try attachment(
            "pratica.zip",
            ZipFiles.archive([
                .stored("verbale.pdf", "%PDF-1.4 verbale"),
                .stored("altri.zip", ZipFiles.archive([.stored("nota.txt", "testo")])),
            ])
        )
        let run = try send("aruba", base + ["--attach", allowed, "--yes"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let record = try #require(try run.jsonLines().first { $0["status"] != nil })
        let id = try #require(record["message_id"] as? String)
        #expect(sandbox.submissions(messageID: id) == 1)
        // The simulator, applying Aruba's rules itself, accepted it (no non-accettazione).
        var kinds: [String] = []
        for _ in 0..<40 where !kinds.contains("accettazione") {
            kinds = sandbox.journal(messageID: id).compactMap { $0["kind"] as? String }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(kinds.contains("accettazione"))
        #expect(!kinds.contains("non-accettazione"))
    }

    @Test("Aruba: the same zip sent from a custom-server account reaches the simulator, which refuses it")
    func theSimulatorRefusesItToo() throws {
        defer { sandbox.cleanUp() }
        let login = try sandbox.login("aruba", extra: ["--name", "aruba-custom"])
        try #require(login.status == 0, "login failed: \(login.stderr)")
        let blocked = try attachment("documenti.zip", ZipFiles.archive([.stored("foto.jpg", Self.program)]))
        let run = try sandbox.pec([
            "--json", "send", "--account", "aruba-custom", "--to", "anna.bianchi@pec.sandbox", "--subject",
            subject("Senza controlli"), "--body", "x", "--attach", blocked, "--yes",
        ])
        #expect(run.status == 0, "a custom server gets no pre-flight: \(run.stderr)")
        let record = try #require(try run.jsonLines().first { $0["status"] != nil })
        let id = try #require(record["message_id"] as? String)
        var kinds: [String] = []
        for _ in 0..<40 where kinds.isEmpty {
            kinds = sandbox.journal(messageID: id).compactMap { $0["kind"] as? String }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(kinds == ["non-accettazione"])
    }

    @Test("Aruba: size × recipients over 100 MB is refused, naming how many recipients fit")
    func totalSize() throws {
        defer { sandbox.cleanUp() }
        let path = sandbox.configHome.appendingPathComponent("perizia.pdf").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 26_000_000)  // sparse; ~35 MB as sent
        try handle.close()
        let before = sandbox.journal(authUser: "aruba").count
        let recipients = ["anna.bianchi@pec.sandbox", "luca.verdi@pec.sandbox", "mario.rossi@pec.sandbox"]
        for mode in ["--dry-run", "--yes"] {
            let error = try expectRefused(
                try send(
                    "aruba",
                    [
                        "--to", recipients.joined(separator: ","), "--subject", subject("Perizia"), "--body", "x",
                        "--attach", path, mode,
                    ]
                ),
                by: "aruba",
                journalBefore: before,
                saying: "to 3 recipients is over its limit of 100 MB divided by the number of recipients"
            )
            let remedies = (error["remedies"] as? [[String: Any]]) ?? []
            #expect(remedies.first?["action"] as? String == "fewer_recipients")
            #expect(remedies.first?["max_recipients"] as? Int == 2)
        }
    }

    @Test("Legalmail: with 6 sends in the ledger in the last minute, the next is refused naming when it is allowed")
    func sixPerMinute() throws {
        defer { sandbox.cleanUp() }
        let address = sandbox.address("legalmail")
        let ledgerURL = sandbox.configHome.appendingPathComponent(".local/state/pec/ledger.sqlite")
        let ledger = try SendLedger(at: ledgerURL)
        var times: [Date] = []
        for index in 0..<6 {
            let send = try ledger.beginAttempt(
                NewSend(
                    messageID: "<minute.\(index).\(UUID().uuidString)@pec.sandbox>",
                    account: address,
                    from: address,
                    to: ["anna.bianchi@pec.sandbox"],
                    subject: "Invio \(index)",
                    preparedAt: Date(),
                    size: 1000
                )
            )
            try ledger.recordOutcome(
                messageID: send.messageID,
                status: .sent,
                smtpReply: "250 ok",
                error: nil,
                recipients: []
            )
            times.append(send.lastAttemptAt)
        }
        let allowed = try #require(times.min()).addingTimeInterval(60).formatted(.iso8601)
        let before = sandbox.journal(authUser: "legalmail").count
        let arguments = ["--to", "anna.bianchi@pec.sandbox", "--subject", subject("Settimo"), "--body", "x"]
        for mode in ["--dry-run", "--yes"] {
            let error = try expectRefused(
                try send("legalmail", arguments + [mode]),
                by: "legalmail",
                journalBefore: before,
                saying: "InfoCert Legalmail accepts at most 6 messages a minute from \(address), and 6 went out in the "
                    + "last 60 seconds: the next send is allowed after \(allowed)"
            )
            #expect(error["retryable"] as? Bool == true)
            let remedies = (error["remedies"] as? [[String: Any]]) ?? []
            #expect(remedies.first?["action"] as? String == "send_after")
            #expect(remedies.first?["after"] as? String == allowed)
        }
    }
}
