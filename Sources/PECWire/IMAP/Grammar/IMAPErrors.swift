extension IMAP {
    /// Thrown by ``ResponseParser/next()`` when the server's bytes break the grammar or a limit.
    ///
    /// After an error the byte stream is out of sync: every later `next()` throws the same error, and the
    /// connection should be closed.
    package struct ParserError: Error, Hashable, Sendable, CustomStringConvertible {
        package enum Kind: Hashable, Sendable {
            /// The bytes do not match the IMAP grammar.
            case syntax
            /// A line (with its non-body literals) grew past ``ResponseParser/Options/bufferLimit``.
            case bufferLimitExceeded
            /// A non-body literal announced more than ``ResponseParser/Options/literalSizeLimit`` bytes.
            case literalSizeLimitExceeded
            /// Parentheses nested deeper than ``ResponseParser/Options/maxNesting``.
            case tooMuchNesting
            /// A number too large for its field ("{99999999999999999999}").
            case numberOverflow
        }

        package var kind: Kind
        /// What was expected, for humans.
        package var hint: String
        /// A truncated, printable-ASCII excerpt of the response being parsed (no message content beyond it).
        package var line: String

        package init(kind: Kind = .syntax, hint: String, line: String = "") {
            self.kind = kind
            self.hint = hint
            self.line = line
        }

        package var description: String {
            line.isEmpty ? "IMAP parse error: \(hint)" : "IMAP parse error: \(hint) in: \(line)"
        }
    }

    /// Thrown by ``CommandEncoder/encode(_:tag:)`` for a command that cannot be put on the wire.
    package struct EncodingError: Error, Hashable, Sendable, CustomStringConvertible {
        package var hint: String
        package init(hint: String) { self.hint = hint }
        package var description: String { "cannot encode IMAP command: \(hint)" }
    }
}
