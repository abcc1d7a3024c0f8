import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Testing

@testable import PECCore
@testable import PECTestSupport

/// The SMTP client against the sandbox's PEC simulator (SMTPS, implicit TLS): a send and its
/// acceptance receipt, and every way a send can fail, checked against the simulator's journal.
@Suite("SMTP client against the sandbox", .enabled(if: SandboxHarness.isAnnounced, "run through `make test`"))
struct SMTPClientIntegrationTests {
    let sandbox: SandboxHarness
    let logger = Logger(label: "test")

    init() throws {
        sandbox = try SandboxHarness()
    }

    var settings: ConnectionSettings {
        ConnectionSettings(
            endpoint: ServerEndpoint(host: sandbox.host, port: sandbox.smtpsPort),
            caFile: sandbox.caFile,
            // The product's default: the simulator is one Python process that signs every receipt,
            // and with the whole suite sending in parallel it can be seconds late to answer.
            timeout: ConnectionSettings.defaultTimeout
        )
    }

    /// A message the simulator accepts as a PEC: From = the logged-in sender, every recipient in To.
    func message(from sender: String, to recipients: [String], id: String) -> [UInt8] {
        let lines = [
            "From: \(sender)",
            "To: \(recipients.joined(separator: ", "))",
            "Subject: Prova SMTPClient",
            "Message-ID: \(id)",
            "Date: Mon, 18 May 2026 10:00:00 +0200",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
            "Buongiorno,",
            ".una riga che comincia con un punto",
            "è una prova.",
        ]
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    func newMessageID() -> String { "<\(UUID().uuidString)@smtp-test.example>" }

    func journal(messageID: String) throws -> [[String: Any]] {
        sandbox.journal(messageID: messageID)
    }

    func send(
        as user: String = "mario.rossi",
        password: String? = nil,
        to recipients: [String],
        messageID: String,
        size: Int? = nil
    ) async throws -> SMTPSendReceipt {
        let sender = sandbox.address(user)
        let content = message(from: sender, to: recipients, id: messageID)
        return try await SMTPClient.withConnection(settings, logger: logger) { client in
            try await client.authenticate(user: sender, password: password ?? sandbox.password)
            let envelope = SMTPEnvelope(
                from: sender,
                recipients: recipients,
                size: size ?? content.count,
                eightBit: true
            )
            return try await client.send(envelope) { writer in
                // Uneven writes: the content crosses chunk boundaries anywhere.
                var start = 0
                while start < content.count {
                    let end = min(content.count, start + 7)
                    try await writer.write(Array(content[start..<end]))
                    start = end
                }
            }
        }
    }

    @Test("a send to two local recipients is accepted; the acceptance receipt reaches the sender")
    func success() async throws {
        defer { sandbox.cleanUp() }
        let id = newMessageID()
        let recipients = [sandbox.address("anna.bianchi"), sandbox.address("luca.verdi")]
        let receipt = try await send(to: recipients, messageID: id)
        #expect(receipt.code == 250)
        #expect(receipt.recipients.map(\.address) == recipients)
        #expect(receipt.recipients.allSatisfy { $0.accepted && $0.code == 250 && $0.enhancedCode == "2.1.5" })
        #expect(!receipt.text.isEmpty)

        let events = try journal(messageID: id)
        let submitted = try #require(events.first { $0["event"] as? String == "submitted" })
        #expect(submitted["rcpt_tos"] as? [String] == recipients)
        #expect(submitted["mail_from"] as? String == sandbox.address("mario.rossi"))
        #expect(
            events.contains {
                $0["event"] as? String == "delivered" && $0["kind"] as? String == "accettazione"
                    && $0["to"] as? String == sandbox.address("mario.rossi")
            }
        )
        let acceptance = try #require(
            events.first { $0["kind"] as? String == "accettazione" }?["file"] as? String
        )
        #expect(acceptance.hasPrefix(sandbox.directory + "/mail/pec.sandbox/mario.rossi/"))
        #expect(FileManager.default.fileExists(atPath: acceptance))
        // The envelope delivered to a recipient holds the content, the stuffed dot removed again.
        let envelope = try #require(
            events.first { $0["kind"] as? String == "posta-certificata" && $0["to"] as? String == recipients[0] }?[
                "file"
            ]
                as? String
        )
        let delivered = try String(contentsOfFile: envelope, encoding: .utf8)
        #expect(delivered.contains("\r\n.una riga che comincia con un punto\r\n"))
    }

    @Test("the server's SIZE is known, and a larger message is refused before MAIL FROM")
    func sizeLimit() async throws {
        defer { sandbox.cleanUp() }
        let id = newMessageID()
        let sender = sandbox.address("mario.rossi")
        try await SMTPClient.withConnection(settings, logger: logger) { client in
            let limit = try #require(client.maximumSize)
            #expect(limit == 30 * 1024 * 1024)
            try await client.authenticate(user: sender, password: sandbox.password)
            var contentCalled = false
            let error = await #expect(throws: PECError.self) {
                _ = try await client.send(
                    SMTPEnvelope(from: sender, recipients: [sandbox.address("anna.bianchi")], size: limit + 1)
                ) { _ in contentCalled = true }
            }
            #expect(error?.kind == .invalidInput && error?.retryable == false)
            #expect(error?.message.contains("\(limit + 1)") == true && error?.message.contains("\(limit)") == true)
            #expect(!contentCalled)
            // No transaction was started: the session goes on with a send that fits.
            let content = message(from: sender, to: [sandbox.address("anna.bianchi")], id: id)
            let receipt = try await client.send(
                SMTPEnvelope(from: sender, recipients: [sandbox.address("anna.bianchi")], size: content.count)
            ) { try await $0.write(content) }
            #expect(receipt.code == 250)
        }
        #expect(try journal(messageID: id).contains { $0["event"] as? String == "submitted" })
    }

    @Test("a wrong password is notAuthenticated")
    func wrongPassword() async throws {
        defer { sandbox.cleanUp() }
        let error = await #expect(throws: PECError.self) {
            _ = try await send(password: "wrong", to: [sandbox.address("anna.bianchi")], messageID: newMessageID())
        }
        #expect(error?.kind == .notAuthenticated, "\(String(describing: error))")
        #expect(error?.hint?.contains("pec auth login") == true)
        #expect(error?.message.contains("wrong") == false)
    }

    @Test("an SMTP server that resets the connection right after 535: still a rejected password")
    func resetAfter535() async throws {
        defer { sandbox.cleanUp() }
        // The server on its own threads: while it answers, the client's are kept busy, so the
        // answer and the reset reach the client's socket before it reads either (as under load).
        let serverThreads = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let smtp = try await FakeServer.dripping(
            certificate: sandbox.directory + "/server.pem",
            key: sandbox.directory + "/server.key",
            group: serverThreads,
            greeting: .say("220 fake ESMTP\r\n")
        ) { line in
            if line.hasPrefix("EHLO") { return .say("250-fake\r\n250 AUTH PLAIN LOGIN\r\n") }
            if line.hasPrefix("AUTH") {
                for loop in MultiThreadedEventLoopGroup.singleton.makeIterator() { loop.execute { usleep(300_000) } }
                usleep(50_000)
                return .sayThenReset("535 5.7.8 Authentication credentials invalid\r\n")
            }
            return .say("250 ok\r\n")
        }
        for attempt in 1...5 {
            let settings = ConnectionSettings(
                endpoint: ServerEndpoint(host: "127.0.0.1", port: smtp.port),
                caFile: sandbox.caFile,
                timeout: .seconds(5)
            )
            let error = await #expect(throws: PECError.self) {
                try await SMTPClient.withConnection(settings, logger: logger) { client in
                    try await client.authenticate(user: "x@pec.sandbox", password: "wrong")
                }
            }
            #expect(error?.kind == .notAuthenticated, "attempt \(attempt): \(String(describing: error))")
        }
        await smtp.close()
        try await serverThreads.shutdownGracefully()
    }

    @Test("AUTH LOGIN works too, and refuses a wrong password the same way")
    func authLogin() async throws {
        defer { sandbox.cleanUp() }
        let sender = sandbox.address("anna.bianchi")
        try await SMTPClient.withConnection(settings, logger: logger) { client in
            #expect(client.capabilities.authMechanisms.isSuperset(of: ["PLAIN", "LOGIN"]))
            try await client.authenticate(user: sender, password: sandbox.password, mechanisms: ["LOGIN"])
        }
        let error = await #expect(throws: PECError.self) {
            try await SMTPClient.withConnection(settings, logger: logger) { client in
                try await client.authenticate(user: sender, password: "wrong", mechanisms: ["LOGIN"])
            }
        }
        #expect(error?.kind == .notAuthenticated)
    }

    @Test("a refused recipient: nothing is sent to anyone, every answer is reported")
    func rejected() async throws {
        defer { sandbox.cleanUp() }
        let id = newMessageID()
        let refusedAddress = "reject+" + sandbox.address("luca.verdi")
        let recipients = [sandbox.address("anna.bianchi"), refusedAddress]
        let error = await #expect(throws: SMTPRecipientsRefused.self) {
            _ = try await send(to: recipients, messageID: id)
        }
        let results = try #require(error?.results)
        #expect(results.map(\.address) == recipients)
        #expect(results.map(\.accepted) == [true, false])
        #expect(error?.refused.map(\.address) == [refusedAddress])
        #expect(error?.refused.first?.code == 550)
        #expect(error?.refused.first?.enhancedCode == "5.1.1")
        #expect(error?.retryable == false)
        #expect(error?.pecError.message.contains(refusedAddress) == true)
        #expect(try journal(messageID: id).isEmpty)
    }

    @Test("a temporarily refused recipient is retryable, and the retry gets through")
    func tempfail() async throws {
        defer { sandbox.cleanUp() }
        // The simulator answers 451 to every other RCPT of a tempfail+ address; only this test uses this one.
        let address = "tempfail+" + sandbox.address("luca.verdi")
        let firstID = newMessageID()
        let error = await #expect(throws: SMTPRecipientsRefused.self) {
            _ = try await send(to: [address], messageID: firstID)
        }
        #expect(error?.retryable == true)
        #expect(error?.refused.first?.code == 451)
        #expect(error?.pecError.retryable == true)
        let retryID = newMessageID()
        let receipt = try await send(to: [address], messageID: retryID)
        #expect(receipt.recipients.map(\.accepted) == [true])
        #expect(try journal(messageID: firstID).isEmpty)
        #expect(try journal(messageID: retryID).contains { $0["event"] as? String == "submitted" })
    }

    @Test("a connection lost after the end of data is an uncertain delivery, never a retryable error")
    func dropped() async throws {
        defer { sandbox.cleanUp() }
        let id = newMessageID()
        let address = "drop+" + sandbox.address("anna.bianchi")
        let error = await #expect(throws: SMTPDeliveryUncertain.self) {
            _ = try await send(to: [address], messageID: id)
        }
        #expect(error?.recipients == [address])
        #expect(error?.pecError.retryable == false)
        // And indeed the simulator had accepted it.
        #expect(try journal(messageID: id).contains { $0["event"] as? String == "submitted" })
    }

    struct ContentFailure: Error {}

    @Test("content that fails half-way: no terminator, the connection is closed, nothing is submitted")
    func contentThrows() async throws {
        defer { sandbox.cleanUp() }
        let id = newMessageID()
        let sender = sandbox.address("mario.rossi")
        let recipient = sandbox.address("anna.bianchi")
        let content = message(from: sender, to: [recipient], id: id)
        var laterCommand: (any Error)?
        await #expect(throws: ContentFailure.self) {
            try await SMTPClient.withConnection(settings, logger: logger) { client in
                try await client.authenticate(user: sender, password: sandbox.password)
                do {
                    _ = try await client.send(SMTPEnvelope(from: sender, recipients: [recipient], size: content.count))
                    {
                        writer in
                        try await writer.write(content)
                        throw ContentFailure()
                    }
                } catch {
                    // The session is over: nothing more may be written on it.
                    do {
                        _ = try await client.exchange(.rset)
                    } catch let refused {
                        laterCommand = refused
                    }
                    throw error
                }
            }
        }
        #expect(laterCommand is PECError)
        // A later submission on a new connection has been processed; the abandoned one never is.
        let laterID = newMessageID()
        _ = try await send(to: [recipient], messageID: laterID)
        #expect(try journal(messageID: laterID).contains { $0["event"] as? String == "submitted" })
        #expect(try journal(messageID: id).isEmpty)
    }

    @Test("an address that would inject a command is refused before anything is sent")
    func injection() async throws {
        defer { sandbox.cleanUp() }
        let id = newMessageID()
        let error = await #expect(throws: PECError.self) {
            _ = try await send(
                to: [sandbox.address("anna.bianchi") + ">\r\nRCPT TO:<" + sandbox.address("luca.verdi")],
                messageID: id
            )
        }
        #expect(error?.kind == .invalidInput)
        #expect(try journal(messageID: id).isEmpty)
    }
}

/// The client against scripted servers (TLS with the sandbox's certificate, or cleartext for
/// STARTTLS): the answers the sandbox never gives.
@Suite("SMTP client against scripted servers", .enabled(if: SandboxHarness.isAnnounced, "run through `make test`"))
struct SMTPClientScriptedTests {
    let sandbox: SandboxHarness
    let logger = Logger(label: "test")

    init() throws {
        sandbox = try SandboxHarness()
    }

    func settings(port: Int, security: ServerEndpoint.Security = .implicitTLS) -> ConnectionSettings {
        ConnectionSettings(
            endpoint: ServerEndpoint(host: sandbox.host, port: port, security: security),
            caFile: sandbox.caFile,
            timeout: .seconds(5)
        )
    }

    /// An SMTPS server that sends `greeting`, then answers each line with `reply(line)` (nothing when nil).
    func scripted(
        greeting: String,
        reply: @escaping @Sendable (String) -> String?
    ) async throws -> any Channel {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(sandbox.directory + "/server.pem").map {
                .certificate($0)
            },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: sandbox.directory + "/server.key", format: .pem))
        )
        let context = try NIOSSLContext(configuration: configuration)
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(
                        FakeServer.Scripted(greeting: greeting, reply: reply)
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    @Test("a 554 greeting is a final server error, a 421 greeting a retryable one")
    func greetings() async throws {
        defer { sandbox.cleanUp() }
        for (greeting, retryable) in [
            ("554 5.7.1 no service\r\n", false), ("421-busy\r\n421 4.3.2 try later\r\n", true),
        ] {
            let server = try await scripted(greeting: greeting) { _ in nil }
            let error = await #expect(throws: PECError.self) {
                try await SMTPClient.withConnection(settings(port: server.localAddress?.port ?? 0), logger: logger) {
                    _ in
                }
            }
            #expect(error?.kind == .server && error?.retryable == retryable)
            try? await server.close()
        }
    }

    @Test("EHLO answered 502 falls back to HELO, which offers nothing")
    func heloFallback() async throws {
        defer { sandbox.cleanUp() }
        let server = try await scripted(greeting: "220 old ESMTP-less server\r\n") { line in
            if line.hasPrefix("EHLO") { return "502 what?\r\n" }
            if line.hasPrefix("HELO ") { return "250 hello\r\n" }
            if line == "QUIT" { return "221 bye\r\n" }
            return "500 no\r\n"
        }
        defer { server.close(promise: nil) }
        let offered = try await SMTPClient.withConnection(
            settings(port: server.localAddress?.port ?? 0),
            logger: logger
        ) {
            $0.capabilities
        }
        #expect(offered == SMTPCapabilities())
    }

    /// A server that takes a message and answers the end of data with `final` (silence when nil).
    func submissionServer(finalReply: String?) async throws -> any Channel {
        try await scripted(greeting: "220 fake\r\n") { line in
            switch line {
            case _ where line.hasPrefix("EHLO"): "250-fake\r\n250 SIZE 1000\r\n"
            case _ where line.hasPrefix("MAIL FROM:"), _ where line.hasPrefix("RCPT TO:"): "250 ok\r\n"
            case "DATA": "354 go ahead\r\n"
            case ".": finalReply
            case "QUIT": "221 bye\r\n"
            default: nil  // message lines
            }
        }
    }

    func sendOne(_ client: SMTPClient) async throws -> SMTPSendReceipt {
        try await client.send(SMTPEnvelope(from: "a@pec.sandbox", recipients: ["b@pec.sandbox"], size: 9)) {
            try await $0.write(Array("Subject: x\r\n\r\nhi".utf8))
        }
    }

    @Test("a 451 to the end of data is a retryable server error (the server said no: nothing is uncertain)")
    func finalTemporaryFailure() async throws {
        defer { sandbox.cleanUp() }
        let server = try await submissionServer(finalReply: "451 4.3.0 try later\r\n")
        defer { server.close(promise: nil) }
        let error = await #expect(throws: PECError.self) {
            try await SMTPClient.withConnection(settings(port: server.localAddress?.port ?? 0), logger: logger) {
                _ = try await sendOne($0)
            }
        }
        #expect(error?.kind == .server && error?.retryable == true)
    }

    @Test("silence after the end of data is an uncertain delivery")
    func finalSilence() async throws {
        defer { sandbox.cleanUp() }
        let server = try await submissionServer(finalReply: nil)
        defer { server.close(promise: nil) }
        let error = await #expect(throws: SMTPDeliveryUncertain.self) {
            try await SMTPClient.withConnection(settings(port: server.localAddress?.port ?? 0), logger: logger) {
                $0.finalReplyTimeout = .milliseconds(500)
                _ = try await sendOne($0)
            }
        }
        #expect(error?.underlying.kind == .timeout)
        #expect(error?.recipients == ["b@pec.sandbox"])
    }

    @Test("the receipt carries the final reply text (the queue id)")
    func receipt() async throws {
        defer { sandbox.cleanUp() }
        let server = try await submissionServer(finalReply: "250 2.0.0 Ok: queued as 4F2A1\r\n")
        defer { server.close(promise: nil) }
        let receipt = try await SMTPClient.withConnection(
            settings(port: server.localAddress?.port ?? 0),
            logger: logger
        ) {
            try await sendOne($0)
        }
        #expect(receipt.text == "Ok: queued as 4F2A1" && receipt.enhancedCode == "2.0.0")
    }

    @Test("STARTTLS: a server that does not offer it is refused before anything else is sent")
    func startTLSNotOffered() async throws {
        defer { sandbox.cleanUp() }
        let server = try await FakeServer.plainIMAP(greeting: "220 plain\r\n") { line in
            line.hasPrefix("EHLO") ? "250-plain\r\n250 AUTH PLAIN\r\n" : "500 no\r\n"
        }
        let error = await #expect(throws: PECError.self) {
            try await SMTPClient.withConnection(settings(port: server.port, security: .startTLS), logger: logger) { _ in
            }
        }
        #expect(error?.kind == .tls && error?.message.contains("STARTTLS") == true)
        await server.close()
    }
}
