extension IMAP {
    typealias PL = ParserLibrary

    /// Generic parser combinators (after apple/swift-nio-imap's `ParserLibrary`). Every function either consumes
    /// what it parsed, or leaves the buffer where it was and throws.
    enum ParserLibrary {
        typealias SubParser<T> = (inout ParseBuffer, StackTracker) throws -> T

        static func syntaxError(_ hint: String) -> ParserError {
            ParserError(kind: .syntax, hint: hint)
        }

        /// True for errors after which another alternative may be tried (a mismatch, not a limit).
        static func isBacktrackable(_ error: any Error) -> Bool {
            guard let error = error as? ParserError else { return false }
            return error.kind == .syntax || error.kind == .numberOverflow
        }

        /// The backtracking primitive: runs `body`, restoring the buffer if it throws.
        static func composite<T>(
            _ buffer: inout ParseBuffer,
            _ tracker: StackTracker,
            _ body: SubParser<T>
        ) throws -> T {
            let save = buffer.index
            do {
                return try body(&buffer, tracker)
            } catch {
                buffer.index = save
                throw error
            }
        }

        /// The first alternative that parses. ``IncompleteMessage`` and limit errors are not caught: an
        /// alternative that cannot decide yet must not let a later one guess.
        static func parseOneOf<T>(
            _ parsers: [SubParser<T>],
            _ buffer: inout ParseBuffer,
            _ tracker: StackTracker,
            hint: String
        ) throws -> T {
            for parser in parsers {
                do {
                    return try composite(&buffer, tracker, parser)
                } catch  where isBacktrackable(error) {
                    continue
                }
            }
            throw syntaxError(hint)
        }

        static func parseOptional<T>(
            _ buffer: inout ParseBuffer,
            _ tracker: StackTracker,
            _ parser: SubParser<T>
        ) throws -> T? {
            do {
                return try composite(&buffer, tracker, parser)
            } catch  where isBacktrackable(error) {
                return nil
            }
        }

        static func parseZeroOrMore<T>(
            _ buffer: inout ParseBuffer,
            _ tracker: StackTracker,
            _ parser: SubParser<T>
        ) throws -> [T] {
            var result: [T] = []
            while let value = try parseOptional(&buffer, tracker, parser) {
                result.append(value)
            }
            return result
        }

        static func parseOneOrMore<T>(
            _ buffer: inout ParseBuffer,
            _ tracker: StackTracker,
            _ parser: SubParser<T>
        ) throws -> [T] {
            var result = [try composite(&buffer, tracker, parser)]
            while let value = try parseOptional(&buffer, tracker, parser) {
                result.append(value)
            }
            return result
        }

        /// An exact ASCII string, case-insensitive by default. A matching prefix at the end of the buffer is
        /// incomplete, not a mismatch ("NI" may become "NIL").
        static func parseFixedString(
            _ string: String,
            caseSensitive: Bool = false,
            _ buffer: inout ParseBuffer
        ) throws {
            let start = buffer.index
            for expected in string.utf8 {
                guard buffer.index < buffer.endIndex else {
                    buffer.index = start
                    throw IncompleteMessage()
                }
                var actual = buffer.bytes[buffer.index]
                var wanted = expected
                if !caseSensitive {
                    actual = lowercased(actual)
                    wanted = lowercased(wanted)
                }
                guard actual == wanted else {
                    buffer.index = start
                    throw syntaxError("expected \"\(string)\"")
                }
                buffer.index += 1
            }
        }

        static func lowercased(_ byte: UInt8) -> UInt8 {
            byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
        }

        /// One specific byte.
        static func parseByte(_ byte: UInt8, _ buffer: inout ParseBuffer) throws {
            guard try buffer.peek() == byte else {
                throw syntaxError("expected \"\(Character(Unicode.Scalar(byte)))\"")
            }
            buffer.index += 1
        }

        /// True (and consumed) if the next byte is `byte`; false if it is another byte.
        static func consumeIf(_ byte: UInt8, _ buffer: inout ParseBuffer) throws -> Bool {
            guard try buffer.peek() == byte else { return false }
            buffer.index += 1
            return true
        }

        // SP = %x20
        static func parseSpace(_ buffer: inout ParseBuffer) throws {
            try parseByte(UInt8(ascii: " "), &buffer)
        }

        // SP = %x20 — tolerance: servers sometimes send two spaces; one or more are accepted where one is due.
        static func parseSpaces(_ buffer: inout ParseBuffer) throws {
            try parseSpace(&buffer)
            while buffer.index < buffer.endIndex && buffer.bytes[buffer.index] == UInt8(ascii: " ") {
                buffer.index += 1
            }
        }

        /// Skips any spaces (zero or more); never incomplete.
        static func skipSpaces(_ buffer: inout ParseBuffer) {
            while buffer.index < buffer.endIndex && buffer.bytes[buffer.index] == UInt8(ascii: " ") {
                buffer.index += 1
            }
        }

        // CRLF = CR LF — tolerance: a bare LF is accepted as a line end.
        static func parseNewline(_ buffer: inout ParseBuffer) throws {
            let byte = try buffer.peek()
            if byte == UInt8(ascii: "\n") {
                buffer.index += 1
                return
            }
            guard byte == UInt8(ascii: "\r") else { throw syntaxError("expected end of line") }
            guard try buffer.peek(offset: 1) == UInt8(ascii: "\n") else { throw syntaxError("expected LF after CR") }
            buffer.index += 2
        }

        /// One or more bytes satisfying `predicate`. Reaching the end of the buffer is incomplete (the run may go
        /// on), unless `maxLength` bytes were read.
        static func parseBytes(
            _ buffer: inout ParseBuffer,
            minLength: Int = 1,
            maxLength: Int = Int.max,
            hint: String,
            where predicate: (UInt8) -> Bool
        ) throws -> ArraySlice<UInt8> {
            let start = buffer.index
            var index = start
            while index - start < maxLength {
                guard index < buffer.endIndex else { throw IncompleteMessage() }
                guard predicate(buffer.bytes[index]) else { break }
                index += 1
            }
            guard index - start >= minLength else { throw syntaxError(hint) }
            buffer.index = index
            return buffer.bytes[start..<index]
        }

        static func isDigit(_ byte: UInt8) -> Bool {
            byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
        }

        /// 1*DIGIT as an unsigned integer no larger than `max`; overflow is an error, never a trap.
        static func parseUnsignedInteger(_ buffer: inout ParseBuffer, max: UInt64) throws -> UInt64 {
            let start = buffer.index
            let digits = try parseBytes(&buffer, hint: "expected a number", where: isDigit)
            var value: UInt64 = 0
            for digit in digits {
                let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
                guard !overflow1, !overflow2, sum <= max else {
                    buffer.index = start
                    throw ParserError(kind: .numberOverflow, hint: "number too large (maximum \(max))")
                }
                value = sum
            }
            return value
        }

        // number = 1*DIGIT ; Unsigned 32-bit integer (0 <= n < 4,294,967,296)
        static func parseNumber(_ buffer: inout ParseBuffer) throws -> UInt32 {
            UInt32(try parseUnsignedInteger(&buffer, max: UInt64(UInt32.max)))
        }

        // nz-number = digit-nz *DIGIT ; Non-zero unsigned 32-bit integer
        static func parseNZNumber(_ buffer: inout ParseBuffer) throws -> UInt32 {
            let start = buffer.index
            let value = try parseNumber(&buffer)
            guard value != 0 else {
                buffer.index = start
                throw syntaxError("expected a non-zero number")
            }
            return value
        }

        // number64 = 1*DIGIT ; Unsigned 63-bit integer (0 <= n <= 9,223,372,036,854,775,807)  (RFC 9051)
        static func parseNumber64(_ buffer: inout ParseBuffer) throws -> Int {
            Int(try parseUnsignedInteger(&buffer, max: UInt64(Int64.max)))
        }
    }
}
