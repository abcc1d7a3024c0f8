extension IMAP {
    /// A read cursor over the parser's bytes. Copying it is cheap (the array is shared); backtracking restores
    /// ``index``. Reading past ``endIndex`` throws ``IncompleteMessage``: more bytes may make it parse.
    struct ParseBuffer {
        let bytes: [UInt8]
        var index: Int
        let endIndex: Int
        let options: ResponseParser.Options

        init(bytes: [UInt8], index: Int, endIndex: Int, options: ResponseParser.Options) {
            self.bytes = bytes
            self.index = index
            self.endIndex = endIndex
            self.options = options
        }

        /// Convenience for tests: a buffer over a whole array.
        init(_ bytes: [UInt8], options: ResponseParser.Options = .init()) {
            self.init(bytes: bytes, index: 0, endIndex: bytes.count, options: options)
        }

        var readableBytes: Int { endIndex - index }

        /// The next byte, without consuming it.
        func peek() throws -> UInt8 {
            guard index < endIndex else { throw IncompleteMessage() }
            return bytes[index]
        }

        /// The byte `offset` positions ahead, without consuming anything.
        func peek(offset: Int) throws -> UInt8 {
            guard offset >= 0, index + offset < endIndex else { throw IncompleteMessage() }
            return bytes[index + offset]
        }

        mutating func readByte() throws -> UInt8 {
            guard index < endIndex else { throw IncompleteMessage() }
            defer { index += 1 }
            return bytes[index]
        }

        /// Consumes `count` bytes that are known to be there.
        mutating func readBytes(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, count <= endIndex - index else { throw IncompleteMessage(requiredEnd: index + count) }
            defer { index += count }
            return bytes[index..<(index + count)]
        }
    }

    /// The internal "need more bytes" signal: ``ResponseParser/next()`` turns it into `nil` and keeps its state.
    /// `requiredEnd` is set when the parser knows exactly how many bytes it needs (a literal's payload);
    /// otherwise nothing can progress before the next line feed arrives.
    struct IncompleteMessage: Error {
        var requiredEnd: Int?
        init(requiredEnd: Int? = nil) { self.requiredEnd = requiredEnd }
    }

    /// Guards the recursive productions (nested bodies, nested lists) against hostile nesting.
    struct StackTracker {
        private(set) var depth = 0
        let limit: Int

        init(limit: Int) { self.limit = limit }

        mutating func newStackFrame() throws {
            depth += 1
            guard depth <= limit else {
                throw ParserError(kind: .tooMuchNesting, hint: "nesting deeper than \(limit) levels")
            }
        }
    }
}
