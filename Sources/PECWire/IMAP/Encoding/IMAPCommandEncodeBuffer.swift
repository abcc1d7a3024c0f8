extension IMAP {
    /// Accumulates one command's bytes, split into parts at synchronizing literals, plus a redacted rendering
    /// for logs (secrets as "***", literal contents as "{n bytes}").
    struct CommandEncodeBuffer {
        private(set) var parts: [[UInt8]] = [[]]
        private(set) var redacted = ""
        /// Whether a literal of this size may be sent non-synchronizing ({n+}).
        let nonSynchronizingLiteral: (Int) -> Bool

        /// Quoted strings longer than this are sent as literals instead.
        static let maxQuotedLength = 1000

        init(nonSynchronizingLiteral: @escaping (Int) -> Bool) {
            self.nonSynchronizingLiteral = nonSynchronizingLiteral
        }

        /// Protocol text (ASCII), shown as is in the redacted form.
        mutating func write(_ text: String) {
            parts[parts.count - 1].append(contentsOf: text.utf8)
            redacted += text
        }

        /// Raw bytes, shown in the redacted form as `shown`.
        mutating func writeRaw(_ bytes: [UInt8], shown: String) {
            parts[parts.count - 1].append(contentsOf: bytes)
            redacted += shown
        }

        /// Starts a new part: the sender waits for a "+" continuation before sending it.
        mutating func waitForContinuation() {
            parts.append([])
        }

        mutating func writeCRLF() {
            parts[parts.count - 1].append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
        }

        static func isAStringChar(_ byte: UInt8) -> Bool {
            GrammarParser.isAStringChar(byte)
        }

        /// astring = 1*ASTRING-CHAR / string: an atom when safe (and not "NIL"), else quoted, else a literal.
        mutating func writeAString(_ bytes: [UInt8], secret: Bool = false) throws(EncodingError) {
            if !bytes.isEmpty, bytes.allSatisfy(Self.isAStringChar),
                String(decoding: bytes, as: UTF8.self).uppercased() != "NIL"
            {
                writeRaw(bytes, shown: secret ? "***" : String(decoding: bytes, as: UTF8.self))
                return
            }
            try writeString(bytes, secret: secret)
        }

        /// string = quoted / literal: quoted with \" and \\ escapes when it is short 7-bit text, else a literal.
        mutating func writeString(_ bytes: [UInt8], secret: Bool = false) throws(EncodingError) {
            guard !bytes.contains(0) else { throw EncodingError(hint: "a string contains a NUL byte") }
            let quotable =
                bytes.count <= Self.maxQuotedLength
                && bytes.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
            if quotable {
                var quoted: [UInt8] = [UInt8(ascii: "\"")]
                for byte in bytes {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { quoted.append(UInt8(ascii: "\\")) }
                    quoted.append(byte)
                }
                quoted.append(UInt8(ascii: "\""))
                writeRaw(quoted, shown: secret ? "***" : String(decoding: quoted, as: UTF8.self))
            } else {
                writeLiteral(bytes, secret: secret)
            }
        }

        // literal = "{" number64 ["+"] "}" CRLF *CHAR8
        mutating func writeLiteral(_ bytes: [UInt8], secret: Bool = false) {
            if nonSynchronizingLiteral(bytes.count) {
                writeRaw(Array("{\(bytes.count)+}\r\n".utf8), shown: "")
                writeRaw(bytes, shown: secret ? "***" : "{\(bytes.count) bytes}")
            } else {
                writeRaw(Array("{\(bytes.count)}\r\n".utf8), shown: "")
                waitForContinuation()
                writeRaw(bytes, shown: secret ? "***" : "{\(bytes.count) bytes}")
            }
        }
    }
}
