/// Finds the `multipart/signed` entity in a raw message: the message itself, or a part of an outer multipart
/// (a mailing list wraps the signed entity in `multipart/mixed` with a footer, pec-standard.md §5 "Wrappers").
///
/// Deliberately minimal and byte-level: only `Content-Type` and its `boundary` are read, `message/rfc822`
/// parts are not entered (a `postacert.eml` inside an envelope is another message, not this one's signature).
/// The integrator can replace this one function with the project's MIME parser; the verifier only needs the
/// byte range of the entity, which must be a slice of the raw bytes (never re-serialised).
enum SignedEntityLocator {
    /// How deep nested multiparts are searched.
    static let maximumDepth = 8

    /// The byte range of the first `multipart/signed` entity (its headers included), or nil.
    static func signedEntity(in message: [UInt8]) -> Range<Int>? {
        locate(message, message.startIndex..<message.endIndex, depth: 0)
    }

    private static func locate(_ bytes: [UInt8], _ entity: Range<Int>, depth: Int) -> Range<Int>? {
        guard let (headers, bodyStart) = splitHeaders(bytes, entity),
            let contentType = contentType(bytes, headers)
        else { return nil }
        if contentType.type == "multipart/signed" { return entity }
        guard contentType.type.hasPrefix("multipart/"), let boundary = contentType.boundary, depth < maximumDepth
        else { return nil }
        for part in parts(bytes, bodyStart..<entity.upperBound, boundary: Array(boundary.utf8)) {
            if let found = locate(bytes, part, depth: depth + 1) { return found }
        }
        return nil
    }

    /// The ranges of the lines of `range`, each without its LF (a CR before it is kept).
    private static func lines(_ bytes: [UInt8], _ range: Range<Int>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = range.lowerBound
        for index in range where bytes[index] == UInt8(ascii: "\n") {
            result.append(start..<index)
            start = index + 1
        }
        if start < range.upperBound { result.append(start..<range.upperBound) }
        return result
    }

    private static func isBlank(_ bytes: [UInt8], _ line: Range<Int>) -> Bool {
        line.isEmpty || (line.count == 1 && bytes[line.lowerBound] == UInt8(ascii: "\r"))
    }

    /// The header block and where the body starts (after the empty line); nil when there is no empty line.
    private static func splitHeaders(_ bytes: [UInt8], _ entity: Range<Int>) -> (Range<Int>, Int)? {
        var index = entity.lowerBound
        while index < entity.upperBound {
            guard let newline = bytes[index..<entity.upperBound].firstIndex(of: UInt8(ascii: "\n")) else {
                return nil
            }
            if isBlank(bytes, index..<newline) { return (entity.lowerBound..<index, newline + 1) }
            index = newline + 1
        }
        return nil
    }

    /// The lower-cased media type and the boundary parameter of the entity's Content-Type field.
    private static func contentType(_ bytes: [UInt8], _ headers: Range<Int>) -> (type: String, boundary: String?)? {
        var fields: [String] = []
        for line in lines(bytes, headers) {
            let text = String(decoding: bytes[line], as: UTF8.self)
            if let first = text.first, first == " " || first == "\t", !fields.isEmpty {
                fields[fields.count - 1] += text
            } else {
                fields.append(text)
            }
        }
        guard let field = fields.first(where: { $0.lowercased().hasPrefix("content-type:") }) else { return nil }
        let value = field.dropFirst("content-type:".count).replacingCRLF()
        let pieces = value.split(separator: ";", omittingEmptySubsequences: false)
        let type = pieces.first.map { $0.trimmingSpaces().lowercased() } ?? ""
        var boundary: String?
        for piece in pieces.dropFirst() {
            let parameter = piece.trimmingSpaces()
            guard parameter.lowercased().hasPrefix("boundary=") else { continue }
            var raw = parameter.dropFirst("boundary=".count)
            if raw.hasPrefix("\"") {
                raw = raw.dropFirst()
                if let close = raw.firstIndex(of: "\"") { raw = raw[..<close] }
            }
            boundary = String(raw)
        }
        return (type, boundary)
    }

    /// The body parts between `--boundary` delimiter lines. A part ends before the line break that precedes
    /// the next delimiter (RFC 2046 §5.1.1: that line break belongs to the delimiter).
    private static func parts(_ bytes: [UInt8], _ body: Range<Int>, boundary: [UInt8]) -> [Range<Int>] {
        guard !boundary.isEmpty else { return [] }
        let delimiter = Array("--".utf8) + boundary
        var result: [Range<Int>] = []
        var partStart: Int?
        for line in lines(bytes, body) {
            guard line.count >= delimiter.count, bytes[line.prefix(delimiter.count)].elementsEqual(delimiter) else {
                continue
            }
            let rest = bytes[line.dropFirst(delimiter.count)]
            let closing = rest.starts(with: Array("--".utf8))
            let tail = closing ? rest.dropFirst(2) : rest
            guard tail.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") })
            else { continue }
            if let start = partStart {
                // Drop the LF (and CR) that ends the part's last line: it belongs to this delimiter.
                var end = max(start, line.lowerBound - 1)
                if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                result.append(start..<end)
            }
            if closing { return result }
            partStart = min(line.upperBound + 1, body.upperBound)
        }
        return result
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }

    fileprivate func replacingCRLF() -> String {
        String(filter { $0 != "\r" && $0 != "\n" && $0 != "\r\n" })
    }
}
