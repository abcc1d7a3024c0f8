/// Whether two MIME readers could split a multipart entity differently: ours, and OpenSSL's
/// `SMIME_read_CMS`, which splits a `multipart/signed` itself before checking the signature. A
/// structure they read differently could show one content while the signature vouches for another.
extension MIMEEntity {
    /// Why this entity's boundary is ambiguous, nil when it is not (its children are not looked at).
    ///
    /// Judged on parsed parameter names, never on the text: a quoted value may contain the word
    /// (`boundary="--boundary_0_…"`, as .NET writes it, or `name="boundary=x"`).
    package var boundaryAmbiguity: String? {
        if headers.values(named: "Content-Type").count > 1 { return "two Content-Type fields" }
        if contentType.parameters.definitions(of: "boundary") > 1 { return "a repeated boundary parameter" }
        guard isMultipart else { return nil }
        let block = rawBytes.prefix(max(0, bodyRange.lowerBound - headerRange.lowerBound))
        guard let openSSL = OpenSSLMIMEHeaderReading.contentTypeParameters(headerBlock: block) else {
            return "a header OpenSSL reads differently (a repeated Content-Type or an over-long line)"
        }
        let boundaries = openSSL.filter { $0.name == "boundary" }
        guard boundaries.count == 1, boundaries[0].value == contentType.boundary else {
            return "a boundary parameter OpenSSL reads differently"
        }
        return nil
    }
}

/// The `Content-Type` parameters of a header block as OpenSSL 3 reads them (`mime_parse_hdr` in
/// crypto/asn1/asn_mime.c): physical line by physical line, a continuation line restarting at a
/// parameter name; quotes (no backslash escapes) and comments protect `;` only inside a value;
/// a value is trimmed of spaces and of one quote at each end. Pure, for the ambiguity check.
package enum OpenSSLMIMEHeaderReading {
    /// OpenSSL reads header lines into a 1024-byte buffer: a longer line is split in two lines.
    static let lineLimit = 1022

    /// The parameters (names lowercased), nil when OpenSSL would see no single Content-Type or a
    /// line it would split.
    package static func contentTypeParameters(
        headerBlock: some Collection<UInt8>
    ) -> [(name: String, value: [UInt8])]? {
        var headers: [(name: String, parameters: [(name: String, value: [UInt8])])] = []
        for line in headerBlock.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            guard line.count <= lineLimit else { return nil }
            // A C string: a NUL ends the line; a line starting with CR (or empty) ends the headers.
            let text = Array(line.prefix { $0 != 0 && $0 != UInt8(ascii: "\r") })
            if text.isEmpty { break }
            let continuation = !headers.isEmpty && (text[0] == 0x20 || text[0] == 0x09)
            let (name, parameters) = read(text, continuation: continuation)
            if continuation {
                headers[headers.count - 1].parameters += parameters
            } else if let name {
                headers.append((name, parameters))
            }
        }
        let contentTypes = headers.filter { $0.name == "content-type" }
        guard contentTypes.count == 1 else { return nil }
        return contentTypes[0].parameters
    }

    private enum State { case start, type, name, value, quote, comment }

    private static func read(
        _ line: [UInt8],
        continuation: Bool
    ) -> (name: String?, parameters: [(name: String, value: [UInt8])]) {
        var state: State = continuation ? .name : .start
        var saved: State = .start
        var headerName: String?
        // OpenSSL creates the header at the first ";" after the type, or at the end of the line.
        var created = false
        var parameterName: [UInt8] = []
        var parameters: [(name: String, value: [UInt8])] = []
        var start = 0
        func add(_ end: Int) {
            let name = String(decoding: stripped(parameterName), as: UTF8.self).lowercased()
            parameters.append((name, stripped(Array(line[start..<end]))))
        }
        for (index, byte) in line.enumerated() {
            switch state {
            case .start where byte == UInt8(ascii: ":"):
                headerName = String(decoding: stripped(Array(line[..<index])), as: UTF8.self).lowercased()
                state = .type
                start = index + 1
            case .type where byte == UInt8(ascii: ";"):
                created = true
                state = .name
                start = index + 1
            case .type where byte == UInt8(ascii: "("), .value where byte == UInt8(ascii: "("):
                saved = state
                state = .comment
            case .comment where byte == UInt8(ascii: ")"):
                state = saved
            case .name where byte == UInt8(ascii: "="):
                parameterName = Array(line[start..<index])
                state = .value
                start = index + 1
            case .value where byte == UInt8(ascii: ";"):
                add(index)
                state = .name
                start = index + 1
            case .value where byte == UInt8(ascii: "\""):
                state = .quote
            case .quote where byte == UInt8(ascii: "\""):
                state = .value
            default:
                break
            }
        }
        if state == .value { add(line.count) }
        if state == .type { created = true }
        return (created ? headerName : nil, parameters)
    }

    /// `strip_ends`: leading spaces and one opening quote, trailing spaces and one closing quote.
    private static func stripped(_ bytes: [UInt8]) -> [UInt8] {
        let isSpace = { (byte: UInt8) in byte == 0x20 || (0x09...0x0D).contains(byte) }
        var slice = bytes[...].drop(while: isSpace)
        if slice.first == UInt8(ascii: "\"") { slice = slice.dropFirst() }
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        if slice.last == UInt8(ascii: "\"") { slice = slice.dropLast() }
        return Array(slice)
    }
}
