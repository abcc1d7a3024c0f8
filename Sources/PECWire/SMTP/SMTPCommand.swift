import Foundation

/// The SMTP commands `pec` sends (RFC 5321 §4.1, AUTH from RFC 4954).
package enum SMTPCommand: Sendable, Hashable {
    case ehlo(clientName: String)
    case helo(clientName: String)
    case startTLS
    /// AUTH PLAIN with its initial response (RFC 4616): base64 of NUL user NUL password.
    case authPlain(user: String, password: String)
    /// AUTH LOGIN, answered by 334 prompts for the user name, then the password.
    case authLogin
    /// One answer (user name or password) in the AUTH LOGIN dialog; sent base64-encoded.
    case authLoginResponse(String)
    case mailFrom(String, SMTPMailParameters)
    case rcptTo(String)
    case data
    case rset
    case quit

    /// The command name, for messages.
    package var name: String {
        switch self {
        case .ehlo: "EHLO"
        case .helo: "HELO"
        case .startTLS: "STARTTLS"
        case .authPlain, .authLogin, .authLoginResponse: "AUTH"
        case .mailFrom: "MAIL FROM"
        case .rcptTo: "RCPT TO"
        case .data: "DATA"
        case .rset: "RSET"
        case .quit: "QUIT"
        }
    }
}

/// The MAIL FROM parameters `pec` may ask for.
package struct SMTPMailParameters: Sendable, Hashable {
    /// `SIZE=n` (RFC 1870), sent only when the server offers SIZE.
    package var size: Int?
    /// `BODY=8BITMIME` (RFC 6152): the content has 8-bit bytes.
    package var eightBitMIME = false
    /// `SMTPUTF8` (RFC 6531): addresses or headers in UTF-8.
    package var smtpUTF8 = false

    package init(size: Int? = nil, eightBitMIME: Bool = false, smtpUTF8: Bool = false) {
        self.size = size
        self.eightBitMIME = eightBitMIME
        self.smtpUTF8 = smtpUTF8
    }
}

/// A command ready for the wire, and how it may be logged (credentials replaced by `***`).
package struct SMTPEncodedCommand: Sendable, Hashable {
    package var bytes: [UInt8]
    package var redactedDescription: String
}

/// Input that must not go into an SMTP command: an address or name that could end the command
/// early and start another (CR, LF), or that the server cannot take.
package struct SMTPCommandError: Error, Sendable, Hashable, CustomStringConvertible {
    package var hint: String
    package var description: String { hint }
}

/// Turns ``SMTPCommand``s into bytes, refusing anything that could inject a command or that the
/// server's ``SMTPCapabilities`` do not allow.
package struct SMTPCommandEncoder: Sendable {
    package var capabilities: SMTPCapabilities

    package init(capabilities: SMTPCapabilities) {
        self.capabilities = capabilities
    }

    package func encode(_ command: SMTPCommand) throws(SMTPCommandError) -> SMTPEncodedCommand {
        switch command {
        // ehlo = "EHLO" SP ( Domain / address-literal ) CRLF
        case .ehlo(let clientName):
            try Self.checkClientName(clientName)
            return plain("EHLO \(clientName)")
        // helo = "HELO" SP Domain CRLF
        case .helo(let clientName):
            try Self.checkClientName(clientName)
            return plain("HELO \(clientName)")
        case .startTLS:
            return plain("STARTTLS")
        // auth-command = "AUTH" SP sasl-mech [SP initial-response] CRLF     ; RFC 4954 §4
        // message      = [authzid] UTF8NUL authcid UTF8NUL passwd          ; RFC 4616 §2
        case .authPlain(let user, let password):
            guard !user.utf8.contains(0), !password.utf8.contains(0) else {
                throw SMTPCommandError(hint: "a credential contains a NUL byte")
            }
            let response = Data([0] + Array(user.utf8) + [0] + Array(password.utf8)).base64EncodedString()
            return SMTPEncodedCommand(
                bytes: Array("AUTH PLAIN \(response)\r\n".utf8),
                redactedDescription: "AUTH PLAIN ***"
            )
        case .authLogin:
            return plain("AUTH LOGIN")
        case .authLoginResponse(let secret):
            let response = Data(secret.utf8).base64EncodedString()
            return SMTPEncodedCommand(bytes: Array("\(response)\r\n".utf8), redactedDescription: "***")
        // mail            = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF
        // Mail-parameters = esmtp-param *(SP esmtp-param)
        case .mailFrom(let address, let parameters):
            try checkAddress(address, role: "sender")
            var line = "MAIL FROM:<\(address)>"
            if let size = parameters.size, size >= 0, capabilities.offersSize {
                line += " SIZE=\(size)"
            }
            if parameters.eightBitMIME {
                guard capabilities.offers8BitMIME else {
                    throw SMTPCommandError(hint: "the message has 8-bit content and the server does not offer 8BITMIME")
                }
                line += " BODY=8BITMIME"
            }
            if parameters.smtpUTF8 {
                guard capabilities.offersSMTPUTF8 else {
                    throw SMTPCommandError(hint: "the message needs SMTPUTF8 and the server does not offer it")
                }
                line += " SMTPUTF8"
            }
            return plain(line)
        // rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path ) [SP Rcpt-parameters] CRLF
        case .rcptTo(let address):
            try checkAddress(address, role: "recipient")
            return plain("RCPT TO:<\(address)>")
        case .data:
            return plain("DATA")
        case .rset:
            return plain("RSET")
        case .quit:
            return plain("QUIT")
        }
    }

    private func plain(_ line: String) -> SMTPEncodedCommand {
        SMTPEncodedCommand(bytes: Array((line + "\r\n").utf8), redactedDescription: line)
    }

    /// Refuses what could end the command early (CR, LF, NUL and other controls), close the path
    /// (`<`, `>`) or add parameters (spaces); non-ASCII only goes to a server that offers SMTPUTF8.
    /// A guard of the wire alone: which addresses may be used at all is ``PECAddress``'s rule.
    package func checkAddress(_ address: String, role: String) throws(SMTPCommandError) {
        let bytes = Array(address.utf8)
        let shown = Self.visible(address)
        guard !bytes.isEmpty else { throw SMTPCommandError(hint: "the \(role) address is empty") }
        guard bytes.count <= PECAddress.maximumLength else {
            throw SMTPCommandError(
                hint: "the \(role) address is longer than \(PECAddress.maximumLength) bytes"
            )
        }
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw SMTPCommandError(
                hint: "the \(role) address \"\(shown)\" contains a control character (line break, NUL, tab …)"
            )
        }
        if bytes.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: " ") }) {
            throw SMTPCommandError(hint: "the \(role) address \"\(shown)\" contains \"<\", \">\" or a space")
        }
        if bytes.contains(where: { $0 >= 0x80 }), !capabilities.offersSMTPUTF8 {
            throw SMTPCommandError(
                hint: "the \(role) address \"\(shown)\" is not ASCII and the server does not offer SMTPUTF8"
            )
        }
    }

    // Domain / address-literal, loosely: printable ASCII without spaces.
    package static func checkClientName(_ name: String) throws(SMTPCommandError) {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 255, bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw SMTPCommandError(
                hint: "the client name \"\(visible(name))\" for EHLO must be a host name: printable ASCII, no spaces"
            )
        }
    }

    /// The text with control characters shown as `\r`, `\n`, `\u{…}`, so an error message cannot
    /// itself carry a line break.
    package static func visible(_ text: String) -> String {
        var shown = ""
        for scalar in text.unicodeScalars.prefix(300) {
            switch scalar {
            case "\r": shown += "\\r"
            case "\n": shown += "\\n"
            case "\t": shown += "\\t"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
                shown += "\\u{\(String(scalar.value, radix: 16))}"
            default: shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }
}
