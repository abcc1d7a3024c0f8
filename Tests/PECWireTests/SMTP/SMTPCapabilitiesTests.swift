import Testing

@testable import PECWire

@Suite("SMTP capabilities")
struct SMTPCapabilitiesTests {
    func capabilities(_ lines: String...) -> SMTPCapabilities {
        SMTPCapabilities(ehloReply: SMTPReply(code: 250, lines: ["smtp.example.it greets you"] + lines))
    }

    @Test("the sandbox's EHLO")
    func sandbox() throws {
        var parser = SMTPReplyParser()
        parser.append(
            smtpBytes(
                "250-smtp.pec.sandbox\r\n250-SIZE 31457280\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
                    + "250-AUTH LOGIN PLAIN\r\n250 HELP\r\n"
            )
        )
        let reply = try #require(try parser.next())
        let offered = SMTPCapabilities(ehloReply: reply)
        #expect(offered.maximumSize == 31_457_280)
        #expect(offered.offersSize && offered.offers8BitMIME && offered.offersSMTPUTF8)
        #expect(offered.authMechanisms == ["PLAIN", "LOGIN"])
        #expect(!offered.offersStartTLS && !offered.offersPipelining && !offered.offersEnhancedStatusCodes)
        #expect(offered.keywords == ["SIZE", "8BITMIME", "SMTPUTF8", "AUTH", "HELP"])
    }

    @Test("keywords are case-insensitive; the greeting line is not a keyword")
    func caseInsensitive() {
        let offered = capabilities("starttls", "Pipelining", "enhancedStatusCodes", "auth plain", "8bitmime")
        #expect(offered.offersStartTLS && offered.offersPipelining && offered.offersEnhancedStatusCodes)
        #expect(offered.offers8BitMIME)
        #expect(offered.authMechanisms == ["PLAIN"])
        #expect(!offered.offers("SMTP.EXAMPLE.IT"))
    }

    @Test("SIZE with a limit, without, 0, or unreadable")
    func size() {
        #expect(capabilities("SIZE 1000").maximumSize == 1000)
        #expect(capabilities("SIZE").maximumSize == nil)
        #expect(capabilities("SIZE").offersSize)
        #expect(capabilities("SIZE 0").maximumSize == nil)
        #expect(capabilities("SIZE lots").maximumSize == nil)
        #expect(capabilities("SIZE 99999999999999999999999").maximumSize == nil)
        #expect(capabilities("SIZE -5").maximumSize == nil)
        #expect(!capabilities("8BITMIME").offersSize)
    }

    @Test("AUTH in both forms, tabs between parameters")
    func auth() {
        #expect(capabilities("AUTH=LOGIN PLAIN").authMechanisms == ["LOGIN", "PLAIN"])
        #expect(capabilities("AUTH\tCRAM-MD5\tlogin", "AUTH=PLAIN").authMechanisms == ["CRAM-MD5", "LOGIN", "PLAIN"])
        #expect(capabilities("AUTH").authMechanisms.isEmpty)
    }

    @Test("a one-line EHLO reply offers nothing")
    func nothing() {
        let offered = SMTPCapabilities(ehloReply: SMTPReply(code: 250, lines: ["smtp.example.it"]))
        #expect(offered.keywords.isEmpty && offered.maximumSize == nil)
    }
}
