import PECCore

/// A parsed JSON text that remembers where each value and member is, so a file can be changed by
/// inserting or cutting only the bytes of one entry: the user's formatting, key order and (in Zed's
/// JSON-with-comments settings) comments stay exactly as they were.
struct JSONText: Sendable {
    /// A value and the bytes it spans.
    struct Node: Sendable {
        enum Kind: Sendable {
            case object([Member])
            case array([Node])
            case scalar(JSONValue)
        }
        var kind: Kind
        var range: Range<Int>

        var members: [Member]? {
            if case .object(let members) = kind { return members }
            return nil
        }

        var value: JSONValue {
            switch kind {
            case .object(let members): .object(members.map { JSONValue.Member($0.key, $0.value.value) })
            case .array(let items): .array(items.map(\.value))
            case .scalar(let value): value
            }
        }
    }

    struct Member: Sendable {
        var key: String
        /// Where the key's opening quote is.
        var start: Int
        var value: Node
        /// The comma written after the value, if any (JSONC allows one after the last member too).
        var comma: Int?
    }

    struct SyntaxError: Error, Sendable, Equatable {
        var line: Int
        var column: Int
        var message: String
    }

    let bytes: [UInt8]
    /// nil when the text is empty or only white space (a file just created by an editor).
    let root: Node?
    let allowsComments: Bool

    init(_ bytes: [UInt8], allowsComments: Bool) throws(SyntaxError) {
        self.bytes = bytes
        self.allowsComments = allowsComments
        var parser = Parser(bytes: bytes, allowsComments: allowsComments)
        root = try parser.document()
    }

    /// 1-based line and column of a byte offset, for error messages.
    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in bytes[..<min(offset, bytes.count)] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    // MARK: - Layout, for text we insert

    /// The white space a line starts with.
    func indentation(ofLineAt offset: Int) -> String {
        var start = offset
        while start > 0, bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
        var end = start
        while end < bytes.count, bytes[end] == UInt8(ascii: " ") || bytes[end] == UInt8(ascii: "\t") { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Whether only white space comes before `offset` on its line.
    func startsLine(_ offset: Int) -> Bool {
        var index = offset
        while index > 0 {
            let byte = bytes[index - 1]
            if byte == UInt8(ascii: "\n") { return true }
            guard byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") else { return false }
            index -= 1
        }
        return true
    }

    /// The file's own indentation step: that of its first indented line, else two spaces.
    var indentUnit: String {
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                var end = index + 1
                while end < bytes.count, bytes[end] == UInt8(ascii: " ") || bytes[end] == UInt8(ascii: "\t") {
                    end += 1
                }
                if end > index + 1, end < bytes.count, bytes[end] != UInt8(ascii: "\n") {
                    return String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
                }
            }
            index += 1
        }
        return "  "
    }

    /// After `offset`: spaces and tabs skipped, and a `//` comment that ends the line.
    func endOfLineContent(after offset: Int) -> Int {
        var index = offset
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
            index += 1
        }
        if allowsComments, index + 1 < bytes.count, bytes[index] == UInt8(ascii: "/"),
            bytes[index + 1] == UInt8(ascii: "/")
        {
            while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            // Back over a CR, so the insertion goes before the line's end however it is written.
            if index > offset, bytes[index - 1] == UInt8(ascii: "\r") { index -= 1 }
        }
        return index
    }

    var newline: String {
        bytes.firstIndex(of: UInt8(ascii: "\n")).map { $0 > 0 && bytes[$0 - 1] == UInt8(ascii: "\r") } == true
            ? "\r\n" : "\n"
    }
}

// MARK: - Parsing

extension JSONText {
    fileprivate struct Parser {
        let bytes: [UInt8]
        let allowsComments: Bool
        var index = 0

        mutating func document() throws(SyntaxError) -> Node? {
            // A UTF-8 byte order mark, as some Windows editors write.
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
            try skipSpace()
            guard index < bytes.count else { return nil }
            let root = try value(depth: 0)
            try skipSpace()
            guard index == bytes.count else { throw error("unexpected text after the end of the JSON value") }
            return root
        }

        func error(_ message: String, at offset: Int? = nil) -> SyntaxError {
            let (line, column) = JSONText.position(of: offset ?? index, in: bytes)
            return SyntaxError(line: line, column: column, message: message)
        }

        mutating func skipSpace() throws(SyntaxError) {
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                    index += 1
                case UInt8(ascii: "/") where index + 1 < bytes.count:
                    guard allowsComments else { throw error("comments are not allowed in this file (plain JSON)") }
                    if bytes[index + 1] == UInt8(ascii: "/") {
                        while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
                    } else if bytes[index + 1] == UInt8(ascii: "*") {
                        let start = index
                        index += 2
                        while index + 1 < bytes.count,
                            !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/"))
                        {
                            index += 1
                        }
                        guard index + 1 < bytes.count else { throw error("a /* comment is not closed", at: start) }
                        index += 2
                    } else {
                        return
                    }
                default:
                    return
                }
            }
        }

        mutating func value(depth: Int) throws(SyntaxError) -> Node {
            guard depth < 200 else { throw error("nested too deeply") }
            guard index < bytes.count else { throw error("the file ends where a value was expected") }
            let start = index
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var members: [Member] = []
                try skipSpace()
                while true {
                    guard index < bytes.count else { throw error("an object is not closed", at: start) }
                    if bytes[index] == UInt8(ascii: "}") {
                        if let last = members.last, last.comma != nil, !allowsComments {
                            throw error(
                                "a comma before } (trailing commas are not allowed in plain JSON)",
                                at: last.comma
                            )
                        }
                        index += 1
                        return Node(kind: .object(members), range: start..<index)
                    }
                    if let last = members.last, last.comma == nil { throw error("expected , or } after a member") }
                    guard bytes[index] == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
                    let keyStart = index
                    let key = try string()
                    try skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                        throw error("expected : after the key \"\(key)\"")
                    }
                    index += 1
                    try skipSpace()
                    let item = try value(depth: depth + 1)
                    try skipSpace()
                    var comma: Int?
                    if index < bytes.count, bytes[index] == UInt8(ascii: ",") {
                        comma = index
                        index += 1
                        try skipSpace()
                    }
                    members.append(Member(key: key, start: keyStart, value: item, comma: comma))
                }
            case UInt8(ascii: "["):
                index += 1
                var items: [Node] = []
                var lastComma: Int?
                try skipSpace()
                while true {
                    guard index < bytes.count else { throw error("an array is not closed", at: start) }
                    if bytes[index] == UInt8(ascii: "]") {
                        if let comma = lastComma, !allowsComments {
                            throw error("a comma before ] (trailing commas are not allowed in plain JSON)", at: comma)
                        }
                        index += 1
                        return Node(kind: .array(items), range: start..<index)
                    }
                    if !items.isEmpty, lastComma == nil { throw error("expected , or ] after an item") }
                    items.append(try value(depth: depth + 1))
                    try skipSpace()
                    lastComma = nil
                    if index < bytes.count, bytes[index] == UInt8(ascii: ",") {
                        lastComma = index
                        index += 1
                        try skipSpace()
                    }
                }
            case UInt8(ascii: "\""):
                let text = try string()
                return Node(kind: .scalar(.string(text)), range: start..<index)
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                for (word, scalar) in [("true", JSONValue.bool(true)), ("false", .bool(false)), ("null", .null)]
                where bytes[index...].starts(with: word.utf8) {
                    index += word.utf8.count
                    return Node(kind: .scalar(scalar), range: start..<index)
                }
                throw error("unexpected text where a value was expected")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                while index < bytes.count, "+-.eE0123456789".utf8.contains(bytes[index]) { index += 1 }
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                guard Double(text) != nil else { throw error("malformed number \(text)", at: start) }
                return Node(kind: .scalar(.number(text)), range: start..<index)
            default:
                throw error("unexpected character where a value was expected")
            }
        }

        mutating func string() throws(SyntaxError) -> String {
            let start = index
            index += 1
            var scalars = String.UnicodeScalarView()
            var runStart = index
            func flush(_ end: Int) {
                scalars.append(contentsOf: String(decoding: bytes[runStart..<end], as: UTF8.self).unicodeScalars)
            }
            while true {
                guard index < bytes.count else { throw error("a string is not closed", at: start) }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    flush(index)
                    index += 1
                    return String(scalars)
                }
                guard byte >= 0x20 else { throw error("a control character inside a string") }
                guard byte == UInt8(ascii: "\\") else {
                    index += 1
                    continue
                }
                flush(index)
                guard index + 1 < bytes.count else { throw error("a string is not closed", at: start) }
                let escape = bytes[index + 1]
                index += 2
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), bytes[index...].starts(with: "\\u".utf8) {
                        index += 2
                        let low = try hex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low &- 0xDC00)
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default:
                    throw error("an unknown escape in a string", at: index - 2)
                }
                runStart = index
            }
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard index + 4 <= bytes.count,
                let code = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16)
            else { throw error("a malformed \\u escape") }
            index += 4
            return code
        }
    }
}
