import Foundation

/// A message's header block (RFC 5322 §2.2), unfolded, raw bytes kept: decoding is asked for
/// per field, because headers are often 8-bit or RFC 2047-encoded and the raw form matters for
/// signatures and Message-IDs.
package struct HeaderFields: Sendable, Equatable {
    package struct Field: Sendable, Equatable {
        package var name: String
        /// The value as sent, folding removed (CRLF + WSP → WSP), leading whitespace trimmed.
        package var value: [UInt8]
    }

    package var fields: [Field]

    package init(fields: [Field]) {
        self.fields = fields
    }

    /// Parses header lines up to the first empty line (or the end). Lenient as real mail needs:
    /// bare LF line ends, lines without a colon (skipped), whitespace before the colon.
    // field = field-name ":" unstructured CRLF ; field-name = 1*ftext ; folding = CRLF 1*WSP
    package init(parsing bytes: some Collection<UInt8>) {
        var fields: [Field] = []
        var lines: [[UInt8]] = []
        var line: [UInt8] = []
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "\n") {
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                if line.isEmpty { break }
                lines.append(line)
                line = []
            } else {
                line.append(byte)
            }
        }
        if !line.isEmpty { lines.append(line) }

        var current: (name: String, value: [UInt8])?
        func flush() {
            if let current { fields.append(Field(name: current.name, value: Self.trimmed(current.value))) }
            current = nil
        }
        for line in lines {
            if let first = line.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
                current?.value.append(contentsOf: line)
                continue
            }
            flush()
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = String(decoding: Self.trimmed(Array(line[..<colon])), as: UTF8.self)
            guard !name.isEmpty else { continue }
            current = (name, Array(line[(colon + 1)...]))
        }
        flush()
        self.fields = fields
    }

    /// The first field called `name` (case-insensitive), raw.
    package subscript(_ name: String) -> [UInt8]? {
        fields.first { Self.sameName($0.name, name) }?.value
    }

    package func values(named name: String) -> [[UInt8]] {
        fields.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// `caseInsensitiveCompare(_:) == .orderedSame`, compared byte by byte when both names are
    /// ASCII (field names always are; Foundation's comparison was a tenth of `pec sync`'s time).
    static func sameName(_ field: String, _ name: String) -> Bool {
        let (a, b) = (field.utf8, name.utf8)
        guard a.allSatisfy({ $0 < 0x80 }), b.allSatisfy({ $0 < 0x80 }) else {
            return field.caseInsensitiveCompare(name) == .orderedSame
        }
        func lower(_ byte: UInt8) -> UInt8 {
            byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
        }
        return a.count == b.count && a.elementsEqual(b) { lower($0) == lower($1) }
    }

    /// The first field called `name`, decoded for display (RFC 2047 words, 8-bit text), with
    /// runs of whitespace collapsed. Nil when absent.
    package func text(_ name: String) -> String? {
        self[name].map(HeaderText.decode)
    }

    private static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        guard let start = bytes.firstIndex(where: { !isSpace($0) }),
            let end = bytes.lastIndex(where: { !isSpace($0) })
        else { return [] }
        return Array(bytes[start...end])
    }
}
