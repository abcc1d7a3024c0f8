extension IMAP.GrammarParser {
    // mailbox = "INBOX" / astring
    // Tolerance: raw 8-bit UTF-8 in quoted or literal names (UTF8=ACCEPT servers) is kept as is.
    static func parseMailbox(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.MailboxName {
        IMAP.MailboxName(wire: try parseAString(&buffer, tracker))
    }

    // mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
    //                [SP mbox-list-extended]
    // mbx-list-flags = *(mbx-list-oflag SP) mbx-list-sflag *(SP mbx-list-oflag) / mbx-list-oflag *(SP mbx-list-oflag)
    static func parseMailboxList(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.ListEntry {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            let attributes = try parseParenthesizedList(&buffer, tracker) { buffer, tracker in
                IMAP.MailboxAttribute(try parseFlag(&buffer, tracker).rawValue)
            }
            try PL.parseSpaces(&buffer)
            let separator: UInt8?
            if try buffer.peek() == quote {
                let quoted = try parseQuoted(&buffer, tracker)
                guard quoted.count <= 1 else { throw PL.syntaxError("expected a one-character delimiter") }
                separator = quoted.first
            } else {
                try parseNil(&buffer, tracker)
                separator = nil
            }
            try PL.parseSpaces(&buffer)
            let name = try parseMailbox(&buffer, tracker)
            var entry = IMAP.ListEntry(attributes: attributes, separator: separator, name: name)
            if try buffer.peek() == space {
                PL.skipSpaces(&buffer)
                if try buffer.peek() == openParen {
                    try parseMailboxListExtended(&buffer, tracker, into: &entry)
                }
            }
            return entry
        }
    }

    // mbox-list-extended = "(" [mbox-list-extended-item *(SP mbox-list-extended-item)] ")"
    // mbox-list-extended-item = mbox-list-extended-item-tag SP tagged-ext-val
    // childinfo-extended-item = "CHILDINFO" SP "(" list-select-base-opt-quoted *(SP list-select-base-opt-quoted) ")"
    // oldname-extended-item = "OLDNAME" SP "(" mailbox ")"   (RFC 9051)
    static func parseMailboxListExtended(
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker,
        into entry: inout IMAP.ListEntry
    ) throws {
        var result = entry
        _ = try parseParenthesizedList(&buffer, tracker) { buffer, tracker in
            let tagBytes = try parseAString(&buffer, tracker)
            let tag = String(decoding: tagBytes, as: UTF8.self).uppercased()
            try PL.parseSpaces(&buffer)
            switch tag {
            case "CHILDINFO":
                result.childInfo = try parseParenthesizedList(&buffer, tracker) { buffer, tracker in
                    String(decoding: try parseAString(&buffer, tracker), as: UTF8.self).uppercased()
                }
            case "OLDNAME":
                let names = try parseParenthesizedList(&buffer, tracker) { buffer, tracker in
                    try parseMailbox(&buffer, tracker)
                }
                result.oldName = names.first
            default:
                _ = try parseGenericValue(&buffer, tracker)
            }
            return ()
        }
        entry = result
    }

    // mailbox-data =/ "STATUS" SP mailbox SP "(" [status-att-list] ")"
    // status-att-list = status-att-val *(SP status-att-val)
    // status-att-val = ("MESSAGES" SP number) / ("UIDNEXT" SP nz-number) / ("UIDVALIDITY" SP nz-number) /
    //                  ("UNSEEN" SP number) / ("DELETED" SP number) / ("SIZE" SP number64) /
    //                  ("RECENT" SP number) / ("HIGHESTMODSEQ" SP mod-sequence-valzer)
    // Tolerance: unknown items are skipped; spaces before ")".
    static func parseStatus(
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker
    ) throws -> (IMAP.MailboxName, IMAP.MailboxStatus) {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            let name = try parseMailbox(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            var status = IMAP.MailboxStatus()
            _ = try parseParenthesizedList(&buffer, tracker) { buffer, tracker in
                let key = try parseAtom(&buffer, tracker).uppercased()
                try PL.parseSpaces(&buffer)
                switch key {
                case "MESSAGES": status.messages = Int(try PL.parseNumber(&buffer))
                case "RECENT": status.recent = Int(try PL.parseNumber(&buffer))
                case "UNSEEN": status.unseen = Int(try PL.parseNumber(&buffer))
                case "UIDNEXT": status.uidNext = IMAP.UID(try PL.parseNumber(&buffer))
                case "UIDVALIDITY": status.uidValidity = IMAP.UIDValidity(try PL.parseNumber(&buffer))
                case "HIGHESTMODSEQ": status.highestModSeq = IMAP.ModSeq(UInt64(try PL.parseNumber64(&buffer)))
                case "SIZE": status.size = try PL.parseNumber64(&buffer)
                default: _ = try parseGenericValue(&buffer, tracker)
                }
                return ()
            }
            return (name, status)
        }
    }

    // esearch-response = "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data)
    // search-correlator = SP "(" "TAG" SP tag-string ")"
    // search-return-data = "MIN" SP nz-number / "MAX" SP nz-number / "ALL" SP sequence-set / "COUNT" SP number /
    //                      "MODSEQ" SP mod-sequence-value / search-modifier-name SP search-return-value
    static func parseESearch(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.ESearchResponse {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            var result = IMAP.ESearchResponse()
            while try buffer.peek() == space {
                PL.skipSpaces(&buffer)
                let next = try buffer.peek()
                if next == cr || next == lf { break }
                if next == openParen {
                    try PL.parseByte(openParen, &buffer)
                    try PL.parseFixedString("TAG", &buffer)
                    try PL.parseSpaces(&buffer)
                    result.tag = String(decoding: try parseString(&buffer, tracker), as: UTF8.self)
                    try PL.parseByte(closeParen, &buffer)
                    continue
                }
                let key = try parseAtom(&buffer, tracker).uppercased()
                if key == "UID" {
                    result.uid = true
                    continue
                }
                try PL.parseSpaces(&buffer)
                switch key {
                case "MIN": result.min = try PL.parseNZNumber(&buffer)
                case "MAX": result.max = try PL.parseNZNumber(&buffer)
                case "COUNT": result.count = Int(try PL.parseNumber(&buffer))
                case "ALL": result.all = try parseSequenceSet(&buffer, tracker)
                case "MODSEQ": result.modSeq = IMAP.ModSeq(UInt64(try PL.parseNumber64(&buffer)))
                default: _ = try parseGenericValue(&buffer, tracker)
                }
            }
            return result
        }
    }

    // id-response = "ID" SP id-params-list
    // id-params-list = "(" [string SP nstring *(SP string SP nstring)] ")" / nil     (RFC 2971)
    static func parseIDParameters(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> [String: String?] {
        guard try buffer.peek() == openParen else {
            try parseNil(&buffer, tracker)
            return [:]
        }
        let values = try parseParenthesizedList(&buffer, tracker) { buffer, tracker in
            try parseNString(&buffer, tracker)
        }
        var result: [String: String?] = [:]
        var index = 0
        while index + 1 < values.count {
            if let key = values[index] {
                // updateValue: assigning a nil `String?` through the subscript would remove the key.
                result.updateValue(
                    values[index + 1].map { String(decoding: $0, as: UTF8.self) },
                    forKey: String(decoding: key, as: UTF8.self)
                )
            }
            index += 2
        }
        return result
    }

    // namespace-response = "NAMESPACE" SP namespace SP namespace SP namespace
    // namespace = nil / "(" 1*namespace-descr ")"
    // namespace-descr = "(" string SP (DQUOTE QUOTED-CHAR DQUOTE / nil) [namespace-response-extensions] ")"
    // namespace-response-extensions = *(SP string SP "(" string *(SP string) ")")  — skipped
    static func parseNamespace(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.NamespaceResponse {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            let personal = try parseNamespaceList(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let other = try parseNamespaceList(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let shared = try parseNamespaceList(&buffer, tracker)
            return IMAP.NamespaceResponse(personal: personal, otherUsers: other, shared: shared)
        }
    }

    // namespace = nil / "(" 1*namespace-descr ")"
    static func parseNamespaceList(
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker
    ) throws -> [IMAP.NamespaceDescription] {
        guard try buffer.peek() == openParen else {
            try parseNil(&buffer, tracker)
            return []
        }
        return try parseParenthesizedList(&buffer, tracker) { buffer, tracker in
            try PL.parseByte(openParen, &buffer)
            let prefix = try parseString(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            var delimiter: UInt8?
            if try buffer.peek() == quote {
                delimiter = try parseQuoted(&buffer, tracker).first
            } else {
                try parseNil(&buffer, tracker)
            }
            try parseBodyExtensions(&buffer, tracker)
            try PL.parseByte(closeParen, &buffer)
            return IMAP.NamespaceDescription(prefix: prefix, delimiter: delimiter)
        }
    }
}
