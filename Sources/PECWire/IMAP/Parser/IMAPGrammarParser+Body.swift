extension IMAP.GrammarParser {
    typealias BodyStructure = IMAP.BodyStructure

    // body = "(" (body-type-1part / body-type-mpart) ")"
    // Tolerance: a body nests at most `maxNesting` levels (hostile input), spaces after "(" and before ")".
    static func parseBody(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> BodyStructure {
        var tracker = tracker
        try tracker.newStackFrame()
        return try PL.composite(&buffer, tracker) { buffer, tracker in
            try PL.parseByte(openParen, &buffer)
            PL.skipSpaces(&buffer)
            let body: BodyStructure
            if try buffer.peek() == openParen {
                body = .multipart(try parseBodyTypeMultipart(&buffer, tracker))
            } else {
                body = .singlepart(try parseBodyTypeSinglePart(&buffer, tracker))
            }
            PL.skipSpaces(&buffer)
            try PL.parseByte(closeParen, &buffer)
            return body
        }
    }

    // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
    // body-ext-mpart = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]
    // Tolerance: spaces between the parts; NIL subtype; unknown extension data is skipped.
    static func parseBodyTypeMultipart(
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker
    ) throws -> BodyStructure.MultiPart {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            var parts: [BodyStructure] = []
            repeat {
                parts.append(try parseBody(&buffer, tracker))
                PL.skipSpaces(&buffer)
            } while try buffer.peek() == openParen
            let subtype = try parseBodyStringLowercased(&buffer, tracker)
            var multipart = BodyStructure.MultiPart(parts: parts, subtype: subtype)
            guard try parseExtensionSeparator(&buffer) else { return multipart }
            multipart.parameters = try parseBodyFieldParameters(&buffer, tracker)
            guard try parseExtensionSeparator(&buffer) else { return multipart }
            multipart.disposition = try parseBodyFieldDisposition(&buffer, tracker)
            guard try parseExtensionSeparator(&buffer) else { return multipart }
            multipart.language = try parseBodyFieldLanguage(&buffer, tracker)
            guard try parseExtensionSeparator(&buffer) else { return multipart }
            multipart.location = try parseNString(&buffer, tracker)
            try parseBodyExtensions(&buffer, tracker)
            return multipart
        }
    }

    // [SP ...] — the optional separator before more extension data
    /// SP before more extension data, or false at the closing ")" (extension data is optional).
    static func parseExtensionSeparator(_ buffer: inout ParseBuffer) throws -> Bool {
        PL.skipSpaces(&buffer)
        return try buffer.peek() != closeParen
    }

    // *(SP body-extension) — unknown extension data, skipped.
    static func parseBodyExtensions(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws {
        while try parseExtensionSeparator(&buffer) {
            _ = try parseGenericValue(&buffer, tracker)
        }
    }

    // body-type-1part = (body-type-basic / body-type-msg / body-type-text) [SP body-ext-1part]
    // body-type-basic = media-basic SP body-fields
    // body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines
    // body-type-text = media-text SP body-fields SP body-fld-lines
    // media-basic = ((DQUOTE ("APPLICATION" / "AUDIO" / "IMAGE" / "MESSAGE" / "VIDEO") DQUOTE) / string) SP
    //               media-subtype
    // media-message = DQUOTE "MESSAGE" DQUOTE SP DQUOTE ("RFC822" / "GLOBAL") DQUOTE
    // media-text = DQUOTE "TEXT" DQUOTE SP media-subtype
    // Tolerance: NIL type or subtype; a message/rfc822 without envelope/body or a text part without line count
    // is read as a basic part instead of failing.
    static func parseBodyTypeSinglePart(
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker
    ) throws -> BodyStructure.SinglePart {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            let type = try parseBodyStringLowercased(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let subtype = try parseBodyStringLowercased(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            var part = try parseBodyFields(&buffer, tracker, type: type, subtype: subtype)
            if type == "message" && (subtype == "rfc822" || subtype == "global") {
                if let kind = try PL.parseOptional(&buffer, tracker, parseBodyTypeMessageRest) {
                    part.kind = kind
                }
            } else if type == "text" {
                if let lines = try PL.parseOptional(
                    &buffer,
                    tracker,
                    { buffer, _ in
                        try PL.parseSpaces(&buffer)
                        return try PL.parseNumber64(&buffer)
                    }
                ) {
                    part.kind = .text(lineCount: lines)
                }
            }
            guard try parseExtensionSeparator(&buffer) else { return part }
            try parseBodyExtensionSinglePart(&buffer, tracker, into: &part)
            return part
        }
    }

    // SP envelope SP body SP body-fld-lines   (the rest of body-type-msg)
    // body-fld-lines = number64
    static func parseBodyTypeMessageRest(
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker
    ) throws -> BodyStructure.SinglePart.Kind {
        try PL.parseSpaces(&buffer)
        let envelope = try parseEnvelope(&buffer, tracker)
        try PL.parseSpaces(&buffer)
        let body = try parseBody(&buffer, tracker)
        // Tolerance: some servers leave out body-fld-lines.
        let lines = try PL.parseOptional(&buffer, tracker) { buffer, _ in
            try PL.parseSpaces(&buffer)
            return try PL.parseNumber64(&buffer)
        }
        return .message(envelope: envelope, body: body, lineCount: lines ?? 0)
    }

    // body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]
    // body-fld-md5 = nstring
    static func parseBodyExtensionSinglePart(
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker,
        into part: inout BodyStructure.SinglePart
    ) throws {
        part.md5 = try parseNStringTolerant(&buffer, tracker)
        guard try parseExtensionSeparator(&buffer) else { return }
        part.disposition = try parseBodyFieldDisposition(&buffer, tracker)
        guard try parseExtensionSeparator(&buffer) else { return }
        part.language = try parseBodyFieldLanguage(&buffer, tracker)
        guard try parseExtensionSeparator(&buffer) else { return }
        part.location = try parseNStringTolerant(&buffer, tracker)
        try parseBodyExtensions(&buffer, tracker)
    }

    // body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP body-fld-octets
    // body-fld-id = nstring
    // body-fld-desc = nstring
    // body-fld-enc = (DQUOTE ("7BIT" / "8BIT" / "BINARY" / "BASE64"/ "QUOTED-PRINTABLE") DQUOTE) / string
    // body-fld-octets = number   — tolerance: up to 63 bits (parts over 4 GiB)
    static func parseBodyFields(
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker,
        type: String,
        subtype: String
    ) throws -> BodyStructure.SinglePart {
        let parameters = try parseBodyFieldParameters(&buffer, tracker)
        try PL.parseSpaces(&buffer)
        let id = try parseNStringTolerant(&buffer, tracker)
        try PL.parseSpaces(&buffer)
        let description = try parseNStringTolerant(&buffer, tracker)
        try PL.parseSpaces(&buffer)
        let encoding = try parseBodyStringLowercased(&buffer, tracker)
        try PL.parseSpaces(&buffer)
        let size = try PL.parseNumber64(&buffer)
        return BodyStructure.SinglePart(
            type: type,
            subtype: subtype,
            parameters: parameters,
            id: id,
            description: description,
            encoding: encoding,
            size: size
        )
    }

    // body-fld-param = "(" string SP string *(SP string SP string) ")" / nil
    // Tolerance: "()" for NIL; a trailing name without a value is dropped.
    static func parseBodyFieldParameters(
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker
    ) throws -> [BodyStructure.BodyParameter] {
        guard try buffer.peek() == openParen else {
            try parseNil(&buffer, tracker)
            return []
        }
        let strings = try parseParenthesizedList(&buffer, tracker) { buffer, tracker in
            try parseNStringTolerant(&buffer, tracker) ?? []
        }
        var parameters: [BodyStructure.BodyParameter] = []
        var index = 0
        while index + 1 < strings.count {
            parameters.append(
                BodyStructure.BodyParameter(
                    name: String(decoding: strings[index], as: UTF8.self),
                    value: strings[index + 1]
                )
            )
            index += 2
        }
        return parameters
    }

    // body-fld-dsp = "(" string SP body-fld-param ")" / nil
    // Tolerance: "()" for NIL, and a bare string ("inline") without parameters.
    static func parseBodyFieldDisposition(
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker
    ) throws -> BodyStructure.Disposition? {
        switch try buffer.peek() {
        case openParen:
            return try PL.composite(&buffer, tracker) { buffer, tracker in
                try PL.parseByte(openParen, &buffer)
                PL.skipSpaces(&buffer)
                if try PL.consumeIf(closeParen, &buffer) { return nil }
                let kind = try parseNStringTolerant(&buffer, tracker) ?? []
                var parameters: [BodyStructure.BodyParameter] = []
                if try parseExtensionSeparator(&buffer) {
                    parameters = try parseBodyFieldParameters(&buffer, tracker)
                }
                PL.skipSpaces(&buffer)
                try PL.parseByte(closeParen, &buffer)
                return BodyStructure.Disposition(kind: String(decoding: kind, as: UTF8.self), parameters: parameters)
            }
        case quote, openBrace:
            let kind = try parseString(&buffer, tracker)
            return BodyStructure.Disposition(kind: String(decoding: kind, as: UTF8.self), parameters: [])
        default:
            try parseNil(&buffer, tracker)
            return nil
        }
    }

    // body-fld-lang = nstring / "(" string *(SP string) ")"
    static func parseBodyFieldLanguage(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> [String] {
        if try buffer.peek() == openParen {
            return try parseParenthesizedList(&buffer, tracker) { buffer, tracker in
                String(decoding: try parseString(&buffer, tracker), as: UTF8.self)
            }
        }
        guard let single = try parseNStringTolerant(&buffer, tracker) else { return [] }
        return [String(decoding: single, as: UTF8.self)]
    }

    /// A body string field as a lowercased String; NIL becomes "".
    // media-subtype = string; body-fld-enc = string — tolerance: NIL, or an atom instead of a string.
    static func parseBodyStringLowercased(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> String {
        String(decoding: try parseNStringTolerant(&buffer, tracker) ?? [], as: UTF8.self).lowercased()
    }

    // nstring = string / nil — tolerance for body fields: a bare atom (some servers send 7BIT unquoted).
    static func parseNStringTolerant(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> [UInt8]? {
        switch try buffer.peek() {
        case quote, openBrace, UInt8(ascii: "~"): return try parseString(&buffer, tracker)
        default:
            if try PL.parseOptional(&buffer, tracker, parseNil) != nil {
                return nil
            }
            return Array(try PL.parseBytes(&buffer, hint: "expected a string", where: isAtomChar))
        }
    }
}
