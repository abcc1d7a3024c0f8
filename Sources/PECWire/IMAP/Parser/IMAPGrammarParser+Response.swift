extension IMAP.GrammarParser {
    /// What one call of ``parseResponse(_:_:)`` found.
    enum ParsedResponse: Hashable {
        case response(IMAP.Response)
        /// `* n FETCH (` — the attributes follow as separate steps.
        case fetchStart(IMAP.SequenceNumber)
    }

    // response = *(continue-req / response-data) response-done   — parsed one response at a time:
    // continue-req / response-data / response-tagged / response-fatal
    static func parseResponse(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> ParsedResponse {
        switch try buffer.peek() {
        case UInt8(ascii: "+"):
            return .response(try parseContinuationRequest(&buffer, tracker))
        case UInt8(ascii: "*"):
            return try parseResponseData(&buffer, tracker)
        default:
            return .response(.tagged(try parseTaggedResponse(&buffer, tracker)))
        }
    }

    // continue-req = "+" SP (resp-text / base64) CRLF
    // Tolerance: "+" directly followed by CRLF (no SP, no text), as some servers send for AUTHENTICATE.
    static func parseContinuationRequest(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.Response {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            try PL.parseByte(UInt8(ascii: "+"), &buffer)
            _ = try PL.consumeIf(space, &buffer)
            let text = try parseText(&buffer, tracker)
            try PL.parseNewline(&buffer)
            return .continuation(text)
        }
    }

    // response-tagged = tag SP resp-cond-state CRLF
    // resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text
    static func parseTaggedResponse(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.TaggedResponse
    {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            let tag = try parseTag(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let word = try parseAtom(&buffer, tracker).uppercased()
            guard let status = IMAP.ResponseStatus(rawValue: word) else {
                throw PL.syntaxError("expected OK, NO or BAD after the tag")
            }
            let text = try parseResponseTextAfterKeyword(&buffer, tracker)
            try PL.parseNewline(&buffer)
            return IMAP.TaggedResponse(tag: tag, status: status, text: text)
        }
    }

    // [SP resp-text]
    /// Optional SP then resp-text (tolerance: "a1 OK\r\n" without SP or text).
    static func parseResponseTextAfterKeyword(
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker
    ) throws -> IMAP.ResponseText {
        let next = try buffer.peek()
        if next == cr || next == lf { return IMAP.ResponseText(text: "") }
        try PL.parseSpaces(&buffer)
        return try parseResponseText(&buffer, tracker)
    }

    // response-data = "*" SP (resp-cond-state / resp-cond-bye / mailbox-data / message-data / capability-data /
    //                 enable-data / id-response / namespace-response) CRLF
    // resp-cond-bye = "BYE" SP resp-text
    // resp-cond-auth = ("OK" / "PREAUTH") SP resp-text
    // message-data = nz-number SP ("EXPUNGE" / ("FETCH" SP msg-att))
    // mailbox-data = "FLAGS" SP flag-list / "LIST" SP mailbox-list / "LSUB" SP mailbox-list /
    //                "SEARCH" *(SP nz-number) / "STATUS" SP mailbox SP "(" [status-att-list] ")" /
    //                number SP "EXISTS" / number SP "RECENT"
    // enable-data = "ENABLED" *(SP capability)
    // Tolerance: an unknown kind is skipped to the end of its line (literals included) as `.other(name:)`.
    static func parseResponseData(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> ParsedResponse {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            try PL.parseByte(UInt8(ascii: "*"), &buffer)
            try PL.parseSpaces(&buffer)
            if PL.isDigit(try buffer.peek()) {
                return try parseNumberedResponseData(&buffer, tracker)
            }
            let keyword = try parseAtom(&buffer, tracker).uppercased()
            let untagged: IMAP.UntaggedResponse
            switch keyword {
            case "OK", "NO", "BAD", "PREAUTH", "BYE":
                let condition = IMAP.UntaggedCondition(rawValue: keyword) ?? .ok
                untagged = .condition(condition, try parseResponseTextAfterKeyword(&buffer, tracker))
            case "CAPABILITY":
                untagged = .capability(try parseCapabilityList(&buffer, tracker))
            case "ENABLED":
                untagged = .enabled(try parseCapabilityList(&buffer, tracker))
            case "FLAGS":
                try PL.parseSpaces(&buffer)
                untagged = .flags(try parseFlagList(&buffer, tracker))
            case "LIST":
                try PL.parseSpaces(&buffer)
                untagged = .list(try parseMailboxList(&buffer, tracker))
            case "LSUB":
                try PL.parseSpaces(&buffer)
                untagged = .lsub(try parseMailboxList(&buffer, tracker))
            case "STATUS":
                try PL.parseSpaces(&buffer)
                let (name, status) = try parseStatus(&buffer, tracker)
                untagged = .status(name, status)
            case "SEARCH":
                untagged = try parseSearchResponse(&buffer, tracker)
            case "ESEARCH":
                untagged = .esearch(try parseESearch(&buffer, tracker))
            case "VANISHED":
                untagged = try parseVanished(&buffer, tracker)
            case "ID":
                try PL.parseSpaces(&buffer)
                untagged = .id(try parseIDParameters(&buffer, tracker))
            case "NAMESPACE":
                try PL.parseSpaces(&buffer)
                untagged = .namespace(try parseNamespace(&buffer, tracker))
            default:
                try skipToEndOfLine(&buffer, tracker)
                return .response(.untagged(.other(name: keyword)))
            }
            PL.skipSpaces(&buffer)  // tolerance: trailing spaces before CRLF
            try PL.parseNewline(&buffer)
            return .response(.untagged(untagged))
        }
    }

    /// `* n EXISTS`, `* n RECENT`, `* n EXPUNGE`, `* n FETCH (`.
    // message-data = nz-number SP ("EXPUNGE" / ("FETCH" SP msg-att))
    // mailbox-data =/ number SP "EXISTS" / number SP "RECENT"
    static func parseNumberedResponseData(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> ParsedResponse
    {
        let number = try PL.parseNumber(&buffer)
        try PL.parseSpaces(&buffer)
        let keyword = try parseAtom(&buffer, tracker).uppercased()
        let untagged: IMAP.UntaggedResponse
        switch keyword {
        case "EXISTS": untagged = .exists(Int(number))
        case "RECENT": untagged = .recent(Int(number))
        case "EXPUNGE":
            guard number > 0 else { throw PL.syntaxError("EXPUNGE needs a non-zero sequence number") }
            untagged = .expunge(IMAP.SequenceNumber(number))
        case "FETCH":
            guard number > 0 else { throw PL.syntaxError("FETCH needs a non-zero sequence number") }
            try PL.parseSpaces(&buffer)
            try PL.parseByte(openParen, &buffer)
            return .fetchStart(IMAP.SequenceNumber(number))
        default:
            try skipToEndOfLine(&buffer, tracker)
            return .response(.untagged(.other(name: keyword)))
        }
        PL.skipSpaces(&buffer)
        try PL.parseNewline(&buffer)
        return .response(.untagged(untagged))
    }

    // mailbox-data =/ "SEARCH" *(SP nz-number) [SP "(" "MODSEQ" SP mod-sequence-value ")"]   (RFC 7162)
    // Tolerance: trailing space ("* SEARCH \r\n"), and zero in the list.
    static func parseSearchResponse(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws
        -> IMAP.UntaggedResponse
    {
        var numbers: [UInt32] = []
        var modSeq: IMAP.ModSeq?
        while try buffer.peek() == space {
            PL.skipSpaces(&buffer)
            let next = try buffer.peek()
            if next == openParen {
                try PL.parseByte(openParen, &buffer)
                try PL.parseFixedString("MODSEQ", &buffer)
                try PL.parseSpaces(&buffer)
                modSeq = IMAP.ModSeq(UInt64(try PL.parseNumber64(&buffer)))
                try PL.parseByte(closeParen, &buffer)
            } else if PL.isDigit(next) {
                numbers.append(try PL.parseNumber(&buffer))
            } else {
                break
            }
        }
        return .search(numbers, modSeq: modSeq)
    }

    // expunged-resp = "VANISHED" [SP "(EARLIER)"] SP known-uids   (RFC 7162)
    static func parseVanished(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.UntaggedResponse {
        try PL.parseSpaces(&buffer)
        var earlier = false
        if try buffer.peek() == openParen {
            try PL.parseFixedString("(EARLIER)", &buffer)
            earlier = true
            try PL.parseSpaces(&buffer)
        }
        return .vanished(try parseUIDSet(&buffer, tracker), earlier: earlier)
    }

    // *(TEXT-CHAR / literal) CRLF — the rest of an unknown response
    /// Skips the rest of a line, literals included (for unknown untagged responses), through CRLF.
    static func skipToEndOfLine(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws {
        while true {
            let byte = try buffer.peek()
            if byte == lf || byte == cr {
                if byte == cr, try buffer.peek(offset: 1) != lf {
                    buffer.index += 1
                    continue
                }
                try PL.parseNewline(&buffer)
                return
            }
            if byte == openBrace || byte == UInt8(ascii: "~") {
                if try PL.parseOptional(&buffer, tracker, parseLiteral) != nil { continue }
            }
            buffer.index += 1
        }
    }

    // resp-text = ["[" resp-text-code "]" SP] text
    // Tolerance: no SP or no text after "]"; a "[" that does not start a well-formed code is plain text.
    static func parseResponseText(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.ResponseText {
        var code: IMAP.ResponseCode?
        if try buffer.peek() == openBracket {
            code = try PL.parseOptional(&buffer, tracker) { buffer, tracker in
                try PL.parseByte(openBracket, &buffer)
                let code = try parseResponseCode(&buffer, tracker)
                try PL.parseByte(closeBracket, &buffer)
                return code
            }
            if code != nil { PL.skipSpaces(&buffer) }
        }
        return IMAP.ResponseText(code: code, text: try parseText(&buffer, tracker))
    }

    // resp-text-code = "ALERT" / "BADCHARSET" [SP "(" charset *(SP charset) ")" ] / capability-data / "PARSE" /
    //                  "PERMANENTFLAGS" SP "(" [flag-perm *(SP flag-perm)] ")" / "READ-ONLY" / "READ-WRITE" /
    //                  "TRYCREATE" / "UIDNEXT" SP nz-number / "UIDVALIDITY" SP nz-number / "UNSEEN" SP nz-number /
    //                  resp-code-apnd / resp-code-copy / "UIDNOTSTICKY" / "CLOSED" / "HIGHESTMODSEQ" SP
    //                  mod-sequence-value / "NOMODSEQ" / "MODIFIED" SP sequence-set / atom [SP 1*<any TEXT-CHAR
    //                  except "]">]
    // resp-code-apnd = "APPENDUID" SP nz-number SP append-uid   (RFC 4315)
    // resp-code-copy = "COPYUID" SP nz-number SP uid-set SP uid-set
    // RFC 5530 codes (UNAVAILABLE, AUTHENTICATIONFAILED, …) are atoms without arguments.
    // Tolerance: a known code with malformed arguments becomes `.other` rather than an error.
    static func parseResponseCode(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.ResponseCode {
        try PL.composite(&buffer, tracker, parseResponseCodeUnguarded)
    }

    // resp-text-code (see parseResponseCode), without the backtracking wrapper
    private static func parseResponseCodeUnguarded(
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker
    ) throws -> IMAP.ResponseCode {
        let name = try parseAtom(&buffer, tracker).uppercased()
        if let simple = simpleResponseCodes[name] { return simple }
        let known = try PL.parseOptional(&buffer, tracker) { buffer, tracker -> IMAP.ResponseCode in
            let code = try parseResponseCodeArguments(name: name, &buffer, tracker)
            guard try buffer.peek() == closeBracket else { throw PL.syntaxError("expected ]") }
            return code
        }
        if let known { return known }
        // atom [SP 1*<any TEXT-CHAR except "]">]
        var value: String?
        if try buffer.peek() == space {
            PL.skipSpaces(&buffer)
            let bytes = try PL.parseBytes(&buffer, minLength: 0, hint: "expected response code text") {
                isTextChar($0) && $0 != closeBracket
            }
            value = String(decoding: bytes, as: UTF8.self)
        }
        return .other(name: name, value: value)
    }

    // resp-text-code arguments: "BADCHARSET" [SP "(" charset *(SP charset) ")"] / "PERMANENTFLAGS" SP "("
    // [flag-perm *(SP flag-perm)] ")" / "UIDNEXT" SP nz-number / "UIDVALIDITY" SP nz-number / "UNSEEN" SP nz-number /
    // "APPENDUID" SP nz-number SP append-uid / "COPYUID" SP nz-number SP uid-set SP uid-set /
    // "HIGHESTMODSEQ" SP mod-sequence-value / "MODIFIED" SP sequence-set / capability-data
    /// The arguments of the response codes that have some (see ``parseResponseCode(_:_:)``).
    static func parseResponseCodeArguments(
        name: String,
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker
    ) throws -> IMAP.ResponseCode {
        switch name {
        case "UIDVALIDITY":
            try PL.parseSpaces(&buffer)
            return .uidValidity(IMAP.UIDValidity(try PL.parseNZNumber(&buffer)))
        case "UIDNEXT":
            try PL.parseSpaces(&buffer)
            return .uidNext(IMAP.UID(try PL.parseNZNumber(&buffer)))
        case "UNSEEN":
            try PL.parseSpaces(&buffer)
            return .unseen(IMAP.SequenceNumber(try PL.parseNZNumber(&buffer)))
        case "HIGHESTMODSEQ":
            try PL.parseSpaces(&buffer)
            return .highestModSeq(IMAP.ModSeq(UInt64(try PL.parseNumber64(&buffer))))
        case "PERMANENTFLAGS":
            try PL.parseSpaces(&buffer)
            return .permanentFlags(try parseFlagList(&buffer, tracker))
        case "CAPABILITY":
            return .capability(try parseCapabilityList(&buffer, tracker))
        case "APPENDUID":
            try PL.parseSpaces(&buffer)
            let validity = IMAP.UIDValidity(try PL.parseNZNumber(&buffer))
            try PL.parseSpaces(&buffer)
            return .appendUID(validity, IMAP.UID(try PL.parseNZNumber(&buffer)))
        case "COPYUID":
            try PL.parseSpaces(&buffer)
            let validity = IMAP.UIDValidity(try PL.parseNZNumber(&buffer))
            try PL.parseSpaces(&buffer)
            let source = try parseExpandedUIDSet(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let destination = try parseExpandedUIDSet(&buffer, tracker)
            return .copyUID(validity, source: source, destination: destination)
        case "BADCHARSET":
            guard try buffer.peek() == space else { return .badCharset([]) }
            try PL.parseSpaces(&buffer)
            return .badCharset(
                try parseParenthesizedList(&buffer, tracker) { buffer, tracker in
                    String(decoding: try parseAString(&buffer, tracker), as: UTF8.self)
                }
            )
        case "MODIFIED":
            try PL.parseSpaces(&buffer)
            return .modified(try parseUIDSet(&buffer, tracker))
        default:
            throw PL.syntaxError("unknown response code")
        }
    }

    static let simpleResponseCodes: [String: IMAP.ResponseCode] = [
        "ALERT": .alert, "TRYAGAIN": .tryAgain, "UNAVAILABLE": .unavailable, "SERVERBUG": .serverBug,
        "AUTHENTICATIONFAILED": .authenticationFailed, "AUTHORIZATIONFAILED": .authorizationFailed,
        "EXPIRED": .expired, "NONEXISTENT": .nonExistent, "TRYCREATE": .tryCreate,
        "ALREADYEXISTS": .alreadyExists, "NOPERM": .noPerm, "OVERQUOTA": .overQuota, "LIMIT": .limit,
        "INUSE": .inUse, "CONTACTADMIN": .contactAdmin, "PRIVACYREQUIRED": .privacyRequired,
        "CANNOT": .cannot, "CLIENTBUG": .clientBug, "PARSE": .parse, "READ-ONLY": .readOnly,
        "READ-WRITE": .readWrite, "CLOSED": .closed, "NOMODSEQ": .noModSeq,
    ]
}
