import Foundation
import Testing

@testable import PECWire

@Suite("SMTP command encoding")
struct SMTPCommandEncoderTests {
    static let everything: SMTPCapabilities = {
        var parser = SMTPReplyParser()
        parser.append(
            smtpBytes("250-x\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN LOGIN\r\n")
        )
        return (try? parser.next()).flatMap { $0 }.map(SMTPCapabilities.init(ehloReply:)) ?? SMTPCapabilities()
    }()

    func wire(_ command: SMTPCommand, _ capabilities: SMTPCapabilities = everything) throws -> String {
        String(decoding: try SMTPCommandEncoder(capabilities: capabilities).encode(command).bytes, as: UTF8.self)
    }

    @Test("commands on the wire")
    func commands() throws {
        #expect(try wire(.ehlo(clientName: "localhost")) == "EHLO localhost\r\n")
        #expect(try wire(.helo(clientName: "[127.0.0.1]")) == "HELO [127.0.0.1]\r\n")
        #expect(try wire(.startTLS) == "STARTTLS\r\n")
        #expect(try wire(.authLogin) == "AUTH LOGIN\r\n")
        #expect(try wire(.rcptTo("anna.bianchi@pec.sandbox")) == "RCPT TO:<anna.bianchi@pec.sandbox>\r\n")
        #expect(try wire(.data) == "DATA\r\n")
        #expect(try wire(.rset) == "RSET\r\n")
        #expect(try wire(.quit) == "QUIT\r\n")
    }

    @Test("MAIL FROM parameters, only those the server offers")
    func mailFrom() throws {
        let all = SMTPMailParameters(size: 512, eightBitMIME: true, smtpUTF8: true)
        #expect(try wire(.mailFrom("a@b.it", all)) == "MAIL FROM:<a@b.it> SIZE=512 BODY=8BITMIME SMTPUTF8\r\n")
        #expect(try wire(.mailFrom("a@b.it", SMTPMailParameters())) == "MAIL FROM:<a@b.it>\r\n")
        // No SIZE offered: the size is simply not announced.
        #expect(
            try wire(.mailFrom("a@b.it", SMTPMailParameters(size: 5)), SMTPCapabilities()) == "MAIL FROM:<a@b.it>\r\n"
        )
        #expect(throws: SMTPCommandError.self) {
            try wire(.mailFrom("a@b.it", SMTPMailParameters(eightBitMIME: true)), SMTPCapabilities())
        }
        #expect(throws: SMTPCommandError.self) {
            try wire(.mailFrom("a@b.it", SMTPMailParameters(smtpUTF8: true)), SMTPCapabilities())
        }
    }

    @Test("AUTH PLAIN carries base64 of NUL user NUL password, and is logged without it")
    func authPlain() throws {
        let encoded = try SMTPCommandEncoder(capabilities: Self.everything)
            .encode(.authPlain(user: "mario.rossi@pec.sandbox", password: "s3gr3to"))
        let text = String(decoding: encoded.bytes, as: UTF8.self)
        #expect(text == "AUTH PLAIN AG1hcmlvLnJvc3NpQHBlYy5zYW5kYm94AHMzZ3IzdG8=\r\n")
        #expect(encoded.redactedDescription == "AUTH PLAIN ***")
        #expect(!encoded.redactedDescription.contains("s3gr3to"))
        #expect(throws: SMTPCommandError.self) {
            try wire(.authPlain(user: "a\u{0}b", password: "x"))
        }
    }

    @Test("AUTH LOGIN answers are base64 and redacted")
    func authLogin() throws {
        let encoded = try SMTPCommandEncoder(capabilities: Self.everything).encode(.authLoginResponse("pass\r\nQUIT"))
        #expect(
            String(decoding: encoded.bytes, as: UTF8.self) == Data("pass\r\nQUIT".utf8).base64EncodedString() + "\r\n"
        )
        #expect(encoded.redactedDescription == "***")
    }

    static let injections = [
        "a@b.it\r\nRCPT TO:<evil@x.it>", "a@b.it\nDATA", "a@b.it\rRSET", "a\u{0}@b.it", "a@b.it> SIZE=1",
        "<a@b.it", "a b@c.it", "a@b.it\t", "", String(repeating: "a", count: 250) + "@b.it", "a\u{7F}@b.it",
    ]

    @Test("addresses that could inject a command are refused", arguments: injections)
    func injection(_ address: String) {
        for command in [SMTPCommand.rcptTo(address), .mailFrom(address, SMTPMailParameters())] {
            #expect(throws: SMTPCommandError.self) { try wire(command) }
        }
    }

    @Test("the error message shows control characters instead of obeying them")
    func visibleError() {
        do {
            _ = try wire(.rcptTo("a@b.it\r\nDATA"))
            Issue.record("accepted")
        } catch {
            #expect(!"\(error)".contains("\r") && !"\(error)".contains("\n"))
            #expect("\(error)".contains("a@b.it\\r\\nDATA"))
        }
    }

    @Test("non-ASCII addresses only to a server that offers SMTPUTF8")
    func nonASCII() throws {
        #expect(try wire(.rcptTo("niccolò@pec.it")) == "RCPT TO:<niccolò@pec.it>\r\n")
        #expect(throws: SMTPCommandError.self) { try wire(.rcptTo("niccolò@pec.it"), SMTPCapabilities()) }
    }

    @Test("EHLO names that are not host names are refused", arguments: ["", "a b", "x\r\nRSET", "é.it"])
    func clientNames(_ name: String) {
        #expect(throws: SMTPCommandError.self) { try wire(.ehlo(clientName: name)) }
        #expect(throws: SMTPCommandError.self) { try wire(.helo(clientName: name)) }
    }
}
