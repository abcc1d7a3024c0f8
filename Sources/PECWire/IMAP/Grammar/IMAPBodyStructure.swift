extension IMAP {
    /// BODYSTRUCTURE / BODY (RFC 3501 §7.4.2): the MIME tree of a message as the server sees it.
    ///
    /// ### Example
    /// `(("text" "plain" ("charset" "utf-8") NIL NIL "8bit" 28 0)("application" "pdf" NIL NIL NIL "base64" 64) "mixed")`
    /// is a `.multipart` with two `.singlepart`s, at part paths `[1]` and `[2]`.
    package indirect enum BodyStructure: Hashable, Sendable {
        case singlepart(SinglePart)
        case multipart(MultiPart)

        /// A `name=value` parameter; the name is lowercased, the value is raw wire bytes.
        package struct BodyParameter: Hashable, Sendable {
            package var name: String
            package var value: [UInt8]
            package init(name: String, value: [UInt8]) {
                self.name = name.lowercased()
                self.value = value
            }
            package var valueString: String { String(decoding: value, as: UTF8.self) }
        }

        /// Content-Disposition: kind lowercased ("attachment", "inline").
        package struct Disposition: Hashable, Sendable {
            package var kind: String
            package var parameters: [BodyParameter]
            package init(kind: String, parameters: [BodyParameter]) {
                self.kind = kind.lowercased()
                self.parameters = parameters
            }
        }

        /// A non-multipart body part.
        package struct SinglePart: Hashable, Sendable {
            package enum Kind: Hashable, Sendable {
                case basic
                case text(lineCount: Int)
                /// message/rfc822 (or message/global): the embedded message's envelope and body.
                case message(envelope: Envelope, body: BodyStructure, lineCount: Int)
            }

            /// Lowercased media type ("text", "application", …).
            package var type: String
            /// Lowercased media subtype ("plain", "pdf", …).
            package var subtype: String
            package var parameters: [BodyParameter]
            package var id: [UInt8]?
            package var description: [UInt8]?
            /// Lowercased Content-Transfer-Encoding ("7bit", "base64", …); "" when the server sent NIL.
            package var encoding: String
            /// Size in octets of the encoded body.
            package var size: Int
            package var kind: Kind
            // Extension data (BODYSTRUCTURE only; nil/empty when the server did not send it).
            package var md5: [UInt8]?
            package var disposition: Disposition?
            package var language: [String]
            package var location: [UInt8]?

            package init(
                type: String,
                subtype: String,
                parameters: [BodyParameter] = [],
                id: [UInt8]? = nil,
                description: [UInt8]? = nil,
                encoding: String,
                size: Int,
                kind: Kind = .basic,
                md5: [UInt8]? = nil,
                disposition: Disposition? = nil,
                language: [String] = [],
                location: [UInt8]? = nil
            ) {
                self.type = type.lowercased()
                self.subtype = subtype.lowercased()
                self.parameters = parameters
                self.id = id
                self.description = description
                self.encoding = encoding.lowercased()
                self.size = size
                self.kind = kind
                self.md5 = md5
                self.disposition = disposition
                self.language = language
                self.location = location
            }

            /// "type/subtype".
            package var mediaType: String { type + "/" + subtype }

            /// The disposition's `filename` parameter, else the content type's `name` parameter (raw bytes).
            package var filename: [UInt8]? {
                disposition?.parameters.first { $0.name == "filename" }?.value
                    ?? parameters.first { $0.name == "name" }?.value
            }
        }

        /// A multipart body: its parts (at least one, in order) and its subtype ("mixed", "signed", …).
        package struct MultiPart: Hashable, Sendable {
            package var parts: [BodyStructure]
            /// Lowercased subtype.
            package var subtype: String
            package var parameters: [BodyParameter]
            package var disposition: Disposition?
            package var language: [String]
            package var location: [UInt8]?

            package init(
                parts: [BodyStructure],
                subtype: String,
                parameters: [BodyParameter] = [],
                disposition: Disposition? = nil,
                language: [String] = [],
                location: [UInt8]? = nil
            ) {
                self.parts = parts
                self.subtype = subtype.lowercased()
                self.parameters = parameters
                self.disposition = disposition
                self.language = language
                self.location = location
            }
        }

        /// The part at an IMAP part path (1-based; `[]` is the whole body). A message/rfc822 part's children
        /// are those of its embedded body, per RFC 3501 §6.4.5: for "1.3.2", part 3 of part 1 is a
        /// message whose body's part 2 is returned. A non-multipart top-level body is part `[1]`.
        package func part(_ path: [Int]) -> BodyStructure? {
            var current = self
            var isTop = true
            for number in path {
                guard let next = current.child(number, isTop: isTop) else { return nil }
                current = next
                isTop = false
            }
            return current
        }

        private func child(_ number: Int, isTop: Bool) -> BodyStructure? {
            switch self {
            case .multipart(let multi):
                guard number >= 1 && number <= multi.parts.count else { return nil }
                return multi.parts[number - 1]
            case .singlepart(let single):
                if case .message(_, let body, _) = single.kind {
                    if case .multipart = body { return body.child(number, isTop: false) }
                    return number == 1 ? body : nil
                }
                return isTop && number == 1 ? self : nil
            }
        }

        /// Every non-multipart part with its path, in order. message/rfc822 parts are leaves here (they are
        /// not descended into); use ``allParts`` for the whole tree.
        package var leafParts: [(path: [Int], part: SinglePart)] {
            var result: [(path: [Int], part: SinglePart)] = []
            switch self {
            case .singlepart(let single):
                result.append((path: [1], part: single))
            case .multipart:
                collect(prefix: [], descendIntoMessages: false) { path, body in
                    if case .singlepart(let single) = body { result.append((path: path, part: single)) }
                }
            }
            return result
        }

        /// Every node of the tree (multiparts too, and the bodies of embedded messages) with its path, in
        /// depth-first order; the root is reported with path `[]`.
        package var allParts: [(path: [Int], body: BodyStructure)] {
            var result: [(path: [Int], body: BodyStructure)] = [(path: [], body: self)]
            if case .singlepart = self {
                collect(prefix: [], descendIntoMessages: true, isTop: true) { result.append((path: $0, body: $1)) }
            } else {
                collect(prefix: [], descendIntoMessages: true) { result.append((path: $0, body: $1)) }
            }
            return result
        }

        private func collect(
            prefix: [Int],
            descendIntoMessages: Bool,
            isTop: Bool = false,
            _ visit: ([Int], BodyStructure) -> Void
        ) {
            switch self {
            case .multipart(let multi):
                for (index, part) in multi.parts.enumerated() {
                    let path = prefix + [index + 1]
                    visit(path, part)
                    if case .multipart = part {
                        part.collect(prefix: path, descendIntoMessages: descendIntoMessages, visit)
                    } else if descendIntoMessages, case .singlepart(let single) = part,
                        case .message = single.kind
                    {
                        part.collect(prefix: path, descendIntoMessages: true, visit)
                    }
                }
            case .singlepart(let single):
                if isTop {
                    visit([1], self)
                    if case .message = single.kind {
                        collect(prefix: [1], descendIntoMessages: descendIntoMessages, visit)
                    }
                    return
                }
                guard case .message(_, let body, _) = single.kind else { return }
                switch body {
                case .multipart:
                    body.collect(prefix: prefix, descendIntoMessages: descendIntoMessages, visit)
                case .singlepart(let inner):
                    let path = prefix + [1]
                    visit(path, body)
                    if case .message = inner.kind {
                        body.collect(prefix: path, descendIntoMessages: descendIntoMessages, visit)
                    }
                }
            }
        }
    }
}
