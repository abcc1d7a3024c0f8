import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

/// What the use-cases say when the server fails them: each is a clear ``PECError``, and none waits.
@Suite("Use-case failures over a scripted server")
struct FailureOrchestrationTests {
    @Test("EXAMINE refused without a reason, LIST says it does not exist: no such folder")
    func missingFolder() async throws {
        let transcript = try ServerTranscript.named("10-errors-logout")
        var imap = IMAPScript()
        imap.greeting()
        imap.login()
        // Dovecot's own words for a missing mailbox, from the captured transcript.
        imap.command("EXAMINE Archivio", replay: transcript.responses[0])
        imap.command("LIST \"\" \"Archivio\"", [], completion: "OK List completed.")
        let connector = ScriptedConnector(imap.steps)

        let error = await #expect(throws: PECError.self) {
            try await Orchestration.mailbox(connector).list(ListRequest(folder: "Archivio"))
        }

        connector.verify()
        #expect(error?.kind == .notFound)
        #expect(error?.message.contains("Archivio") == true)
    }

    @Test func wrongPasswordIsAnAuthenticationFailure() async throws {
        var imap = IMAPScript()
        imap.greeting()
        let token = Data("\0\(IMAPScript.username)\0\(IMAPScript.password)".utf8).base64EncodedString()
        imap.command("AUTHENTICATE PLAIN \(token)", completion: "NO [AUTHENTICATIONFAILED] Authentication failed.")
        let connector = ScriptedConnector(imap.steps)

        let error = await #expect(throws: PECError.self) {
            try await Orchestration.mailbox(connector).list(ListRequest())
        }

        connector.verify()
        #expect(error?.kind == .authenticationFailed)
    }

    @Test("the connection drops in the middle of a FETCH: a retryable network error, then a retry that works")
    func droppedConnection() async throws {
        var broken = MailboxOrchestrationTests.examined(1)
        broken.command("UID SEARCH 1:1", ["* SEARCH 4"])
        broken.step(.clientLine(prefix: Array("\(broken.takeTag()) UID FETCH 4 ".utf8)))
        broken.server(bytes: Array("* 1 FETCH (UID 4 FLAGS () RFC822.SIZE 9".utf8))
        broken.step(.close)
        let connector = ScriptedConnector(broken.steps)

        let error = await #expect(throws: PECError.self) {
            try await Orchestration.mailbox(connector).list(ListRequest())
        }

        connector.verify()
        #expect(error?.kind == .network)
        #expect(error?.retryable == true)

        // With a retry allowed, the use-case starts over on a new connection.
        var working = MailboxOrchestrationTests.examined(1)
        working.command("UID SEARCH 1:1", ["* SEARCH 4"])
        working.command(startingWith: "UID FETCH 4 ", ["* 1 FETCH (UID 4 FLAGS () RFC822.SIZE 9)"])
        working.logout()
        let retrying = ScriptedConnector(broken.steps, working.steps)
        let service = MailboxService(
            access: Orchestration.access(retrying, retry: RetryPolicy(maxRetries: 1, baseDelay: .milliseconds(1)))
        )
        let summaries = try await service.list(ListRequest())
        retrying.verify()
        #expect(summaries.map(\.id) == [4])
    }

    @Test func malformedGreetingIsMalformed() async throws {
        var imap = IMAPScript()
        imap.server("220 smtp.example.it ESMTP")  // an SMTP server on the IMAP port
        let connector = ScriptedConnector(imap.steps)

        let error = await #expect(throws: PECError.self) {
            try await Orchestration.mailbox(connector).list(ListRequest())
        }

        connector.verify()
        #expect(error?.kind == .malformed)
        #expect(error?.hint?.contains("IMAP server") == true)
    }

    @Test func unreadableResponseIsMalformed() async throws {
        var imap = MailboxOrchestrationTests.examined(1)
        imap.client("\(imap.takeTag()) UID SEARCH 1:1")
        imap.server("* SEARCH 1 (((\u{01}")
        let connector = ScriptedConnector(imap.steps)

        let error = await #expect(throws: PECError.self) {
            try await Orchestration.mailbox(connector).list(ListRequest())
        }

        #expect(error?.kind == .malformed)
    }

    @Test func silentServerTimesOut() async throws {
        var imap = IMAPScript()
        imap.greeting()
        imap.login()
        imap.client("\(imap.takeTag()) EXAMINE INBOX")
        imap.step(.stall)
        let connector = ScriptedConnector(imap.steps)

        let error = await #expect(throws: PECError.self) {
            try await Orchestration.mailbox(connector).list(ListRequest())
        }

        connector.verify()
        #expect(error?.kind == .timeout)
    }

    @Test("the SMTP server answers garbage: malformed, and the send is failed, not uncertain")
    func malformedSMTPReply() async throws {
        var smtp = SMTPScript()
        smtp.server("220 smtp.pec.sandbox ESMTP ready")
        smtp.client("EHLO localhost")
        smtp.server("* OK this is IMAP")
        let ledgerFiles = try LedgerSandbox()
        let ledger = try ledgerFiles.open()
        let endpoint = ServerEndpoint(host: "scripted.invalid", port: 465, security: .implicitTLS)
        let connector = ScriptedConnector([.close], smtp.steps)
        var service = SendService(
            account: Account(address: SMTPScript.username, imap: endpoint, smtp: endpoint),
            password: SMTPScript.password,
            ledger: ledger,
            retry: RetryPolicy(maxRetries: 0)
        )
        service.settings.connector = connector
        service.imapSettings.connector = connector
        let prepared = try service.prepare(
            SendRequest(
                draft: OutgoingMessage(from: SMTPScript.username, to: ["anna@pec.sandbox"], subject: "s", body: "b")
            )
        )

        let result = try await service.send(prepared)

        connector.verify()
        #expect(result.status == .failed)
        #expect(result.error?.kind == .malformed)
    }

    @Test("a script that the client does not follow fails at once with what differed")
    func scriptMismatchIsReported() async throws {
        var imap = IMAPScript()
        imap.greeting()
        imap.client("P1 LOGIN nobody nothing")
        let stream = ScriptedStream(imap.steps)
        let connector = ScriptedConnector([stream])

        await #expect(throws: ScriptMismatch.self) {
            try await Orchestration.mailbox(connector).list(ListRequest())
        }

        #expect(stream.mismatches.count == 1)
        #expect(stream.mismatches.first?.contains("P1 LOGIN nobody nothing") == true)
    }
}
