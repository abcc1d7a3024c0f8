extension IMAP.GrammarParser {
    /// One step inside `* n FETCH ( ... )`.
    enum FetchStep: Hashable {
        case attribute(IMAP.FetchAttribute)
        /// A body section sent as a literal: the header is consumed, `byteCount` payload bytes follow.
        case streamingLiteral(section: IMAP.SectionSpecifier, origin: Int?, byteCount: Int)
        /// A body section sent as a quoted string (small by nature: it fits in a line).
        case quotedBody(section: IMAP.SectionSpecifier, origin: Int?, bytes: [UInt8])
        /// The closing ")" and CRLF.
        case finish
    }

    // msg-att = "(" (msg-att-dynamic / msg-att-static) *(SP (msg-att-dynamic / msg-att-static)) ")"
    /// After `* n FETCH (`: the next attribute, or the end of the response.
    /// Tolerance: extra or missing spaces between attributes, an empty list "()".
    static func parseFetchStep(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> FetchStep {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            PL.skipSpaces(&buffer)
            if try buffer.peek() == closeParen {
                buffer.index += 1
                PL.skipSpaces(&buffer)
                try PL.parseNewline(&buffer)
                return .finish
            }
            return try parseFetchAttribute(&buffer, tracker)
        }
    }

    // msg-att-dynamic = "FLAGS" SP "(" [flag-fetch *(SP flag-fetch)] ")"
    // msg-att-static = "ENVELOPE" SP envelope / "INTERNALDATE" SP date-time / "RFC822" [".HEADER" / ".TEXT"] SP
    //                  nstring / "RFC822.SIZE" SP number / "BODY" ["STRUCTURE"] SP body /
    //                  "BODY" section ["<" number ">"] SP nstring / "UID" SP uniqueid /
    //                  "BINARY" section-binary SP (nstring / literal8) / "BINARY.SIZE" section-binary SP number
    // fetch-mod-resp = "MODSEQ" SP "(" permsg-modsequence ")"     (RFC 7162)
    // Tolerance: unknown items (X-GM-LABELS, SNIPPET, SAVEDATE, EMAILID…) are kept raw as `.other`.
    static func parseFetchAttribute(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> FetchStep {
        let nameBytes = try PL.parseBytes(&buffer, hint: "expected a FETCH item name") { byte in
            isAtomChar(byte) && byte != openBracket && byte != UInt8(ascii: "<")
        }
        let name = String(decoding: nameBytes, as: UTF8.self).uppercased()
        switch name {
        case "UID":
            try PL.parseSpaces(&buffer)
            // uniqueid = nz-number — tolerance: 0 is accepted (seen from broken servers), not an error.
            return .attribute(.uid(IMAP.UID(try PL.parseNumber(&buffer))))
        case "FLAGS":
            try PL.parseSpaces(&buffer)
            return .attribute(.flags(try parseFlagList(&buffer, tracker)))
        case "INTERNALDATE":
            try PL.parseSpaces(&buffer)
            return .attribute(.internalDate(try parseInternalDate(&buffer, tracker)))
        case "RFC822.SIZE":
            try PL.parseSpaces(&buffer)
            return .attribute(.rfc822Size(try PL.parseNumber64(&buffer)))
        case "ENVELOPE":
            try PL.parseSpaces(&buffer)
            return .attribute(.envelope(try parseEnvelope(&buffer, tracker)))
        case "BODYSTRUCTURE":
            try PL.parseSpaces(&buffer)
            return .attribute(.bodyStructure(try parseBody(&buffer, tracker)))
        case "BODY":
            if try buffer.peek() == openBracket {
                let section = try parseSection(&buffer, tracker)
                let origin = try parseOrigin(&buffer)
                try PL.parseSpaces(&buffer)
                return try parseStreamedBodyValue(&buffer, tracker, section: section, origin: origin)
            }
            try PL.parseSpaces(&buffer)
            return .attribute(.bodyStructure(try parseBody(&buffer, tracker)))
        case "BINARY":
            let section = IMAP.SectionSpecifier(part: try parseSectionBinary(&buffer, tracker))
            let origin = try parseOrigin(&buffer)
            try PL.parseSpaces(&buffer)
            return try parseStreamedBodyValue(&buffer, tracker, section: section, origin: origin)
        case "BINARY.SIZE":
            let section = IMAP.SectionSpecifier(part: try parseSectionBinary(&buffer, tracker))
            try PL.parseSpaces(&buffer)
            return .attribute(.binarySize(section: section, size: try PL.parseNumber64(&buffer)))
        case "RFC822", "RFC822.HEADER", "RFC822.TEXT":
            let kind: IMAP.SectionSpecifier.Kind =
                name == "RFC822" ? .complete : name == "RFC822.HEADER" ? .header : .text
            try PL.parseSpaces(&buffer)
            return try parseStreamedBodyValue(&buffer, tracker, section: IMAP.SectionSpecifier(kind: kind), origin: nil)
        case "MODSEQ":
            // permsg-modsequence = mod-sequence-value
            try PL.parseSpaces(&buffer)
            try PL.parseByte(openParen, &buffer)
            let value = try PL.parseNumber64(&buffer)
            try PL.parseByte(closeParen, &buffer)
            return .attribute(.modSeq(IMAP.ModSeq(UInt64(value))))
        default:
            let start = buffer.index
            if try buffer.peek() == openBracket {
                _ = try PL.parseBytes(&buffer, hint: "expected ]") { $0 != closeBracket && isTextChar($0) }
                try PL.parseByte(closeBracket, &buffer)
            }
            _ = try parseOrigin(&buffer)
            let suffix = buffer.bytes[start..<buffer.index]
            try PL.parseSpaces(&buffer)
            let value = try parseGenericValue(&buffer, tracker)
            return .attribute(.other(name: name + String(decoding: suffix, as: UTF8.self), value: Array(value)))
        }
    }

    /// The value of a body section: streamed when it is a literal.
    // nstring / literal8
    static func parseStreamedBodyValue(
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker,
        section: IMAP.SectionSpecifier,
        origin: Int?
    ) throws -> FetchStep {
        switch try buffer.peek() {
        case openBrace, UInt8(ascii: "~"):
            let size = try parseLiteralHeader(&buffer, tracker)
            return .streamingLiteral(section: section, origin: origin, byteCount: size)
        case quote:
            return .quotedBody(section: section, origin: origin, bytes: try parseQuoted(&buffer, tracker))
        default:
            try parseNil(&buffer, tracker)
            return .attribute(.nilBody(section: section))
        }
    }

    // "<" number ">"   (the origin octet of a partial BODY[...]<origin> response)
    static func parseOrigin(_ buffer: inout ParseBuffer) throws -> Int? {
        guard try buffer.peek() == UInt8(ascii: "<") else { return nil }
        buffer.index += 1
        let origin = try PL.parseNumber64(&buffer)
        try PL.parseByte(UInt8(ascii: ">"), &buffer)
        return origin
    }

    // section = "[" [section-spec] "]"
    // section-spec = section-msgtext / (section-part ["." section-text])
    // section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
    // section-part = nz-number *("." nz-number)
    // section-text = section-msgtext / "MIME"
    static func parseSection(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.SectionSpecifier {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            try PL.parseByte(openBracket, &buffer)
            var part: [Int] = []
            var wantsText = true
            while PL.isDigit(try buffer.peek()) {
                part.append(Int(try PL.parseNZNumber(&buffer)))
                wantsText = false
                guard try buffer.peek() == UInt8(ascii: ".") else { break }
                buffer.index += 1
                wantsText = true
            }
            var kind = IMAP.SectionSpecifier.Kind.complete
            let atEnd = try buffer.peek() == closeBracket
            if wantsText && !atEnd {
                let word = String(
                    decoding: try PL.parseBytes(&buffer, hint: "expected a section name") { byte in
                        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
                            || byte == UInt8(ascii: ".")
                    },
                    as: UTF8.self
                ).uppercased()
                switch word {
                case "HEADER": kind = .header
                case "TEXT": kind = .text
                case "MIME" where !part.isEmpty: kind = .mime
                case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
                    try PL.parseSpaces(&buffer)
                    let names = try parseHeaderList(&buffer, tracker)
                    kind = word == "HEADER.FIELDS" ? .headerFields(names) : .headerFieldsNot(names)
                default:
                    throw PL.syntaxError("unknown section \(word)")
                }
            } else if wantsText && !part.isEmpty {
                throw PL.syntaxError("expected a section name after \".\"")
            }
            try PL.parseByte(closeBracket, &buffer)
            return IMAP.SectionSpecifier(part: part, kind: kind)
        }
    }

    // header-list = "(" header-fld-name *(SP header-fld-name) ")"
    // header-fld-name = astring
    static func parseHeaderList(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> [String] {
        try parseParenthesizedList(&buffer, tracker, allowEmpty: false) { buffer, tracker in
            String(decoding: try parseAString(&buffer, tracker), as: UTF8.self)
        }
    }

    // section-binary = "[" [section-part] "]"
    static func parseSectionBinary(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> [Int] {
        try PL.composite(&buffer, tracker) { buffer, _ in
            try PL.parseByte(openBracket, &buffer)
            var part: [Int] = []
            if try buffer.peek() != closeBracket {
                repeat {
                    part.append(Int(try PL.parseNZNumber(&buffer)))
                } while try PL.consumeIf(UInt8(ascii: "."), &buffer)
            }
            try PL.parseByte(closeBracket, &buffer)
            return part
        }
    }
}
