import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

/// `send` over scripted servers: the INBOX bookmark (IMAP), then the SMTP submission, with the
/// ledger recording how it ended.
@Suite("Send over a scripted server")
struct SendOrchestrationTests {
    static let anna = "anna.bianchi@pec.sandbox"
    static let luca = "luca.verdi@pec.sandbox"

    let ledgerFiles: LedgerSandbox
    let ledger: SendLedger

    init() throws {
        ledgerFiles = try LedgerSandbox()
        ledger = try ledgerFiles.open()
    }

    func service(_ connector: ScriptedConnector) -> SendService {
        let endpoint = ServerEndpoint(host: "scripted.invalid", port: 465, security: .implicitTLS)
        let account = Account(address: SMTPScript.username, imap: endpoint, smtp: endpoint)
        var service = SendService(
            account: account,
            password: SMTPScript.password,
            passwordIsSaved: false,
            ledger: ledger,
            retry: RetryPolicy(maxRetries: 0)
        )
        service.settings.connector = connector
        service.imapSettings.connector = connector
        return service
    }

    /// The bookmark's IMAP session: STATUS INBOX.
    static func bookmark() -> [ScriptStep] {
        var imap = IMAPScript()
        imap.greeting()
        imap.login()
        imap.command(
            "STATUS INBOX (UIDVALIDITY UIDNEXT)",
            ["* STATUS INBOX (UIDVALIDITY 1700000000 UIDNEXT 41)"],
            completion: "OK Status completed."
        )
        imap.logout()
        return imap.steps
    }

    /// Up to the recipients: greeting, EHLO, AUTH, MAIL FROM.
    static func transaction() -> SMTPScript {
        var smtp = SMTPScript()
        smtp.session()
        smtp.step(.clientLine(prefix: Array("MAIL FROM:<\(SMTPScript.username)> SIZE=".utf8)))
        smtp.server("250 2.1.0 Ok")
        return smtp
    }

    func prepared(_ service: SendService) throws -> PreparedSend {
        let draft = OutgoingMessage(
            from: service.account.address,
            to: [Self.anna],
            cc: [Self.luca],
            subject: "Fattura 12",
            body: "In allegato."
        )
        return try service.prepare(SendRequest(draft: draft))
    }

    @Test func submitsToEveryRecipientAndRecordsTheBookmark() async throws {
        var smtp = Self.transaction()
        smtp.exchange("RCPT TO:<\(Self.anna)>", "250 2.1.5 Ok")
        smtp.exchange("RCPT TO:<\(Self.luca)>", "250 2.1.5 Ok")
        smtp.exchange("DATA", "354 End data with <CR><LF>.<CR><LF>")
        smtp.step(.clientData)
        smtp.server("250 2.0.0 Ok: queued as 4AB12")
        smtp.quit()
        let smtpStream = ScriptedStream(smtp.steps)
        let connector = ScriptedConnector([ScriptedStream(Self.bookmark()), smtpStream])
        let service = service(connector)
        let prepared = try prepared(service)

        let result = try await service.send(prepared)

        connector.verify()
        #expect(result.status == .sent)
        #expect(result.recipients.map(\.status) == [.accepted, .accepted])
        #expect(result.smtpReply?.contains("queued as 4AB12") == true)
        let data = String(decoding: try #require(smtpStream.data.first), as: UTF8.self)
        #expect(data.contains("Subject: Fattura 12\r\n"))
        #expect(data.contains("Message-ID: \(prepared.composed.messageID)"))
        let recorded = try #require(try ledger.send(messageID: prepared.composed.messageID))
        #expect(recorded.status == .sent)
        #expect(recorded.inboxBookmark?.uidNext == 41)
    }

    @Test("one refused recipient: nobody gets it, no DATA, the session is reset")
    func allOrNone() async throws {
        var smtp = Self.transaction()
        smtp.exchange("RCPT TO:<\(Self.anna)>", "250 2.1.5 Ok")
        smtp.exchange("RCPT TO:<\(Self.luca)>", "550 5.1.1 <luca.verdi@pec.sandbox>: Recipient address rejected")
        smtp.exchange("RSET", "250 2.0.0 Ok")
        // The bookmark's server is down: a send never fails because of it.
        let connector = ScriptedConnector([.close], smtp.steps)
        let service = service(connector)
        let prepared = try prepared(service)

        let result = try await service.send(prepared)

        connector.verify()
        #expect(result.status == .refused)
        #expect(result.recipients.first { $0.address == Self.luca }?.smtpCode == 550)
        #expect(try ledger.send(messageID: prepared.composed.messageID)?.status == .refused)
    }

    @Test("the connection drops after the end of the data: uncertain, never retried")
    func uncertainAfterData() async throws {
        var smtp = Self.transaction()
        smtp.exchange("RCPT TO:<\(Self.anna)>", "250 2.1.5 Ok")
        smtp.exchange("RCPT TO:<\(Self.luca)>", "250 2.1.5 Ok")
        smtp.exchange("DATA", "354 go ahead")
        smtp.step(.clientData)
        smtp.step(.close)
        let connector = ScriptedConnector([.close], smtp.steps)
        var service = service(connector)
        service = SendService(
            account: service.account,
            password: SMTPScript.password,
            passwordIsSaved: false,
            ledger: ledger,
            retry: RetryPolicy(maxRetries: 3, baseDelay: .milliseconds(1))
        )
        service.settings.connector = connector
        service.imapSettings.connector = connector
        let prepared = try prepared(service)

        let result = try await service.send(prepared)

        connector.verify()  // no second SMTP connection was asked for
        #expect(result.status == .uncertain)
        #expect(result.error?.remedies == [.trace(messageID: prepared.composed.messageID)])
        #expect(try ledger.send(messageID: prepared.composed.messageID)?.status == .uncertain)
    }

    @Test("a temporary refusal before DATA is retried on a new connection")
    func retriesATemporaryFailure() async throws {
        var first = Self.transaction()
        first.exchange("RCPT TO:<\(Self.anna)>", "451 4.3.0 Try again later")
        first.exchange("RCPT TO:<\(Self.luca)>", "250 2.1.5 Ok")
        first.exchange("RSET", "250 2.0.0 Ok")
        var second = Self.transaction()
        second.exchange("RCPT TO:<\(Self.anna)>", "250 2.1.5 Ok")
        second.exchange("RCPT TO:<\(Self.luca)>", "250 2.1.5 Ok")
        second.exchange("DATA", "354 go ahead")
        second.step(.clientData)
        second.server("250 2.0.0 Ok: queued")
        second.quit()
        let connector = ScriptedConnector([.close], first.steps, second.steps)
        let endpoint = ServerEndpoint(host: "scripted.invalid", port: 465, security: .implicitTLS)
        var service = SendService(
            account: Account(address: SMTPScript.username, imap: endpoint, smtp: endpoint),
            password: SMTPScript.password,
            passwordIsSaved: false,
            ledger: ledger,
            retry: RetryPolicy(maxRetries: 1, baseDelay: .milliseconds(1))
        )
        service.settings.connector = connector
        service.imapSettings.connector = connector

        let result = try await service.send(try prepared(service))

        connector.verify()
        #expect(result.status == .sent)
    }
}
