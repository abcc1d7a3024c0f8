extension IMAP {
    /// A body section (RFC 3501 §6.4.5): a part path and what of it ("HEADER", "TEXT", "MIME", …).
    ///
    /// Encodes as the text between the brackets of `BODY[...]`: "" for the whole message,
    /// "1.2" for a part, "HEADER.FIELDS (FROM TO)", "1.3.TEXT". Header field names are uppercased so that a
    /// section sent by the client and the one echoed by the server compare equal.
    package struct SectionSpecifier: Hashable, Sendable, CustomStringConvertible {
        package enum Kind: Hashable, Sendable {
            /// The whole part (or message).
            case complete
            case header
            case headerFields([String])
            case headerFieldsNot([String])
            case text
            /// The MIME header of a part (needs a non-empty part path).
            case mime
        }

        /// 1-based part path; empty for the message itself.
        package var part: [Int]
        package var kind: Kind

        package init(part: [Int] = [], kind: Kind = .complete) {
            self.part = part
            switch kind {
            case .headerFields(let names): self.kind = .headerFields(names.map { $0.uppercased() })
            case .headerFieldsNot(let names): self.kind = .headerFieldsNot(names.map { $0.uppercased() })
            default: self.kind = kind
            }
        }

        /// The whole message: `BODY[]`.
        package static let complete = SectionSpecifier()
        /// `BODY[HEADER]`.
        package static let header = SectionSpecifier(kind: .header)
        /// `BODY[TEXT]`.
        package static let text = SectionSpecifier(kind: .text)

        /// The wire text between the brackets.
        package var description: String {
            var pieces: [String] = part.map { String($0) }
            switch kind {
            case .complete: break
            case .header: pieces.append("HEADER")
            case .headerFields(let names): pieces.append("HEADER.FIELDS (" + names.joined(separator: " ") + ")")
            case .headerFieldsNot(let names):
                pieces.append("HEADER.FIELDS.NOT (" + names.joined(separator: " ") + ")")
            case .text: pieces.append("TEXT")
            case .mime: pieces.append("MIME")
            }
            return pieces.joined(separator: ".")
        }
    }
}
