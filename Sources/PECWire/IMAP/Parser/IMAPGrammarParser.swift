extension IMAP {
    /// The IMAP grammar, one function per ABNF rule (RFC 3501 §9, RFC 9051 §9 and extensions), split by area
    /// into `GrammarParser+*.swift`. Functions take `(inout ParseBuffer, StackTracker)` and either consume their
    /// production or throw (``ParserError`` for a mismatch, ``IncompleteMessage`` when bytes are missing).
    enum GrammarParser {}
}

// MARK: - Lexical rules

extension IMAP.GrammarParser {
    typealias ParseBuffer = IMAP.ParseBuffer
    typealias StackTracker = IMAP.StackTracker
    typealias ParserError = IMAP.ParserError
    typealias PL = IMAP.ParserLibrary

    static let space = UInt8(ascii: " ")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let openParen = UInt8(ascii: "(")
    static let closeParen = UInt8(ascii: ")")
    static let openBrace = UInt8(ascii: "{")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")

    // ATOM-CHAR = <any CHAR except atom-specials>
    // atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
    static func isAtomChar(_ byte: UInt8) -> Bool {
        guard byte > 0x20 && byte < 0x7F else { return false }
        switch byte {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "*"),
            UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "]"):
            return false
        default:
            return true
        }
    }

    // ASTRING-CHAR = ATOM-CHAR / resp-specials
    static func isAStringChar(_ byte: UInt8) -> Bool {
        isAtomChar(byte) || byte == closeBracket
    }

    // TEXT-CHAR = <any CHAR except CR and LF>  — tolerance: 8-bit bytes (raw UTF-8) are accepted too.
    static func isTextChar(_ byte: UInt8) -> Bool {
        byte != cr && byte != lf && byte != 0
    }

    // atom = 1*ATOM-CHAR
    static func parseAtom(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> String {
        let bytes = try PL.parseBytes(&buffer, hint: "expected an atom", where: isAtomChar)
        return String(decoding: bytes, as: UTF8.self)
    }

    // nil = "NIL"
    static func parseNil(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws {
        try PL.parseFixedString("NIL", &buffer)
        // "NIL" must not be the start of a longer atom ("NILS").
        if buffer.index < buffer.endIndex, isAStringChar(buffer.bytes[buffer.index]) {
            buffer.index -= 3
            throw PL.syntaxError("expected NIL")
        }
        if buffer.index == buffer.endIndex {
            buffer.index -= 3
            throw IMAP.IncompleteMessage()
        }
    }

    // quoted = DQUOTE *QUOTED-CHAR DQUOTE
    // QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> / "\" quoted-specials / UTF8-2 / UTF8-3 / UTF8-4
    // Tolerance: a backslash before any other character stands for that character.
    static func parseQuoted(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> [UInt8] {
        try PL.composite(&buffer, tracker) { buffer, _ in
            try PL.parseByte(quote, &buffer)
            var result: [UInt8] = []
            while true {
                let byte = try buffer.readByte()
                switch byte {
                case quote:
                    return result
                case backslash:
                    let escaped = try buffer.readByte()
                    guard isTextChar(escaped) else { throw PL.syntaxError("bad escape in quoted string") }
                    result.append(escaped)
                case cr, lf, 0:
                    throw PL.syntaxError("unterminated quoted string")
                default:
                    result.append(byte)
                }
            }
        }
    }

    // literal = "{" number64 ["+"] "}" CRLF *CHAR8      (RFC 9051; "+" is RFC 7888 LITERAL+)
    // literal8 = "~{" number64 "}" CRLF *OCTET           (RFC 3516 BINARY)
    /// The literal header only (through CRLF): its announced size.
    static func parseLiteralHeader(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> Int {
        try PL.composite(&buffer, tracker) { buffer, _ in
            _ = try PL.consumeIf(UInt8(ascii: "~"), &buffer)
            try PL.parseByte(openBrace, &buffer)
            let size = try PL.parseNumber64(&buffer)
            _ = try PL.consumeIf(UInt8(ascii: "+"), &buffer)
            try PL.parseByte(UInt8(ascii: "}"), &buffer)
            try PL.parseNewline(&buffer)
            return size
        }
    }

    // literal = "{" number64 ["+"] "}" CRLF *CHAR8   (the header above, then the bytes)
    /// A whole (non-streamed) literal, limited to ``IMAP/ResponseParser/Options/literalSizeLimit``.
    static func parseLiteral(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> [UInt8] {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            let size = try parseLiteralHeader(&buffer, tracker)
            guard size <= buffer.options.literalSizeLimit else {
                throw ParserError(
                    kind: .literalSizeLimitExceeded,
                    hint: "literal of \(size) bytes exceeds the limit of \(buffer.options.literalSizeLimit)"
                )
            }
            return Array(try buffer.readBytes(size))
        }
    }

    // string = quoted / literal
    static func parseString(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> [UInt8] {
        switch try buffer.peek() {
        case quote: return try parseQuoted(&buffer, tracker)
        case openBrace, UInt8(ascii: "~"): return try parseLiteral(&buffer, tracker)
        default: throw PL.syntaxError("expected a string")
        }
    }

    // nstring = string / nil
    static func parseNString(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> [UInt8]? {
        switch try buffer.peek() {
        case quote, openBrace, UInt8(ascii: "~"): return try parseString(&buffer, tracker)
        default:
            try parseNil(&buffer, tracker)
            return nil
        }
    }

    // astring = 1*ASTRING-CHAR / string
    static func parseAString(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> [UInt8] {
        switch try buffer.peek() {
        case quote, openBrace, UInt8(ascii: "~"): return try parseString(&buffer, tracker)
        default: return Array(try PL.parseBytes(&buffer, hint: "expected an astring", where: isAStringChar))
        }
    }

    // text = 1*TEXT-CHAR  — tolerance: may be empty (servers send "a1 OK\r\n" or "* OK [READ-WRITE]\r\n").
    static func parseText(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> String {
        let bytes = try PL.parseBytes(&buffer, minLength: 0, hint: "expected text", where: isTextChar)
        return String(decoding: bytes, as: UTF8.self)
    }

    // tag = 1*<any ASTRING-CHAR except "+">
    static func parseTag(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> String {
        let bytes = try PL.parseBytes(&buffer, hint: "expected a tag") { isAStringChar($0) && $0 != UInt8(ascii: "+") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Runs `item` for the items of a parenthesized list: "(" [item *(SP item)] ")".
    /// Tolerance: spaces are optional between items (address and body lists have none: `"(" 1*address ")"`),
    /// and extra spaces after "(" and before ")" are accepted.
    static func parseParenthesizedList<T>(
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker,
        allowEmpty: Bool = true,
        _ item: PL.SubParser<T>
    ) throws -> [T] {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            try PL.parseByte(openParen, &buffer)
            var result: [T] = []
            while true {
                PL.skipSpaces(&buffer)
                if try buffer.peek() == closeParen {
                    buffer.index += 1
                    break
                }
                result.append(try item(&buffer, tracker))
            }
            guard allowEmpty || !result.isEmpty else { throw PL.syntaxError("expected a non-empty list") }
            return result
        }
    }

    /// Any value, for skipping what this parser does not model (unknown FETCH items, body extensions,
    /// tagged-ext values): a nested parenthesized list, a string, or a run of atom-like bytes (brackets and
    /// wildcards included). Returns the raw bytes it covered.
    // body-extension = nstring / number / "(" body-extension *(SP body-extension) ")"
    // tagged-ext-val = tagged-ext-simple / "(" [tagged-ext-comp] ")"
    static func parseGenericValue(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> ArraySlice<UInt8> {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            let start = buffer.index
            switch try buffer.peek() {
            case openParen:
                var tracker = tracker
                try tracker.newStackFrame()
                _ = try parseParenthesizedList(&buffer, tracker) { buffer, tracker in
                    try parseGenericValue(&buffer, tracker)
                }
            case quote, openBrace, UInt8(ascii: "~"):
                _ = try parseString(&buffer, tracker)
            default:
                _ = try PL.parseBytes(&buffer, hint: "expected a value") { byte in
                    byte > 0x20 && byte != openParen && byte != closeParen && byte != quote && byte != 0x7F
                }
            }
            return buffer.bytes[start..<buffer.index]
        }
    }
}
