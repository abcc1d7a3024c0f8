import Foundation
import Testing
@testable import PECTestSupport

/// `pec sync`, `status` and `watch` against the sandbox: real receipts from the PEC simulator, a
/// slow recipient, one that never gets an acceptance, a forged receipt dropped into the Maildir.
@Suite(
    "pec sync, status and watch against the sandbox",
    .enabled(if: SandboxHarness.isAnnounced, "run through `make test`")
)
struct TrackingIntegrationTests {
    let sandbox: SandboxHarness
    static let sender = "mario.rossi"
    /// Short, so the no-receipt send times out within the test, yet longer than the simulator's
    /// slow delay (2 s under `make test`), so no acceptance is late.
    static let acceptanceTimeout = "6"

    init() throws {
        sandbox = try SandboxHarness()
        let login = try sandbox.login(Self.sender)
        try #require(login.status == 0, "login failed: \(login.stderr)")
    }

    var environment: [String: String] {
        var env = sandbox.environment()
        env["PEC_ACCEPTANCE_TIMEOUT"] = Self.acceptanceTimeout
        return env
    }

    func send(to recipients: [String], subject: String) throws -> String {
        let run = try sandbox.pec(
            ["--json", "send"] + recipients.flatMap { ["--to", $0] } + [
                "--subject", "\(subject) \(UUID().uuidString.prefix(8))", "--body", "Prova di tracciamento", "--yes",
            ]
        )
        try #require(run.status == 0, "send failed: \(run.stderr)")
        let record = try #require(try run.jsonLines().first { $0["message_id"] != nil })
        return try #require(record["message_id"] as? String)
    }

    func watch() throws -> WatchProcess {
        try WatchProcess(
            arguments: ["--json", "watch", "--ca-file", sandbox.caFile],
            environment: environment
        )
    }

    /// (event, recipient or deadline) of the lines about `messageID`.
    static func summary(_ lines: [[String: Any]], _ messageID: String) -> [String] {
        lines.filter { $0["message_id"] as? String == messageID }.map { line in
            let detail = (line["recipient"] as? String) ?? (line["deadline"] as? String) ?? ""
            return "\(line["event"] as? String ?? "?") \(detail)"
        }
    }

    @Test(
        "watch prints acceptance, deliveries, failure and timeout as they happen; a restart loses and repeats nothing"
    )
    func watchAcrossRestart() throws {
        defer { sandbox.cleanUp() }
        let first = try watch()
        // The first watch of an account starts from now: let it reach IDLE before sending.
        try #require(first.waitForStderrOrTime(seconds: 2))
        let known = "luca.verdi@pec.sandbox"
        let unknown = "nessuno.\(UUID().uuidString.prefix(6).lowercased())@pec.sandbox"
        let slow = "slow+anna.bianchi@pec.sandbox"
        let tracked = try send(to: [known, unknown, slow], subject: "Tracciamento")
        let silent = try send(to: ["noreceipt+luca.verdi@pec.sandbox"], subject: "Nessuna ricevuta")

        // Stop the first watch as soon as the acceptance is out: the rest arrives while none runs.
        let accepted = first.waitForLine(timeout: 20) {
            $0["message_id"] as? String == tracked && $0["event"] as? String == "pec_acceptance"
        }
        #expect(accepted, "no acceptance from the first watch; stderr: \(first.stderr)")
        let stop = first.terminate()
        #expect(stop == 143, "watch should stop on SIGTERM with 143; stderr: \(first.stderr)")
        let before = first.lines

        Thread.sleep(forTimeInterval: 3)
        let second = try watch()
        defer { _ = second.terminate() }
        let complete = second.waitForLine(timeout: 40) { _ in
            let all = before + second.lines
            return Self.summary(all, tracked).count >= 4 && Self.summary(all, silent).count >= 1
        }
        let all = before + second.lines
        #expect(complete, "events so far: \(all); stderr: \(second.stderr)")
        let events = Self.summary(all, tracked)
        #expect(events.count == 4, "nothing lost or repeated: \(events)")
        #expect(Set(events).count == events.count, "an event printed twice: \(events)")
        #expect(events.first == "pec_acceptance ")
        #expect(
            Set(events) == [
                "pec_acceptance ", "pec_delivery \(known)", "pec_delivery_error \(unknown)", "pec_delivery \(slow)",
            ]
        )
        // The slow recipient's delivery comes last, after the other two receipts.
        #expect(events.last == "pec_delivery \(slow)")
        #expect(Self.summary(all, silent) == ["pec_timeout acceptance"])
        let failure = all.first {
            $0["message_id"] as? String == tracked && $0["event"] as? String == "pec_delivery_error"
        }
        #expect(failure?["errore"] as? String == "no-dest")
        #expect(failure?["trusted"] as? Bool == true)
        // Every line printed is a whole JSON object (the stop cut none in half).
        #expect(first.partialOutput.isEmpty && second.partialOutput.isEmpty)

        let status = try PecRun.run(["--json", "status", tracked], environment: environment)
        #expect(status.status == 0, "stderr: \(status.stderr)")
        let message = try #require(try status.jsonLines().first)
        #expect(message["status"] as? String == "failed")
        let recipients = (message["recipients"] as? [[String: Any]]) ?? []
        let byAddress = Dictionary(
            uniqueKeysWithValues: recipients.map { ($0["address"] as? String ?? "", $0["status"] as? String ?? "") }
        )
        #expect(byAddress == [known: "delivered", unknown: "failed", slow: "delivered"])
        let overdue = try PecRun.run(["--json", "status", "--overdue", "--limit", "50"], environment: environment)
        let overdueIDs = try overdue.jsonLines().compactMap { $0["message_id"] as? String }
        #expect(overdueIDs.contains(silent) && !overdueIDs.contains(tracked))
    }

    @Test("sync records receipts once, marks nothing read; a forged unsigned delivery is recorded untrusted")
    func syncAndForgedDelivery() throws {
        defer { sandbox.cleanUp() }
        let messageID = try send(to: ["noreceipt+anna.bianchi@pec.sandbox"], subject: "Falsa consegna")
        let file = try dropForgedDelivery(for: messageID, recipient: "anna.bianchi@pec.sandbox")

        var synced = try PecRun.run(["--json", "sync", "--ca-file", sandbox.caFile], environment: environment)
        #expect(synced.status == 0, "stderr: \(synced.stderr)")
        var found: [String: Any] = [:]
        for _ in 0..<20 {
            let status = try PecRun.run(["--json", "status", messageID], environment: environment)
            found = (try? status.jsonLines().first) ?? [:]
            if ((found["events"] as? [[String: Any]]) ?? []).contains(where: {
                $0["event"] as? String == "pec_delivery"
            }) {
                break
            }
            Thread.sleep(forTimeInterval: 0.25)
            synced = try PecRun.run(["--json", "sync", "--ca-file", sandbox.caFile], environment: environment)
        }
        let events = (found["events"] as? [[String: Any]]) ?? []
        let forged = try #require(events.first { $0["event"] as? String == "pec_delivery" }, "\(found)")
        #expect(forged["trusted"] as? Bool == false)
        #expect((forged["signature"] as? [String: Any])?["status"] as? String == "unsigned")
        let evidence = try #require(forged["evidence"] as? [String: Any])
        let stored = try #require(evidence["path"] as? String)
        #expect(FileManager.default.contents(atPath: stored) == FileManager.default.contents(atPath: file.path))
        #expect(found["status"] as? String != "delivered")
        #expect(found["untrusted_events"] as? Int == 1)

        // Again: nothing new. The forged message is still unread (sync only peeks).
        let again = try PecRun.run(["--json", "sync", "--ca-file", sandbox.caFile], environment: environment)
        #expect(again.status == 0, "stderr: \(again.stderr)")
        let unread = try PecRun.run(["--json", "list", "--unread", "--limit", "0"], environment: environment)
        let subjects = try unread.jsonLines().compactMap { $0["subject"] as? String }
        #expect(subjects.contains { $0.contains("finta") }, "the forged receipt should still be unread")
        let after = try PecRun.run(["--json", "status", messageID], environment: environment)
        let count = (((try after.jsonLines().first)?["events"] as? [[String: Any]]) ?? []).count
        #expect(count == events.count)
    }

    /// An unsigned message that claims to be the delivery receipt of `messageID`, written into the
    /// sender's Maildir the way Dovecot expects (owner of the folder, `new/`).
    func dropForgedDelivery(for messageID: String, recipient: String) throws -> URL {
        let maildir = URL(fileURLWithPath: sandbox.directory)
            .appendingPathComponent("mail/pec.sandbox/\(Self.sender)/Maildir/new")
        let text = """
            From: posta-certificata@pec.sandbox\r
            To: \(sandbox.address(Self.sender))\r
            Subject: CONSEGNA: finta \(UUID().uuidString.prefix(6))\r
            Date: \(Self.rfc5322Now())\r
            Message-ID: <finta.\(UUID().uuidString)@pec.sandbox>\r
            X-Ricevuta: avvenuta-consegna\r
            X-Riferimento-Message-ID: \(messageID)\r
            MIME-Version: 1.0\r
            Content-Type: text/plain; charset=utf-8\r
            \r
            Il messaggio è stato consegnato a \(recipient) (credici).\r

            """
        let file = maildir.appendingPathComponent("\(Int(Date().timeIntervalSince1970)).forged\(getpid()).track")
        try Data(text.utf8).write(to: file)
        var info = stat()
        if stat(maildir.path, &info) == 0 { _ = chown(file.path, info.st_uid, info.st_gid) }
        return file
    }

    static func rfc5322Now() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: Date())
    }
}

/// A `pec watch` running in the background: its stdout collected line by line as it comes.
final class WatchProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var buffer = Data()
    private var parsed: [[String: Any]] = []
    private var errorText = Data()

    init(arguments: [String], environment: [String: String]) throws {
        process.executableURL = PecRun.binDirectory.appendingPathComponent("pec")
        process.arguments = arguments
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [weak self] handle in
            self?.take(handle.availableData)
        }
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.lock.withLock { self?.errorText.append(data) }
        }
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    private func take(_ data: Data) {
        lock.withLock {
            buffer.append(data)
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[buffer.index(after: newline)...])
                if let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] {
                    parsed.append(object)
                } else {
                    parsed.append(["unparsable": String(decoding: line, as: UTF8.self)])
                }
            }
        }
    }

    var lines: [[String: Any]] { lock.withLock { parsed } }
    var stderr: String { lock.withLock { String(decoding: errorText, as: UTF8.self) } }
    /// Bytes after the last newline: a line cut in half.
    var partialOutput: Data { lock.withLock { buffer } }

    /// Waits (bounded) until some line satisfies `predicate`.
    func waitForLine(timeout: Double, _ predicate: ([String: Any]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if lines.contains(where: predicate) { return true }
            if !process.isRunning { return lines.contains(where: predicate) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    /// Gives the process time to connect; false when it died meanwhile.
    func waitForStderrOrTime(seconds: Double) -> Bool {
        Thread.sleep(forTimeInterval: seconds)
        return process.isRunning
    }

    /// SIGTERM, then waits (bounded) for the exit; returns the exit status.
    func terminate() -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        Thread.sleep(forTimeInterval: 0.1)
        return process.terminationStatus
    }
}
