/// A pure, resumable SMTP reply parser: append bytes as they arrive, then call ``next()`` until it
/// returns `nil` (it needs more bytes). Any chunking of the same bytes, byte by byte included, gives
/// the same replies.
///
/// It works on bytes only (never `Character`, which would fold "\r\n" into one), accepts bare LF
/// line ends, and stops with a ``SMTPReplyParserError`` on a line or reply past its ``Limits`` or on
/// bytes that are not a reply; the error is sticky.
///
/// ### Example
///     var parser = SMTPReplyParser()
///     parser.append(Array("250-smtp.example.it\r\n250 SIZE 1000\r\n".utf8))
///     while let reply = try parser.next() { … }   // SMTPReply(code: 250, lines: ["smtp.example.it", "SIZE 1000"])
package struct SMTPReplyParser: Sendable {
    /// Limits against hostile or broken servers.
    package struct Limits: Sendable, Hashable {
        /// Maximum bytes of one line, its line end not counted (RFC 5321 §4.5.3.1.5 asks for 512).
        package var maximumLineLength: Int
        /// Maximum lines of one multi-line reply.
        package var maximumLinesPerReply: Int

        package init(maximumLineLength: Int = 4096, maximumLinesPerReply: Int = 256) {
            self.maximumLineLength = max(3, maximumLineLength)
            self.maximumLinesPerReply = max(1, maximumLinesPerReply)
        }
    }

    package let limits: Limits
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Where the search for the next line feed resumes, so byte-by-byte input stays linear.
    private var scanIndex = 0
    /// The lines of a multi-line reply read so far.
    private var pendingCode: Int?
    private var pendingLines: [[UInt8]] = []
    private var failure: SMTPReplyParserError?

    package init(limits: Limits = .init()) {
        self.limits = limits
    }

    package mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// Bytes received but not yet part of a returned reply or of a pending line.
    package var unconsumedByteCount: Int { buffer.count - readIndex }

    /// The next complete reply; `nil` when more bytes are needed.
    ///
    /// - Throws: ``SMTPReplyParserError`` on a line that is not a reply line, or past a limit.
    package mutating func next() throws(SMTPReplyParserError) -> SMTPReply? {
        if let failure { throw failure }
        // Bounded: every turn consumes one line of the buffer.
        while let line = nextLine() {
            let parsed: ReplyLine
            do {
                parsed = try Self.parseReplyLine(line)
            } catch {
                throw fail(error, line: line)
            }
            if let pendingCode, pendingCode != parsed.code {
                throw fail(
                    SMTPReplyParserError(
                        kind: .inconsistentCode,
                        hint: "a multi-line reply changed its code from \(pendingCode) to \(parsed.code)"
                    ),
                    line: line
                )
            }
            pendingCode = parsed.code
            pendingLines.append(parsed.text)
            if parsed.isLast {
                let reply = Self.makeReply(code: parsed.code, lines: pendingLines)
                pendingCode = nil
                pendingLines = []
                compact()
                return reply
            }
            guard pendingLines.count < limits.maximumLinesPerReply else {
                throw fail(
                    SMTPReplyParserError(
                        kind: .tooManyLines,
                        hint: "a reply went on past \(limits.maximumLinesPerReply) lines"
                    ),
                    line: line
                )
            }
        }
        if let failure { throw failure }
        return nil
    }

    /// The next complete line without its line end (CRLF or bare LF), or nil; checks the length
    /// limit on complete lines and on a line still arriving.
    private mutating func nextLine() -> [UInt8]? {
        guard failure == nil else { return nil }
        let start = max(scanIndex, readIndex)
        guard let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) else {
            scanIndex = buffer.count
            // A pending CR may still turn out to be part of the line end.
            if buffer.count - readIndex > limits.maximumLineLength + 1 {
                _ = fail(lineTooLong(), line: Array(buffer[readIndex...]))
            }
            return nil
        }
        var end = newline
        if end > readIndex, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let line = Array(buffer[readIndex..<end])
        readIndex = newline + 1
        scanIndex = readIndex
        guard line.count <= limits.maximumLineLength else {
            _ = fail(lineTooLong(), line: line)
            return nil
        }
        return line
    }

    private func lineTooLong() -> SMTPReplyParserError {
        SMTPReplyParserError(
            kind: .lineTooLong,
            hint: "a reply line is longer than \(limits.maximumLineLength) bytes"
        )
    }

    struct ReplyLine {
        var code: Int
        var isLast: Bool
        var text: [UInt8]
    }

    // Reply-line = *( Reply-code "-" [ textstring ] CRLF )
    //              Reply-code [ SP textstring ] CRLF
    // Reply-code = %x32-35 %x30-35 %x30-39
    // textstring = 1*(%d09 / %d32-126)   ; HT, SP, Printable US-ASCII
    //
    // Tolerated: any digit in the second position, 8-bit text (SMTPUTF8 servers, localized
    // messages) and control bytes in the text; a bare code ("250") is a last line.
    static func parseReplyLine(_ line: [UInt8]) throws(SMTPReplyParserError) -> ReplyLine {
        guard line.count >= 3 else {
            throw SMTPReplyParserError(kind: .malformedLine, hint: "a reply line is shorter than its code")
        }
        let digits = line[0..<3]
        guard digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(line[0])
        else {
            throw SMTPReplyParserError(kind: .malformedLine, hint: "a reply line does not start with a reply code")
        }
        let code = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard line.count > 3 else { return ReplyLine(code: code, isLast: true, text: []) }
        switch line[3] {
        case UInt8(ascii: "-"):
            return ReplyLine(code: code, isLast: false, text: Array(line[4...]))
        case UInt8(ascii: " "):
            return ReplyLine(code: code, isLast: true, text: Array(line[4...]))
        default:
            throw SMTPReplyParserError(
                kind: .malformedLine,
                hint: "a reply code is followed by neither a space nor a hyphen"
            )
        }
    }

    /// The enhanced code is split out only when the first line has one of the reply's own class
    /// (RFC 2034 §4: every line then carries it), so a text such as "1.2.3 is not an enhanced
    /// code" after a 250 stays text.
    static func makeReply(code: Int, lines: [[UInt8]]) -> SMTPReply {
        guard let first = lines.first, let enhanced = parseEnhancedStatusCode(first[...])?.code,
            enhanced.statusClass == code / 100
        else {
            return SMTPReply(code: code, lines: lines.map(decode))
        }
        let texts = lines.map { line in
            if let rest = parseEnhancedStatusCode(line[...])?.rest { return decode(Array(rest)) }
            return decode(line)
        }
        return SMTPReply(code: code, enhancedCode: enhanced, lines: texts)
    }

    // status-code = class "." subject "." detail      ; RFC 3463 §2
    // class       = "2" / "4" / "5"
    // subject     = "0" / ("1"-"9" *2digit)
    // detail      = "0" / ("1"-"9" *2digit)
    //
    // followed by SP or the end of the line; returns the code and the text after that SP.
    // Leading zeros ("2.01.0") are tolerated.
    static func parseEnhancedStatusCode(_ text: ArraySlice<UInt8>) -> (
        code: SMTPEnhancedStatusCode, rest: ArraySlice<UInt8>
    )? {
        var index = text.startIndex
        func number(maximumDigits: Int) -> Int? {
            var value = 0
            var count = 0
            while index < text.endIndex, count < maximumDigits,
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[index])
            {
                value = value * 10 + Int(text[index] - UInt8(ascii: "0"))
                index += 1
                count += 1
            }
            return count == 0 ? nil : value
        }
        func dot() -> Bool {
            guard index < text.endIndex, text[index] == UInt8(ascii: ".") else { return false }
            index += 1
            return true
        }
        guard let statusClass = number(maximumDigits: 1), [2, 4, 5].contains(statusClass), dot(),
            let subject = number(maximumDigits: 3), dot(),
            let detail = number(maximumDigits: 3)
        else { return nil }
        let code = SMTPEnhancedStatusCode(statusClass: statusClass, subject: subject, detail: detail)
        if index == text.endIndex { return (code, text[index...]) }
        guard text[index] == UInt8(ascii: " ") else { return nil }
        return (code, text[(index + 1)...])
    }

    private static func decode(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Drops consumed bytes: all of them when everything was read, else when they are the larger half.
    private mutating func compact() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
            readIndex = 0
            scanIndex = 0
        } else if readIndex >= 4096 && readIndex * 2 >= buffer.count {
            buffer.removeFirst(readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
    }

    private mutating func fail(_ error: SMTPReplyParserError, line: [UInt8]) -> SMTPReplyParserError {
        var error = error
        error.excerpt = Self.excerpt(line)
        failure = error
        pendingLines = []
        return error
    }

    /// Up to 80 bytes of the offending line, printable ASCII only.
    static func excerpt(_ line: [UInt8]) -> String {
        var text = ""
        for byte in line.prefix(80) {
            switch byte {
            case 0x20...0x7E: text.append(Character(Unicode.Scalar(byte)))
            case UInt8(ascii: "\r"): text.append("\\r")
            default: text.append("\u{00B7}")
            }
        }
        if line.count > 80 { text.append("…") }
        return text
    }
}

/// Why ``SMTPReplyParser`` stopped: the server sent something that is not an SMTP reply, or a
/// reply past the parser's limits.
package struct SMTPReplyParserError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        /// A line that does not start with a reply code followed by SP, "-" or the line end.
        case malformedLine
        /// The lines of one multi-line reply have different codes.
        case inconsistentCode
        case lineTooLong
        case tooManyLines
    }

    package var kind: Kind
    package var hint: String
    /// The start of the offending line, printable ASCII only.
    package var excerpt: String = ""

    package init(kind: Kind, hint: String) {
        self.kind = kind
        self.hint = hint
    }

    package var description: String { excerpt.isEmpty ? hint : "\(hint): \"\(excerpt)\"" }
}
