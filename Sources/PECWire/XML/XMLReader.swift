/// A small, strict XML 1.0 pull reader over UTF-8 bytes, for the documents gestori send (daticert.xml,
/// REM evidence), read after ``XMLSafetyGate``: no DTD is ever read, no entity but the five predefined
/// ones and character references exists, and anything not well-formed is an ``Error`` with its line and
/// column, never a guess.
///
/// It reads: the XML declaration, comments, processing instructions, CDATA sections, a DOCTYPE naming an
/// external DTD (skipped unread; an internal subset must be empty), elements with attributes in single or
/// double quotes, and (with `namespaces`) the Namespaces in XML 1.0 rules: `xmlns` and `xmlns:p`
/// declarations scoped to their element, prefixes resolved to URIs, unbound prefixes refused. Line ends
/// are normalized to LF and attribute values have their whitespace normalized, as XML 1.0 §2.11 and §3.3.3
/// require.
///
/// Bounded and linear: one pass over the bytes (plus one to check they are UTF-8 and XML characters), no
/// recursion, nesting limited to `maximumDepth`; every index is checked, so no byte sequence can trap.
package struct XMLReader {
    /// An element or attribute name. With namespaces, `prefix` and `local` split the qualified name and
    /// `namespace` is the URI it resolves to (nil for none); without, `local` is the whole name.
    package struct Name: Sendable, Equatable, CustomStringConvertible {
        package var qualified: String
        package var prefix: String?
        package var local: String
        package var namespace: String?

        package init(qualified: String, prefix: String? = nil, local: String? = nil, namespace: String? = nil) {
            self.qualified = qualified
            self.prefix = prefix
            self.local = local ?? qualified
            self.namespace = namespace
        }

        package var description: String { qualified }
    }

    /// An attribute as written (namespace declarations are not reported when namespaces are processed).
    package struct Attribute: Sendable, Equatable {
        package var name: Name
        package var value: String

        package init(name: Name, value: String) {
            self.name = name
            self.value = value
        }
    }

    package enum Event: Sendable, Equatable {
        /// A start tag; an empty-element tag (`<a/>`) gives `start` then `end`.
        case start(Name, [Attribute])
        case end(Name)
        /// The character data between two tags: text with its references resolved and CDATA sections,
        /// joined (comments and processing instructions in between are dropped). Never empty.
        case text(String)
    }

    package struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong; the raw value is the `code` of the parsers' `malformedXML` errors.
        package enum Kind: Int, Sendable, CaseIterable {
            case invalidCharacter = 1
            case noRootElement
            case contentOutsideRoot
            case multipleRootElements
            case invalidName
            case malformedTag
            case unterminatedTag
            case unquotedAttributeValue
            case unterminatedAttributeValue
            case lessThanInAttributeValue
            case duplicateAttribute
            case mismatchedEndTag
            case unexpectedEndTag
            case unclosedElement
            case malformedReference
            case undefinedEntity
            case invalidCharacterReference
            case cdataEndInText
            case malformedComment
            case unterminatedComment
            case unterminatedCDATA
            case malformedProcessingInstruction
            case unterminatedProcessingInstruction
            case misplacedXMLDeclaration
            case malformedXMLDeclaration
            case unsupportedEncoding
            case malformedDoctype
            case misplacedDoctype
            case internalSubset
            case malformedMarkup
            case unboundPrefix
            case invalidNamespaceDeclaration
            case tooDeep

            package var reason: String {
                switch self {
                case .invalidCharacter: "a byte sequence that is not a UTF-8 XML character"
                case .noRootElement: "no root element"
                case .contentOutsideRoot: "text outside the root element"
                case .multipleRootElements: "a second root element"
                case .invalidName: "an invalid element or attribute name"
                case .malformedTag: "a malformed tag"
                case .unterminatedTag: "an unterminated tag"
                case .unquotedAttributeValue: "an attribute value without quotes"
                case .unterminatedAttributeValue: "an unterminated attribute value"
                case .lessThanInAttributeValue: "'<' in an attribute value"
                case .duplicateAttribute: "a duplicate attribute"
                case .mismatchedEndTag: "an end tag that does not match the open element"
                case .unexpectedEndTag: "an end tag with no open element"
                case .unclosedElement: "the document ends inside an element"
                case .malformedReference: "a malformed entity or character reference"
                case .undefinedEntity: "a reference to an undeclared entity"
                case .invalidCharacterReference: "a character reference to an invalid character"
                case .cdataEndInText: "']]>' in text"
                case .malformedComment: "'--' inside a comment"
                case .unterminatedComment: "an unterminated comment"
                case .unterminatedCDATA: "an unterminated CDATA section"
                case .malformedProcessingInstruction: "a malformed processing instruction"
                case .unterminatedProcessingInstruction: "an unterminated processing instruction"
                case .misplacedXMLDeclaration: "an XML declaration not at the start"
                case .malformedXMLDeclaration: "a malformed XML declaration"
                case .unsupportedEncoding: "an encoding other than UTF-8"
                case .malformedDoctype: "a malformed DOCTYPE"
                case .misplacedDoctype: "a DOCTYPE after the root element or a second DOCTYPE"
                case .internalSubset: "a DOCTYPE with an internal subset"
                case .malformedMarkup: "unknown markup after '<!'"
                case .unboundPrefix: "an undeclared namespace prefix"
                case .invalidNamespaceDeclaration: "an invalid namespace declaration"
                case .tooDeep: "elements nested too deeply"
                }
            }
        }

        package var kind: Kind
        /// 1-based; lines end at LF, CR LF or CR, columns count characters.
        package var line: Int
        package var column: Int

        package init(_ kind: Kind, line: Int, column: Int) {
            self.kind = kind
            self.line = line
            self.column = column
        }

        package var description: String { "line \(line), column \(column): \(kind.reason)" }

        /// The reason a `malformedXML` code stands for (any other code is shown as a number).
        package static func reason(code: Int) -> String { Kind(rawValue: code)?.reason ?? "XML error \(code)" }
    }

    package static let defaultMaximumDepth = 256
    static let xmlNamespace = "http://www.w3.org/XML/1998/namespace"
    static let xmlnsNamespace = "http://www.w3.org/2000/xmlns/"

    private let bytes: [UInt8]
    private let namespaces: Bool
    private let maximumDepth: Int
    private var position = 0
    private var started = false
    private var failure: Error?
    private var sawRoot = false
    private var sawDoctype = false
    private var pendingEnd = false
    private var open: [Name] = []
    /// Raw qualified names of the open elements, for matching end tags.
    private var openRaw: [String] = []
    /// The prefixes each open element declares ("" for the default namespace), to undo at its end.
    private var declared: [[String]] = []
    /// Prefix → the URIs it is bound to, innermost last; "" as URI undeclares the default namespace.
    private var bindings: [String: [String]] = ["xml": [XMLReader.xmlNamespace]]
    private var text: [UInt8] = []

    package init(_ bytes: [UInt8], namespaces: Bool = true, maximumDepth: Int = XMLReader.defaultMaximumDepth) {
        self.bytes = bytes
        self.namespaces = namespaces
        self.maximumDepth = maximumDepth
    }

    /// The next event, nil at the end of a well-formed document; after an error, the same error again.
    package mutating func next() throws(Error) -> Event? {
        if let failure { throw failure }
        do {
            return try step()
        } catch {
            failure = error
            throw error
        }
    }

    /// Reads the whole document, for tests and small callers.
    package static func events(
        _ bytes: [UInt8],
        namespaces: Bool = true,
        maximumDepth: Int = XMLReader.defaultMaximumDepth
    ) throws(Error) -> [Event] {
        var reader = XMLReader(bytes, namespaces: namespaces, maximumDepth: maximumDepth)
        var events: [Event] = []
        while let event = try reader.next() { events.append(event) }
        return events
    }

    // MARK: - The main loop

    private mutating func step() throws(Error) -> Event? {
        if !started {
            started = true
            if let invalid = Self.firstInvalidCharacter(in: bytes) { throw fail(.invalidCharacter, at: invalid) }
            try declaration()
        }
        if pendingEnd {
            pendingEnd = false
            return .end(closeElement())
        }
        while position < bytes.count {
            let byte = bytes[position]
            guard byte == UInt8(ascii: "<") else {
                if open.isEmpty {
                    guard Self.isWhitespace(byte) else { throw fail(.contentOutsideRoot, at: position) }
                    position += 1
                } else {
                    try characterData()
                }
                continue
            }
            switch self.byte(at: position + 1) {
            case UInt8(ascii: "/"):
                if let flushed = flushText() { return flushed }
                return try endTag()
            case UInt8(ascii: "?"):
                try processingInstruction()
            case UInt8(ascii: "!"):
                if starts(with: "<!--") {
                    try comment()
                } else if starts(with: "<![CDATA[") {
                    try cdata()
                } else if starts(with: "<!DOCTYPE") {
                    try doctype()
                } else {
                    throw fail(.malformedMarkup, at: position)
                }
            default:
                if let flushed = flushText() { return flushed }
                return try startTag()
            }
        }
        if !open.isEmpty { throw fail(.unclosedElement, at: position) }
        if !sawRoot { throw fail(.noRootElement, at: position) }
        return nil
    }

    private mutating func flushText() -> Event? {
        guard !text.isEmpty else { return nil }
        defer { text.removeAll(keepingCapacity: true) }
        return .text(String(decoding: text, as: UTF8.self))
    }

    // MARK: - Tags

    private mutating func startTag() throws(Error) -> Event {
        let start = position
        if open.isEmpty && sawRoot { throw fail(.multipleRootElements, at: start) }
        if open.count >= maximumDepth { throw fail(.tooDeep, at: start) }
        position += 1
        guard position < bytes.count else { throw fail(.unterminatedTag, at: start) }
        guard let raw = scanName() else { throw fail(.invalidName, at: position) }
        var attributes: [(name: String, value: String, offset: Int)] = []
        var seen: Set<String> = []
        var selfClosing = false
        while true {
            let spaced = skipWhitespace()
            guard position < bytes.count else { throw fail(.unterminatedTag, at: start) }
            if bytes[position] == UInt8(ascii: ">") {
                position += 1
                break
            }
            if bytes[position] == UInt8(ascii: "/") {
                guard byte(at: position + 1) == UInt8(ascii: ">") else {
                    throw fail(position + 1 < bytes.count ? .malformedTag : .unterminatedTag, at: position)
                }
                position += 2
                selfClosing = true
                break
            }
            guard spaced else { throw fail(.malformedTag, at: position) }
            let offset = position
            guard let name = scanName() else { throw fail(.invalidName, at: position) }
            skipWhitespace()
            guard position < bytes.count else { throw fail(.unterminatedTag, at: start) }
            guard bytes[position] == UInt8(ascii: "=") else { throw fail(.malformedTag, at: position) }
            position += 1
            skipWhitespace()
            let value = try attributeValue(tagStart: start)
            guard seen.insert(name).inserted else { throw fail(.duplicateAttribute, at: offset) }
            attributes.append((name, value, offset))
        }

        let name: Name
        var reported: [Attribute] = []
        if namespaces {
            var prefixes: [String] = []
            for attribute in attributes {
                guard let prefix = Self.declaredPrefix(attribute.name) else { continue }
                try checkDeclaration(prefix: prefix, uri: attribute.value, at: attribute.offset)
                bindings[prefix, default: []].append(attribute.value)
                prefixes.append(prefix)
            }
            declared.append(prefixes)
            // Pushed before resolving, so that a failure below leaves the scopes consistent (it is final).
            openRaw.append(raw)
            open.append(Name(qualified: raw))
            name = try resolve(raw, isAttribute: false, at: start + 1)
            var expanded: Set<String> = []
            for attribute in attributes where Self.declaredPrefix(attribute.name) == nil {
                let resolved = try resolve(attribute.name, isAttribute: true, at: attribute.offset)
                if let namespace = resolved.namespace,
                    !expanded.insert(namespace + " " + resolved.local).inserted
                {
                    throw fail(.duplicateAttribute, at: attribute.offset)
                }
                reported.append(Attribute(name: resolved, value: attribute.value))
            }
            open[open.count - 1] = name
        } else {
            name = Name(qualified: raw)
            reported = attributes.map { Attribute(name: Name(qualified: $0.name), value: $0.value) }
            declared.append([])
            openRaw.append(raw)
            open.append(name)
        }
        sawRoot = true
        pendingEnd = selfClosing
        return .start(name, reported)
    }

    private mutating func endTag() throws(Error) -> Event {
        let start = position
        position += 2
        guard position < bytes.count else { throw fail(.unterminatedTag, at: start) }
        guard let raw = scanName() else { throw fail(.invalidName, at: position) }
        skipWhitespace()
        guard position < bytes.count else { throw fail(.unterminatedTag, at: start) }
        guard bytes[position] == UInt8(ascii: ">") else { throw fail(.malformedTag, at: position) }
        position += 1
        guard let current = openRaw.last else { throw fail(.unexpectedEndTag, at: start) }
        guard current == raw else { throw fail(.mismatchedEndTag, at: start) }
        return .end(closeElement())
    }

    private mutating func closeElement() -> Name {
        openRaw.removeLast()
        for prefix in declared.popLast() ?? [] {
            bindings[prefix]?.removeLast()
            if bindings[prefix]?.isEmpty == true { bindings[prefix] = nil }
        }
        return open.removeLast()
    }

    /// The value between quotes, references resolved, whitespace characters turned into spaces.
    private mutating func attributeValue(tagStart: Int) throws(Error) -> String {
        guard position < bytes.count else { throw fail(.unterminatedTag, at: tagStart) }
        let quote = bytes[position]
        guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
            throw fail(.unquotedAttributeValue, at: position)
        }
        let open = position
        position += 1
        var value: [UInt8] = []
        while true {
            guard position < bytes.count else { throw fail(.unterminatedAttributeValue, at: open) }
            let byte = bytes[position]
            switch byte {
            case quote:
                position += 1
                return String(decoding: value, as: UTF8.self)
            case UInt8(ascii: "<"):
                throw fail(.lessThanInAttributeValue, at: position)
            case UInt8(ascii: "&"):
                Self.append(try reference(), to: &value)
            case 0x0D:
                value.append(0x20)
                position += self.byte(at: position + 1) == 0x0A ? 2 : 1
            case 0x09, 0x0A:
                value.append(0x20)
                position += 1
            default:
                value.append(byte)
                position += 1
            }
        }
    }

    // MARK: - Namespaces

    /// `xmlns` → "", `xmlns:p` → "p"; nil for any other attribute.
    private static func declaredPrefix(_ name: String) -> String? {
        if name == "xmlns" { return "" }
        // `xmlns:` alone declares nothing: it is then refused as a name with an empty local part.
        guard name.hasPrefix("xmlns:"), name.utf8.count > 6 else { return nil }
        return String(name.dropFirst(6))
    }

    private func checkDeclaration(prefix: String, uri: String, at offset: Int) throws(Error) {
        if prefix.isEmpty {
            guard uri != Self.xmlNamespace, uri != Self.xmlnsNamespace else {
                throw fail(.invalidNamespaceDeclaration, at: offset)
            }
            return
        }
        guard Self.isNCName(prefix), prefix != "xmlns", !uri.isEmpty, uri != Self.xmlnsNamespace,
            (prefix == "xml") == (uri == Self.xmlNamespace)
        else { throw fail(.invalidNamespaceDeclaration, at: offset) }
    }

    /// The qualified name split and resolved: unprefixed attributes are in no namespace, unprefixed
    /// elements in the default one.
    private func resolve(_ raw: String, isAttribute: Bool, at offset: Int) throws(Error) -> Name {
        let parts = raw.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            guard !isAttribute, let uri = bindings[""]?.last, !uri.isEmpty else { return Name(qualified: raw) }
            return Name(qualified: raw, local: raw, namespace: uri)
        case 2:
            let prefix = String(parts[0])
            let local = String(parts[1])
            guard Self.isNCName(prefix), Self.isNCName(local) else { throw fail(.invalidName, at: offset) }
            guard prefix != "xmlns", let uri = bindings[prefix]?.last else { throw fail(.unboundPrefix, at: offset) }
            return Name(qualified: raw, prefix: prefix, local: local, namespace: uri)
        default:
            throw fail(.invalidName, at: offset)
        }
    }

    private static func isNCName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != ":", isNameStart(first.value) else { return false }
        return !name.unicodeScalars.contains(":")
    }

    // MARK: - Character data and references

    private mutating func characterData() throws(Error) {
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "<"):
                return
            case UInt8(ascii: "&"):
                Self.append(try reference(), to: &text)
            case 0x0D:
                text.append(0x0A)
                position += self.byte(at: position + 1) == 0x0A ? 2 : 1
            case UInt8(ascii: "]") where starts(with: "]]>"):
                throw fail(.cdataEndInText, at: position)
            default:
                text.append(byte)
                position += 1
            }
        }
    }

    private static func append(_ scalar: Unicode.Scalar, to output: inout [UInt8]) {
        UTF8.encode(scalar) { output.append($0) }
    }

    /// The character `&lt;` `&gt;` `&amp;` `&apos;` `&quot;`, `&#N;` or `&#xH;` at `position` stands for.
    private mutating func reference() throws(Error) -> Unicode.Scalar {
        let start = position
        position += 1
        if byte(at: position) == UInt8(ascii: "#") {
            position += 1
            let hex = byte(at: position) == UInt8(ascii: "x")
            if hex { position += 1 }
            var value = 0
            var digits = 0
            while let byte = self.byte(at: position), let digit = Self.digit(byte, hex: hex) {
                // Clamped above the largest code point: no overflow, however many digits.
                value = min(value * (hex ? 16 : 10) + digit, 0x11_0000)
                digits += 1
                position += 1
            }
            guard digits > 0, byte(at: position) == UInt8(ascii: ";") else {
                throw fail(.malformedReference, at: start)
            }
            position += 1
            guard let scalar = Unicode.Scalar(UInt32(value)), Self.isCharacter(scalar.value) else {
                throw fail(.invalidCharacterReference, at: start)
            }
            return scalar
        }
        guard let name = scanName() else { throw fail(.malformedReference, at: start) }
        guard byte(at: position) == UInt8(ascii: ";") else { throw fail(.malformedReference, at: start) }
        position += 1
        switch name {
        case "lt": return "<"
        case "gt": return ">"
        case "amp": return "&"
        case "apos": return "'"
        case "quot": return "\""
        default: throw fail(.undefinedEntity, at: start)
        }
    }

    private static func digit(_ byte: UInt8, hex: Bool) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f") where hex: Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F") where hex: Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    // MARK: - Comments, CDATA, processing instructions, declarations

    private mutating func comment() throws(Error) {
        let start = position
        position += 4
        guard let dashes = find("--", from: position) else { throw fail(.unterminatedComment, at: start) }
        guard byte(at: dashes + 2) == UInt8(ascii: ">") else {
            throw fail(dashes + 2 < bytes.count ? .malformedComment : .unterminatedComment, at: dashes)
        }
        position = dashes + 3
    }

    private mutating func cdata() throws(Error) {
        let start = position
        guard !open.isEmpty else { throw fail(.contentOutsideRoot, at: start) }
        position += 9
        guard let end = find("]]>", from: position) else { throw fail(.unterminatedCDATA, at: start) }
        var index = position
        while index < end {
            let byte = bytes[index]
            if byte == 0x0D {
                text.append(0x0A)
                index += bytes[index + 1] == 0x0A ? 2 : 1  // index + 1 <= end < count
            } else {
                text.append(byte)
                index += 1
            }
        }
        position = end + 3
    }

    /// `<?target …?>` anywhere but at the start, where only the XML declaration is (``declaration()``).
    private mutating func processingInstruction() throws(Error) {
        let start = position
        position += 2
        guard let target = scanName() else {
            let kind: Error.Kind =
                position < bytes.count ? .malformedProcessingInstruction : .unterminatedProcessingInstruction
            throw fail(kind, at: start)
        }
        if target.lowercased() == "xml" { throw fail(.misplacedXMLDeclaration, at: start) }
        guard let end = find("?>", from: position) else { throw fail(.unterminatedProcessingInstruction, at: start) }
        guard end == position || (byte(at: position).map(Self.isWhitespace) ?? false) else {
            throw fail(.malformedProcessingInstruction, at: position)
        }
        position = end + 2
    }

    /// The XML declaration, if the document starts with one (after an optional UTF-8 byte order mark):
    /// `version` first, then `encoding` (UTF-8 or US-ASCII: the bytes are read as UTF-8), `standalone`.
    private mutating func declaration() throws(Error) {
        if starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        guard starts(with: "<?xml"), let after = byte(at: position + 5), Self.isWhitespace(after) else { return }
        let start = position
        guard let end = find("?>", from: position) else { throw fail(.unterminatedProcessingInstruction, at: start) }
        position += 5
        var names: [String] = []
        while true {
            skipWhitespace()
            if position >= end { break }
            let offset = position
            guard let name = scanName() else { throw fail(.malformedXMLDeclaration, at: offset) }
            skipWhitespace()
            guard position < end, bytes[position] == UInt8(ascii: "=") else {
                throw fail(.malformedXMLDeclaration, at: position)
            }
            position += 1
            skipWhitespace()
            guard position < end, let quote = byte(at: position),
                quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'"),
                let close = bytes[(position + 1)..<end].firstIndex(of: quote)
            else { throw fail(.malformedXMLDeclaration, at: position) }
            let value = String(decoding: bytes[(position + 1)..<close], as: UTF8.self)
            position = close + 1
            switch (name, names) {
            case ("version", []):
                guard value == "1.0" || value == "1.1" else { throw fail(.malformedXMLDeclaration, at: offset) }
            case ("encoding", ["version"]):
                guard ["utf-8", "us-ascii"].contains(value.lowercased()) else {
                    throw fail(.unsupportedEncoding, at: offset)
                }
            case ("standalone", ["version"]), ("standalone", ["version", "encoding"]):
                guard value == "yes" || value == "no" else { throw fail(.malformedXMLDeclaration, at: offset) }
            default:
                throw fail(.malformedXMLDeclaration, at: offset)
            }
            names.append(name)
            if position < end, !Self.isWhitespace(bytes[position]) {
                throw fail(.malformedXMLDeclaration, at: position)
            }
        }
        guard names.first == "version" else { throw fail(.malformedXMLDeclaration, at: start) }
        position = end + 2
    }

    /// `<!DOCTYPE name [SYSTEM "…" | PUBLIC "…" "…"] [[ ]]>`: the external DTD is never read, and an
    /// internal subset, which would declare entities or defaults, may only be empty.
    private mutating func doctype() throws(Error) {
        let start = position
        guard !sawRoot, !sawDoctype else { throw fail(.misplacedDoctype, at: start) }
        sawDoctype = true
        position += 9
        guard skipWhitespace(), scanName() != nil else {
            throw fail(position < bytes.count ? .malformedDoctype : .unterminatedTag, at: position)
        }
        let spaced = skipWhitespace()
        if starts(with: "SYSTEM") || starts(with: "PUBLIC") {
            let literals = starts(with: "SYSTEM") ? 1 : 2
            guard spaced else { throw fail(.malformedDoctype, at: position) }
            position += 6
            for _ in 0..<literals {
                guard skipWhitespace(), let quote = byte(at: position),
                    quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'")
                else { throw fail(position < bytes.count ? .malformedDoctype : .unterminatedTag, at: position) }
                guard let close = bytes[(position + 1)...].firstIndex(of: quote) else {
                    throw fail(.unterminatedTag, at: start)
                }
                position = close + 1
            }
            skipWhitespace()
        }
        if byte(at: position) == UInt8(ascii: "[") {
            position += 1
            skipWhitespace()
            guard byte(at: position) == UInt8(ascii: "]") else {
                throw fail(position < bytes.count ? .internalSubset : .unterminatedTag, at: position)
            }
            position += 1
            skipWhitespace()
        }
        guard position < bytes.count else { throw fail(.unterminatedTag, at: start) }
        guard bytes[position] == UInt8(ascii: ">") else { throw fail(.malformedDoctype, at: position) }
        position += 1
    }

    // MARK: - Scanning

    private func byte(at index: Int) -> UInt8? {
        index >= 0 && index < bytes.count ? bytes[index] : nil
    }

    private func starts(with literal: String) -> Bool { starts(with: Array(literal.utf8)) }

    private func starts(with literal: [UInt8]) -> Bool {
        guard position <= bytes.count - literal.count else { return false }
        for (offset, byte) in literal.enumerated() where bytes[position + offset] != byte { return false }
        return true
    }

    /// The index of the first `literal` at or after `start`.
    private func find(_ literal: String, from start: Int) -> Int? {
        let needle = Array(literal.utf8)
        guard let first = needle.first, start >= 0 else { return nil }
        var index = start
        while index <= bytes.count - needle.count {
            if bytes[index] == first {
                var matched = true
                for offset in 1..<needle.count where bytes[index + offset] != needle[offset] {
                    matched = false
                    break
                }
                if matched { return index }
            }
            index += 1
        }
        return nil
    }

    /// Whether any whitespace was skipped.
    @discardableResult
    private mutating func skipWhitespace() -> Bool {
        let start = position
        while position < bytes.count, Self.isWhitespace(bytes[position]) { position += 1 }
        return position > start
    }

    /// An XML `Name` at `position` (colons included: namespaces are checked after), or nil with
    /// `position` unchanged.
    private mutating func scanName() -> String? {
        let start = position
        var index = position
        while index < bytes.count {
            let (scalar, length) = Self.decode(bytes, at: index)
            guard let scalar, index == start ? Self.isNameStart(scalar) : Self.isNameCharacter(scalar) else { break }
            index += length
        }
        guard index > start else { return nil }
        position = index
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// XML 1.0 §2.3 NameStartChar.
    static func isNameStart(_ value: UInt32) -> Bool {
        switch value {
        case 0x3A, 0x41...0x5A, 0x5F, 0x61...0x7A, 0xC0...0xD6, 0xD8...0xF6, 0xF8...0x2FF, 0x370...0x37D,
            0x37F...0x1FFF, 0x200C...0x200D, 0x2070...0x218F, 0x2C00...0x2FEF, 0x3001...0xD7FF, 0xF900...0xFDCF,
            0xFDF0...0xFFFD, 0x10000...0xEFFFF:
            true
        default:
            false
        }
    }

    /// XML 1.0 §2.3 NameChar.
    static func isNameCharacter(_ value: UInt32) -> Bool {
        switch value {
        case 0x2D, 0x2E, 0x30...0x39, 0xB7, 0x300...0x36F, 0x203F...0x2040: true
        default: isNameStart(value)
        }
    }

    /// XML 1.0 §2.2 Char.
    static func isCharacter(_ value: UInt32) -> Bool {
        switch value {
        case 0x09, 0x0A, 0x0D, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    /// The scalar encoded at `index` and its length in bytes; nil (length 1) for invalid UTF-8.
    static func decode(_ bytes: [UInt8], at index: Int) -> (scalar: UInt32?, length: Int) {
        guard index >= 0, index < bytes.count else { return (nil, 1) }
        let lead = bytes[index]
        if lead < 0x80 { return (UInt32(lead), 1) }
        let length: Int
        let minimum: UInt32
        var value: UInt32
        switch lead {
        case 0xC2...0xDF: (length, minimum, value) = (2, 0x80, UInt32(lead & 0x1F))
        case 0xE0...0xEF: (length, minimum, value) = (3, 0x800, UInt32(lead & 0x0F))
        case 0xF0...0xF4: (length, minimum, value) = (4, 0x1_0000, UInt32(lead & 0x07))
        default: return (nil, 1)
        }
        guard index < bytes.count - (length - 1) else { return (nil, 1) }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else { return (nil, 1) }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        guard value >= minimum, value <= 0x10_FFFF, !(0xD800...0xDFFF).contains(value) else { return (nil, 1) }
        return (value, length)
    }

    /// The offset of the first byte that does not start a valid UTF-8 encoding of an XML character.
    static func firstInvalidCharacter(in bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            let (scalar, length) = decode(bytes, at: index)
            guard let scalar, isCharacter(scalar) else { return index }
            index += length
        }
        return nil
    }

    // MARK: - Positions

    private func fail(_ kind: Error.Kind, at offset: Int) -> Error {
        let (line, column) = Self.lineAndColumn(of: offset, in: bytes)
        return Error(kind, line: line, column: column)
    }

    /// 1-based line and column (in characters) of the byte at `offset`.
    static func lineAndColumn(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        var index = 0
        let end = min(max(offset, 0), bytes.count)
        while index < end {
            let byte = bytes[index]
            if byte == 0x0A || (byte == 0x0D && (index + 1 >= bytes.count || bytes[index + 1] != 0x0A)) {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 && byte != 0x0D {
                column += 1
            }
            index += 1
        }
        return (line, column)
    }
}
