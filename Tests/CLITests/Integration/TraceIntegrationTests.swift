import Foundation
import Testing
@testable import PECTestSupport

/// `pec trace` against the sandbox, on receipts nobody but the test wrote: a plain trace (no
/// flags) must not believe a delivery that no PEC gestore signed.
@Suite(
    "pec trace trusts only gestore-signed receipts (sandbox)",
    .enabled(if: SandboxHarness.isAnnounced, "run through `make test`")
)
struct TraceIntegrationTests {
    let sandbox: SandboxHarness
    static let sender = "mario.rossi"
    /// The simulator writes no receipt for this recipient: every receipt the test sees is forged.
    static let recipient = "noreceipt+anna.bianchi@pec.sandbox"

    init() throws {
        sandbox = try SandboxHarness()
        let login = try sandbox.login(Self.sender)
        try #require(login.status == 0, "login failed: \(login.stderr)")
    }

    /// A send through pec (so it is in the ledger) for which the simulator writes no receipt at all.
    func send() throws -> String {
        let run = try sandbox.pec([
            "--json", "send", "--to", Self.recipient, "--subject",
            "Falsa traccia \(UUID().uuidString.prefix(8))", "--body", "Prova", "--yes",
        ])
        try #require(run.status == 0, "send failed: \(run.stderr)")
        let record = try #require(try run.jsonLines().first { $0["message_id"] != nil })
        return try #require(record["message_id"] as? String)
    }

    func json(_ arguments: [String]) throws -> [String: Any] {
        let run = try sandbox.pec(["--json"] + arguments)
        try #require(run.status == 0, "\(arguments) failed: \(run.stderr)")
        return try #require(try run.jsonLines().first)
    }

    static func events(_ record: [String: Any]) -> [[String: Any]] { (record["events"] as? [[String: Any]]) ?? [] }

    static func recipientStatuses(_ record: [String: Any]) -> [String] {
        ((record["recipients"] as? [[String: Any]]) ?? []).compactMap { $0["status"] as? String }
    }

    /// Then a second trace downloads nothing, status agrees, and `--no-verify` is marked unverified.
    @Test("an unsigned forged delivery and one signed by a self-signed certificate: a plain trace counts neither")
    func forgedDeliveries() throws {
        defer { sandbox.cleanUp() }
        let messageID = try send()
        try drop(try Self.forgedDelivery(for: messageID, recipient: Self.recipient, signer: nil))
        try drop(try Self.forgedDelivery(for: messageID, recipient: Self.recipient, signer: try SelfSigned()))

        var traced: [String: Any] = [:]
        for _ in 0..<20 {
            traced = try json(["trace", messageID])
            if Self.events(traced).count >= 2 { break }
            Thread.sleep(forTimeInterval: 0.25)
        }
        let events = Self.events(traced)
        #expect(events.count == 2, "\(traced)")
        #expect(events.allSatisfy { $0["event"] as? String == "pec_delivery" && $0["trusted"] as? Bool == false })
        let signatures = Set(events.compactMap { ($0["signature"] as? [String: Any])?["status"] as? String })
        #expect(signatures.contains("unsigned") && !signatures.contains("valid"), "\(signatures)")
        #expect(Self.recipientStatuses(traced) == ["pending"], "\(traced)")
        #expect(!["delivered", "accepted"].contains(traced["status"] as? String ?? ""))
        #expect(traced["verified"] as? Bool == true)
        #expect(traced["untrusted_events"] as? Int == 2)
        #expect(traced["identificativo"] == nil, "no identificativo learned from forged receipts")
        for event in events {
            let path = try #require((event["evidence"] as? [String: Any])?["path"] as? String)
            #expect(FileManager.default.fileExists(atPath: path), "evidence kept at \(path)")
        }

        // Again: the bytes come from the evidence store, nothing is downloaded or stored twice.
        let again = try json(["trace", messageID])
        #expect(again["downloaded"] as? Int == 0, "\(again)")
        #expect(Self.events(again).count == 2)
        #expect(Self.recipientStatuses(again) == ["pending"])

        // pec status says the same, from the ledger the trace recorded into.
        let status = try json(["status", messageID])
        #expect(status["status"] as? String == again["status"] as? String)
        #expect(Self.recipientStatuses(status) == Self.recipientStatuses(again))
        #expect(Self.events(status).count == 2)
        #expect(status["verified"] == nil, "only trace says verified")

        // A sync afterwards reads the same receipts and adds no event about this message. The
        // traces moved no sync position: this ledger's first sync still reads the INBOX from the start.
        let sync = try sandbox.pec(["--json", "sync", "--ca-file", sandbox.caFile])
        #expect(sync.status == 0, "stderr: \(sync.stderr)")
        let synced = try #require(try sync.jsonLines().first)
        #expect(synced["scanned"] as? Int ?? 0 >= 2, "\(synced)")
        #expect(Self.events(try json(["status", messageID])).count == 2)

        // --no-verify: a quick look, marked unverified, nothing believed.
        let quick = try json(["trace", messageID, "--no-verify"])
        #expect(quick["verified"] as? Bool == false)
        #expect(Self.events(quick).count == 2)
        #expect(Self.events(quick).allSatisfy { $0["trusted"] as? Bool == false })
        #expect(Self.recipientStatuses(quick) == ["pending"])
        // --verify is still accepted: it is the default.
        #expect(try json(["trace", messageID, "--verify"])["verified"] as? Bool == true)
    }

    // MARK: - Forged receipts

    static let base64Lines: Data.Base64EncodingOptions = [
        .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
    ]

    /// Writes a message into the sender's Maildir the way Dovecot expects (owner of the folder, `new/`).
    func drop(_ text: String) throws {
        let maildir = URL(fileURLWithPath: sandbox.directory)
            .appendingPathComponent("mail/pec.sandbox/\(Self.sender)/Maildir/new")
        let file = maildir.appendingPathComponent("\(Int(Date().timeIntervalSince1970)).\(UUID().uuidString).trace")
        try Data(text.utf8).write(to: file)
        var info = stat()
        if stat(maildir.path, &info) == 0 { _ = chown(file.path, info.st_uid, info.st_gid) }
    }

    /// A certificate nobody vouches for, with the gestore's address in it.
    struct SelfSigned {
        let directory: URL

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("pec-selfsigned-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Self.openssl([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                "-keyout", directory.appendingPathComponent("key.pem").path,
                "-out", directory.appendingPathComponent("cert.pem").path,
                "-subj", "/CN=posta-certificata@pec.sandbox/emailAddress=posta-certificata@pec.sandbox",
                "-addext", "subjectAltName=email:posta-certificata@pec.sandbox",
            ])
        }

        /// A detached CMS signature of `entity`, base64 in lines of 76.
        func sign(_ entity: String) throws -> String {
            let input = directory.appendingPathComponent("entity")
            let output = directory.appendingPathComponent("signature.der")
            try Data(entity.utf8).write(to: input)
            try Self.openssl([
                "smime", "-sign", "-binary", "-md", "sha256", "-in", input.path, "-outform", "DER", "-out", output.path,
                "-signer", directory.appendingPathComponent("cert.pem").path,
                "-inkey", directory.appendingPathComponent("key.pem").path,
            ])
            return try Data(contentsOf: output).base64EncodedString(options: TraceIntegrationTests.base64Lines)
        }

        static func openssl(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "openssl \(arguments.first ?? "") failed")
        }
    }

    /// A delivery receipt with everything a real one has (X-Ricevuta, X-Riferimento-Message-ID,
    /// daticert.xml), unsigned or signed by `signer`.
    static func forgedDelivery(for messageID: String, recipient: String, signer: SelfSigned?) throws -> String {
        let daticert = """
            <?xml version="1.0" encoding="UTF-8"?>\r
            <postacert tipo="avvenuta-consegna" errore="nessuno">\r
            <intestazione><mittente>mario.rossi@pec.sandbox</mittente>\r
            <destinatari tipo="certificato">\(recipient)</destinatari>\r
            <risposte>mario.rossi@pec.sandbox</risposte><oggetto>Falsa traccia</oggetto></intestazione>\r
            <dati><gestore-emittente>PEC Sandbox S.p.A.</gestore-emittente>\r
            <data zona="+0100"><giorno>21/11/2026</giorno><ora>10:00:00</ora></data>\r
            <identificativo>opec288.forged.\(UUID().uuidString.prefix(8))@pec.sandbox</identificativo>\r
            <msgid>\(messageID.replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;"))</msgid>\r
            <ricevuta tipo="completa"/><consegna>\(recipient)</consegna></dati>\r
            </postacert>\r
            """
        let entity = """
            Content-Type: multipart/mixed; boundary="inner"\r
            \r
            --inner\r
            Content-Type: text/plain; charset=utf-8\r
            \r
            Il messaggio è stato consegnato a \(recipient) (credici).\r
            --inner\r
            Content-Type: application/xml; name="daticert.xml"\r
            Content-Disposition: inline; filename="daticert.xml"\r
            Content-Transfer-Encoding: base64\r
            \r
            \(Data(daticert.utf8).base64EncodedString(options: base64Lines))\r
            --inner--\r

            """
        var head = """
            From: posta-certificata@pec.sandbox\r
            To: mario.rossi@pec.sandbox\r
            Subject: CONSEGNA: Falsa traccia\r
            Date: \(TrackingIntegrationTests.rfc5322Now())\r
            Message-ID: <forged.\(UUID().uuidString)@pec.sandbox>\r
            X-Ricevuta: avvenuta-consegna\r
            X-Riferimento-Message-ID: \(messageID)\r
            MIME-Version: 1.0\r

            """
        guard let signer else { return head + entity }
        let signature = try signer.sign(entity)
        head += """
            Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg="sha-256"; boundary="outer"\r
            \r
            --outer\r
            \(entity)\r
            --outer\r
            Content-Type: application/pkcs7-signature; name="smime.p7s"\r
            Content-Transfer-Encoding: base64\r
            Content-Disposition: attachment; filename="smime.p7s"\r
            \r
            \(signature)\r
            --outer--\r

            """
        return head
    }
}
