import Foundation

/// Admits an XML document from a gestore (a daticert.xml, a REM evidence) only in a form whose
/// dangers were checked on the very characters the parser will read.
///
/// A byte-level `<!ENTITY` check is blind to encodings that are not ASCII-compatible
/// (`encoding="UTF-7"` writes `<` as `+ADw-`). So the document is first decoded here, in one of
/// the encodings gestori really use, then checked, then handed on as UTF-8 with a UTF-8
/// declaration: the reader (``XMLReader``) never reads anything this gate has not seen.
package enum XMLSafetyGate {
    /// Declared encodings read, compared case-insensitively (XML 1.0 §4.3.3). Every real daticert and
    /// REM evidence of the shared corpus says `UTF-8`; ISO-8859-1 is what a gestore writing 8-bit
    /// text would declare; US-ASCII is a subset of both. Anything else (UTF-7, UTF-16, EBCDIC,
    /// windows-1252, aliases such as `latin1`) is refused.
    package static let encodings: Set<String> = ["utf-8", "iso-8859-1", "us-ascii"]

    /// Markup declarations, which only a DTD contains: entities (expansion bombs, external entities),
    /// and element, attribute-list (defaults that would add attributes) and notation declarations.
    /// A `<!DOCTYPE x SYSTEM "x.dtd">` naming an external DTD stays allowed: it is never read.
    static let declarations = ["<!ENTITY", "<!ATTLIST", "<!ELEMENT", "<!NOTATION"]

    package enum Refusal: Error, Sendable, Equatable {
        /// The declared (or detected) encoding is not one of ``encodings``.
        case unsupportedEncoding(String)
        /// The bytes are not valid in the declared encoding.
        case undecodable(String)
        /// A DTD declaration (`<!ENTITY`, `<!ATTLIST`, `<!ELEMENT`, `<!NOTATION`).
        case declaration(String)
    }

    /// The document as UTF-8 with a UTF-8 declaration, or why it is refused. A document without an
    /// encoding declaration is UTF-8 (XML 1.0 §4.3.3); when it is not valid UTF-8, the gestore most
    /// likely wrote ISO-8859-1 and forgot to say so, and it is read as such rather than refused.
    package static func admit(_ bytes: [UInt8]) throws(Refusal) -> [UInt8] {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        // UTF-16/32 (with or without a byte order mark) and binary: NUL bytes, or a BOM.
        if body.contains(0) || body.starts(with: [0xFE, 0xFF]) || body.starts(with: [0xFF, 0xFE]) {
            throw .unsupportedEncoding("UTF-16 or UTF-32")
        }
        let declaration = try Self.declaration(in: body)
        let content = body.dropFirst(declaration?.length ?? 0)
        let text: String
        switch declaration?.encoding?.lowercased() {
        case "utf-8"?:
            guard let decoded = String(validating: content, as: UTF8.self) else { throw .undecodable("UTF-8") }
            text = decoded
        case "iso-8859-1"?:
            text = String(String.UnicodeScalarView(content.map { Unicode.Scalar($0) }))
        case "us-ascii"?:
            guard content.allSatisfy({ $0 < 0x80 }) else { throw .undecodable("US-ASCII") }
            text = String(decoding: content, as: UTF8.self)
        case nil:
            text =
                String(validating: content, as: UTF8.self)
                ?? String(String.UnicodeScalarView(content.map { Unicode.Scalar($0) }))
        case let other?:
            throw .unsupportedEncoding(other)
        }
        if mayDeclare(text), let found = declarations.first(where: { text.contains($0) }) {
            throw .declaration(found)
        }
        let version = declaration?.version ?? "1.0"
        return Array(#"<?xml version="\#(version)" encoding="UTF-8"?>"#.utf8) + Array(text.utf8)
    }

    /// False only when no ``declarations`` entry can be in `text`: every `<!` in it is followed by
    /// `D` (a DOCTYPE) or `-` (a comment), which no declaration's next letter matches. Saves the
    /// Foundation substring searches (a twentieth of `pec sync`'s time) for the usual daticert.xml.
    static func mayDeclare(_ text: String) -> Bool {
        var previous: (UInt8, UInt8) = (0, 0)
        for byte in text.utf8 {
            if previous == (UInt8(ascii: "<"), UInt8(ascii: "!")), byte != UInt8(ascii: "D"), byte != UInt8(ascii: "-")
            {
                return true
            }
            previous = (previous.1, byte)
        }
        return previous == (UInt8(ascii: "<"), UInt8(ascii: "!"))
    }

    /// `<?xml version="…" encoding="…" standalone="…"?>` at the very start (XML 1.0 §2.8), read as
    /// ASCII: its length in bytes and the pseudo-attributes that matter here.
    private static func declaration(
        in bytes: ArraySlice<UInt8>
    ) throws(Refusal) -> (length: Int, version: String, encoding: String?)? {
        guard bytes.starts(with: Array("<?xml".utf8)), bytes.count > 5,
            [0x20, 0x09, 0x0D, 0x0A].contains(bytes[bytes.startIndex + 5])
        else { return nil }
        guard let close = bytes.indices.first(where: { bytes[$0...].starts(with: Array("?>".utf8)) }),
            close - bytes.startIndex <= 200, bytes[..<close].allSatisfy({ $0 < 0x80 })
        else { throw .unsupportedEncoding("unreadable XML declaration") }
        let inner = String(decoding: bytes[(bytes.startIndex + 5)..<close], as: UTF8.self)
        var attributes: [String: String] = [:]
        var rest = Substring(inner)
        while true {
            rest = rest.drop { $0.isWhitespace }
            guard !rest.isEmpty else { break }
            guard let equals = rest.firstIndex(of: "=") else { throw .unsupportedEncoding("malformed XML declaration") }
            let name = rest[..<equals].trimmingCharacters(in: .whitespaces)
            rest = rest[rest.index(after: equals)...].drop { $0.isWhitespace }
            guard let quote = rest.first, quote == "\"" || quote == "'",
                let end = rest.dropFirst().firstIndex(of: quote)
            else { throw .unsupportedEncoding("malformed XML declaration") }
            let value = String(rest[rest.index(after: rest.startIndex)..<end])
            guard attributes.updateValue(value, forKey: name) == nil else {
                throw .unsupportedEncoding("malformed XML declaration")
            }
            rest = rest[rest.index(after: end)...]
        }
        guard let version = attributes["version"], version == "1.0" || version == "1.1",
            Set(attributes.keys).isSubset(of: ["version", "encoding", "standalone"])
        else { throw .unsupportedEncoding("malformed XML declaration") }
        return (close + 2 - bytes.startIndex, version, attributes["encoding"])
    }
}
