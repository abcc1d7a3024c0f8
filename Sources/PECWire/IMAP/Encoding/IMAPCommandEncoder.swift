import Foundation

extension IMAP {
    /// A command ready for the wire.
    package struct EncodedCommand: Hashable, Sendable {
        /// Send `parts[0]`; before each following part wait for a "+" continuation request (a synchronizing
        /// literal, or AUTHENTICATE without SASL-IR). The last part ends with CRLF.
        package var parts: [[UInt8]]
        /// The command for logs: passwords and SASL data as "***", literal contents as "{n bytes}".
        package var redactedDescription: String

        package init(parts: [[UInt8]], redactedDescription: String) {
            self.parts = parts
            self.redactedDescription = redactedDescription
        }

        /// All parts concatenated (what goes on the wire when every continuation is granted).
        package var bytes: [UInt8] { parts.flatMap { $0 } }
    }

    /// Encodes ``Command``s: strings as atoms, quoted strings or literals as needed, LITERAL+/LITERAL- when the
    /// server offers them, mailbox names in modified UTF-7, `SEARCH CHARSET UTF-8` for non-ASCII criteria.
    ///
    /// ### Example
    ///     let encoder = IMAP.CommandEncoder(capabilities: [.literalPlus])
    ///     try encoder.encode(.select(IMAP.MailboxName("Ricevute già lette")), tag: "a1")
    ///     // a1 SELECT "Ricevute gi&AOA- lette"\r\n
    package struct CommandEncoder: Sendable {
        package var capabilities: Set<Capability>

        /// "DONE\r\n", which ends IDLE.
        package static let idleDone: [UInt8] = Array("DONE\r\n".utf8)

        package init(capabilities: Set<Capability>) {
            self.capabilities = capabilities
        }

        /// - Throws: ``EncodingError`` for a string with NUL, an invalid tag, flag or date, or an empty UID set.
        package func encode(_ command: Command, tag: String) throws(EncodingError) -> EncodedCommand {
            let literalPlus = capabilities.contains(.literalPlus)
            let literalMinus = capabilities.contains(.literalMinus)
            var buffer = CommandEncodeBuffer { size in literalPlus || (literalMinus && size <= 4096) }
            let tagBytes = Array(tag.utf8)
            guard !tagBytes.isEmpty,
                tagBytes.allSatisfy({ CommandEncodeBuffer.isAStringChar($0) && $0 != UInt8(ascii: "+") })
            else { throw EncodingError(hint: "invalid tag \"\(tag)\"") }
            buffer.write(tag + " ")
            try write(command, into: &buffer)
            buffer.writeCRLF()
            return EncodedCommand(parts: buffer.parts, redactedDescription: buffer.redacted)
        }

        private func write(_ command: Command, into buffer: inout CommandEncodeBuffer) throws(EncodingError) {
            switch command {
            case .capability: buffer.write("CAPABILITY")
            case .noop: buffer.write("NOOP")
            case .logout: buffer.write("LOGOUT")
            case .startTLS: buffer.write("STARTTLS")
            case .idle: buffer.write("IDLE")
            case .expunge: buffer.write("EXPUNGE")
            case .enable(let capabilities):
                guard !capabilities.isEmpty else { throw EncodingError(hint: "ENABLE needs a capability") }
                for capability in capabilities {
                    try Self.checkAtom(capability.rawValue, what: "capability")
                }
                buffer.write("ENABLE " + capabilities.map(\.rawValue).joined(separator: " "))
            case .login(let username, let password):
                buffer.write("LOGIN ")
                try buffer.writeAString(Array(username.utf8))
                buffer.write(" ")
                try buffer.writeAString(Array(password.utf8), secret: true)
            case .authenticatePlain(let username, let password):
                guard !username.utf8.contains(0), !password.utf8.contains(0) else {
                    throw EncodingError(hint: "a credential contains a NUL byte")
                }
                let response = Data(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64EncodedString()
                buffer.write("AUTHENTICATE PLAIN")
                if capabilities.contains(.saslIR) {
                    buffer.write(" ")
                } else {
                    buffer.writeCRLF()
                    buffer.waitForContinuation()
                    buffer.writeRaw([], shown: " ")
                }
                buffer.writeRaw(Array(response.utf8), shown: "***")
            case .select(let mailbox):
                buffer.write("SELECT ")
                try buffer.writeAString(mailbox.bytes)
            case .examine(let mailbox):
                buffer.write("EXAMINE ")
                try buffer.writeAString(mailbox.bytes)
            case .list(let reference, let pattern, let returnSpecialUse):
                buffer.write("LIST ")
                try buffer.writeString(reference.bytes)
                buffer.write(" ")
                try buffer.writeString(ModifiedUTF7.encode(pattern))
                if returnSpecialUse { buffer.write(" RETURN (SPECIAL-USE)") }
            case .status(let mailbox, let attributes):
                guard !attributes.isEmpty else { throw EncodingError(hint: "STATUS needs a data item") }
                buffer.write("STATUS ")
                try buffer.writeAString(mailbox.bytes)
                buffer.write(" (" + attributes.map(\.rawValue).joined(separator: " ") + ")")
            case .uidSearch(let key):
                buffer.write("UID SEARCH ")
                if Self.needsUTF8Charset(key) { buffer.write("CHARSET UTF-8 ") }
                try Self.write(key, into: &buffer, nested: false)
            case .uidFetch(let set, let items):
                guard !items.isEmpty else { throw EncodingError(hint: "FETCH needs a data item") }
                buffer.write("UID FETCH " + (try Self.render(set)) + " (")
                for (index, item) in items.enumerated() {
                    if index > 0 { buffer.write(" ") }
                    try Self.write(item, into: &buffer)
                }
                buffer.write(")")
            case .uidStore(let set, let operation):
                let sign: String
                switch operation.kind {
                case .add: sign = "+"
                case .remove: sign = "-"
                case .replace: sign = ""
                }
                for flag in operation.flags {
                    try Self.checkFlag(flag)
                }
                buffer.write(
                    "UID STORE " + (try Self.render(set)) + " " + sign + "FLAGS" + (operation.silent ? ".SILENT" : "")
                        + " (" + operation.flags.map(\.rawValue).joined(separator: " ") + ")"
                )
            case .uidCopy(let set, let mailbox):
                buffer.write("UID COPY " + (try Self.render(set)) + " ")
                try buffer.writeAString(mailbox.bytes)
            case .uidMove(let set, let mailbox):
                buffer.write("UID MOVE " + (try Self.render(set)) + " ")
                try buffer.writeAString(mailbox.bytes)
            case .uidExpunge(let set):
                buffer.write("UID EXPUNGE " + (try Self.render(set)))
            }
        }

        private static func render(_ set: UIDSet) throws(EncodingError) -> String {
            guard !set.isEmpty else { throw EncodingError(hint: "empty UID set") }
            return set.description
        }

        // atom = 1*ATOM-CHAR
        private static func checkAtom(_ text: String, what: String) throws(EncodingError) {
            guard !text.isEmpty, text.utf8.allSatisfy(GrammarParser.isAtomChar) else {
                throw EncodingError(hint: "invalid \(what) \"\(text)\"")
            }
        }

        // flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword / flag-extension
        private static func checkFlag(_ flag: Flag) throws(EncodingError) {
            let text = flag.rawValue.hasPrefix("\\") ? String(flag.rawValue.dropFirst()) : flag.rawValue
            try checkAtom(text, what: "flag")
        }

        // fetch-att = "ENVELOPE" / "FLAGS" / "INTERNALDATE" / "RFC822.SIZE" / "BODYSTRUCTURE" / "UID" /
        //             "BODY.PEEK" section ["<" number "." nz-number ">"] / "MODSEQ"
        private static func write(_ item: FetchItem, into buffer: inout CommandEncodeBuffer) throws(EncodingError) {
            switch item {
            case .uid: buffer.write("UID")
            case .flags: buffer.write("FLAGS")
            case .internalDate: buffer.write("INTERNALDATE")
            case .rfc822Size: buffer.write("RFC822.SIZE")
            case .envelope: buffer.write("ENVELOPE")
            case .bodyStructure: buffer.write("BODYSTRUCTURE")
            case .modSeq: buffer.write("MODSEQ")
            case .bodyPeek(let section, let partial):
                buffer.write("BODY.PEEK[")
                try write(section, into: &buffer)
                buffer.write("]")
                if let partial {
                    guard partial.offset >= 0, partial.length > 0 else {
                        throw EncodingError(hint: "invalid partial range")
                    }
                    buffer.write("<\(partial.offset).\(partial.length)>")
                }
            }
        }

        // section-spec = section-msgtext / (section-part ["." section-text])
        private static func write(
            _ section: SectionSpecifier,
            into buffer: inout CommandEncodeBuffer
        ) throws(EncodingError) {
            guard section.part.allSatisfy({ $0 > 0 && $0 <= Int(UInt32.max) }) else {
                throw EncodingError(hint: "invalid part number in \(section.part)")
            }
            var pieces = section.part.map { String($0) }
            func headerList(_ names: [String], into buffer: inout CommandEncodeBuffer) throws(EncodingError) {
                guard !names.isEmpty else { throw EncodingError(hint: "empty header field list") }
                buffer.write("(")
                for (index, name) in names.enumerated() {
                    if index > 0 { buffer.write(" ") }
                    try buffer.writeAString(Array(name.utf8))
                }
                buffer.write(")")
            }
            switch section.kind {
            case .complete:
                buffer.write(pieces.joined(separator: "."))
            case .header, .text:
                pieces.append(section.kind == .header ? "HEADER" : "TEXT")
                buffer.write(pieces.joined(separator: "."))
            case .mime:
                guard !section.part.isEmpty else { throw EncodingError(hint: "MIME needs a part number") }
                pieces.append("MIME")
                buffer.write(pieces.joined(separator: "."))
            case .headerFields(let names), .headerFieldsNot(let names):
                let not: Bool
                if case .headerFieldsNot = section.kind { not = true } else { not = false }
                pieces.append(not ? "HEADER.FIELDS.NOT " : "HEADER.FIELDS ")
                buffer.write(pieces.joined(separator: "."))
                try headerList(names, into: &buffer)
            }
        }

        /// True when some string in the key is not ASCII.
        static func needsUTF8Charset(_ key: SearchKey) -> Bool {
            switch key {
            case .subject(let s), .from(let s), .to(let s), .cc(let s), .bcc(let s), .body(let s), .text(let s):
                return s.utf8.contains { $0 >= 0x80 }
            case .header(let name, let value):
                return name.utf8.contains { $0 >= 0x80 } || value.utf8.contains { $0 >= 0x80 }
            case .not(let inner):
                return needsUTF8Charset(inner)
            case .or(let lhs, let rhs):
                return needsUTF8Charset(lhs) || needsUTF8Charset(rhs)
            case .and(let keys):
                return keys.contains(where: needsUTF8Charset)
            default:
                return false
            }
        }

        // search-key = "ALL" / "ANSWERED" / "BCC" SP astring / "BEFORE" SP date / "BODY" SP astring / … /
        //              "NOT" SP search-key / "OR" SP search-key SP search-key / "(" search-key *(SP search-key) ")"
        private static func write(
            _ key: SearchKey,
            into buffer: inout CommandEncodeBuffer,
            nested: Bool
        ) throws(EncodingError) {
            func date(_ name: String, _ value: SearchDate, into buffer: inout CommandEncodeBuffer) throws(EncodingError)
            {
                guard let wire = value.wireForm else { throw EncodingError(hint: "invalid date \(value)") }
                buffer.write(name + " " + wire)
            }
            func string(_ name: String, _ value: String, into buffer: inout CommandEncodeBuffer) throws(EncodingError) {
                buffer.write(name + " ")
                try buffer.writeAString(Array(value.utf8))
            }
            switch key {
            case .all: buffer.write("ALL")
            case .seen: buffer.write("SEEN")
            case .unseen: buffer.write("UNSEEN")
            case .deleted: buffer.write("DELETED")
            case .undeleted: buffer.write("UNDELETED")
            case .flagged: buffer.write("FLAGGED")
            case .unflagged: buffer.write("UNFLAGGED")
            case .answered: buffer.write("ANSWERED")
            case .unanswered: buffer.write("UNANSWERED")
            case .draft: buffer.write("DRAFT")
            case .keyword(let flag), .unkeyword(let flag):
                try checkAtom(flag.rawValue, what: "keyword")
                if case .keyword = key { buffer.write("KEYWORD ") } else { buffer.write("UNKEYWORD ") }
                buffer.write(flag.rawValue)
            case .since(let value): try date("SINCE", value, into: &buffer)
            case .before(let value): try date("BEFORE", value, into: &buffer)
            case .on(let value): try date("ON", value, into: &buffer)
            case .sentSince(let value): try date("SENTSINCE", value, into: &buffer)
            case .sentBefore(let value): try date("SENTBEFORE", value, into: &buffer)
            case .sentOn(let value): try date("SENTON", value, into: &buffer)
            case .subject(let value): try string("SUBJECT", value, into: &buffer)
            case .from(let value): try string("FROM", value, into: &buffer)
            case .to(let value): try string("TO", value, into: &buffer)
            case .cc(let value): try string("CC", value, into: &buffer)
            case .bcc(let value): try string("BCC", value, into: &buffer)
            case .body(let value): try string("BODY", value, into: &buffer)
            case .text(let value): try string("TEXT", value, into: &buffer)
            case .header(let name, let value):
                try string("HEADER", name, into: &buffer)
                buffer.write(" ")
                try buffer.writeAString(Array(value.utf8))
            case .larger(let size), .smaller(let size):
                guard size >= 0 && size <= Int(UInt32.max) else { throw EncodingError(hint: "invalid size \(size)") }
                if case .larger = key { buffer.write("LARGER \(size)") } else { buffer.write("SMALLER \(size)") }
            case .uid(let set):
                buffer.write("UID " + (try render(set)))
            case .sequenceNumbers(let range):
                // sequence-set = (seq-number / seq-range) ; seq-range = seq-number ":" seq-number
                guard range.lowerBound.rawValue > 0 else { throw EncodingError(hint: "sequence numbers start at 1") }
                buffer.write("\(range.lowerBound.rawValue):\(range.upperBound.rawValue)")
            case .not(let inner):
                buffer.write("NOT ")
                try write(inner, into: &buffer, nested: true)
            case .or(let lhs, let rhs):
                buffer.write("OR ")
                try write(lhs, into: &buffer, nested: true)
                buffer.write(" ")
                try write(rhs, into: &buffer, nested: true)
            case .and(let keys):
                if keys.isEmpty {
                    buffer.write("ALL")
                } else if keys.count == 1 {
                    try write(keys[0], into: &buffer, nested: nested)
                } else {
                    if nested { buffer.write("(") }
                    for (index, inner) in keys.enumerated() {
                        if index > 0 { buffer.write(" ") }
                        try write(inner, into: &buffer, nested: true)
                    }
                    if nested { buffer.write(")") }
                }
            }
        }
    }
}
