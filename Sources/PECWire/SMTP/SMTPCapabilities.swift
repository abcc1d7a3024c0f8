/// What a server offers, from its answer to EHLO (RFC 5321 §4.1.1.1): one extension per line
/// after the first, a keyword and maybe parameters. Keywords are compared case-insensitively.
///
/// ### Example
///     S: 250-smtp.example.it
///     S: 250-SIZE 31457280
///     S: 250-AUTH PLAIN LOGIN
///     S: 250 8BITMIME
/// offers SIZE with a 30 MiB limit, AUTH PLAIN and LOGIN, and 8BITMIME.
package struct SMTPCapabilities: Sendable, Hashable {
    /// Every keyword offered, uppercased (`SIZE`, `AUTH`, `X-FOO` …).
    package var keywords: Set<String> = []
    /// SASL mechanisms after AUTH (or the old `AUTH=` form), uppercased.
    package var authMechanisms: Set<String> = []
    /// The largest message the server accepts, in bytes; nil when SIZE is not offered or names no
    /// limit (`SIZE` alone, or `SIZE 0`, RFC 1870 §4).
    package var maximumSize: Int?

    package init() {}

    // ehlo-ok-rsp = ( "250" SP Domain [ SP ehlo-greet ] CRLF )
    //             / ( "250-" Domain [ SP ehlo-greet ] CRLF
    //                 *( "250-" ehlo-line CRLF )
    //                 "250" SP ehlo-line CRLF )
    // ehlo-line    = ehlo-keyword *( SP ehlo-param )
    // ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    // ehlo-param   = 1*(%d33-126)
    //
    // Also read: `AUTH=PLAIN LOGIN` (old Microsoft servers) and tabs between parameters.
    package init(ehloReply reply: SMTPReply) {
        for line in reply.lines.dropFirst() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard var keyword = words.first?.uppercased() else { continue }
            var parameters = Array(words.dropFirst())
            if keyword.hasPrefix("AUTH=") {
                parameters.insert(String(keyword.dropFirst(5)), at: 0)
                keyword = "AUTH"
            }
            keywords.insert(keyword)
            switch keyword {
            case "AUTH":
                authMechanisms.formUnion(parameters.map { $0.uppercased() })
            case "SIZE":
                // A number too large for Int is no practical limit either.
                if let first = parameters.first, first.count <= 18, let limit = Int(first), limit > 0 {
                    maximumSize = limit
                }
            default:
                break
            }
        }
    }

    package func offers(_ keyword: String) -> Bool { keywords.contains(keyword.uppercased()) }

    package var offersSize: Bool { offers("SIZE") }
    package var offers8BitMIME: Bool { offers("8BITMIME") }
    package var offersSMTPUTF8: Bool { offers("SMTPUTF8") }
    package var offersStartTLS: Bool { offers("STARTTLS") }
    package var offersPipelining: Bool { offers("PIPELINING") }
    package var offersEnhancedStatusCodes: Bool { offers("ENHANCEDSTATUSCODES") }
}
