import Foundation

/// Parameters of a structured MIME header (`; name=value`), RFC 2045 §5.1 with RFC 2231
/// continuations (`name*0*=`, `name*1=`) and charsets (`name*=UTF-8''%C3%A8`). Names are lowercased;
/// values are decoded for display (RFC 2231 charsets, RFC 2047 words inside quotes as real clients
/// send them, raw 8-bit as UTF-8 or else Latin-1). `raw` keeps the undecoded bytes of the plain
/// (non-2231) values, which is what a `boundary` must be compared with.
package struct MIMEParameters: Sendable, Equatable {
    package var values: [String: String]
    package var raw: [String: [UInt8]]
    /// Every parameter name as parsed, lowercased, in order, repetitions and RFC 2231 sections
    /// (`name*0*`) included: what ``definitions(of:)`` counts.
    package var names: [String] = []

    package init(values: [String: String] = [:], raw: [String: [UInt8]] = [:]) {
        self.values = values
        self.raw = raw
    }

    package subscript(_ name: String) -> String? { values[name.lowercased()] }

    /// How many times the parameter `name` is given: once per plain `name=`, per `name*=` and per
    /// start (`name*0=`, `name*0*=`) of an RFC 2231 continuation, and once more for each repeated
    /// later section. Two definitions make the value depend on which one a reader takes.
    package func definitions(of name: String) -> Int {
        let name = name.lowercased()
        var sections: [String: Int] = [:]
        for key in names {
            guard key == name || key.hasPrefix(name + "*") else { continue }
            var section = key.dropFirst(name.count)
            if section.hasPrefix("*") { section = section.dropFirst() }
            if section.hasSuffix("*") { section = section.dropLast() }
            sections[section.isEmpty ? (key == name ? "" : "0") : String(section), default: 0] += 1
        }
        let starts = (sections[""] ?? 0) + (sections["0"] ?? 0)
        let repeatedLater = sections.filter { $0.key != "" && $0.key != "0" }.values.map { $0 - 1 }.reduce(0, +)
        return starts + repeatedLater
    }

    // parameter = attribute "=" value ; value = token / quoted-string
    // RFC 2231: attribute "*" [section] ["*"] "=" value ; first encoded section = charset "'" lang "'" pct
    static func parse(_ bytes: ArraySlice<UInt8>) -> MIMEParameters {
        var plain: [String: [UInt8]] = [:]
        var names: [String] = []
        // name → section → (bytes, encoded)
        var extended: [String: [Int: (bytes: [UInt8], encoded: Bool)]] = [:]
        var index = bytes.startIndex
        let end = bytes.endIndex
        func skipSpace() {
            while index < end, MIMEBytes.isSpace(bytes[index]) || bytes[index] == UInt8(ascii: ";") { index += 1 }
        }
        while index < end {
            skipSpace()
            guard index < end else { break }
            var name: [UInt8] = []
            while index < end, bytes[index] != UInt8(ascii: "="), bytes[index] != UInt8(ascii: ";") {
                name.append(bytes[index])
                index += 1
            }
            guard index < end, bytes[index] == UInt8(ascii: "=") else { continue }
            index += 1
            while index < end, MIMEBytes.isSpace(bytes[index]) { index += 1 }
            var value: [UInt8] = []
            if index < end, bytes[index] == UInt8(ascii: "\"") {
                index += 1
                while index < end, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < end { index += 1 }
                    value.append(bytes[index])
                    index += 1
                }
                if index < end { index += 1 }
                // Anything after the closing quote up to ";" is junk.
                while index < end, bytes[index] != UInt8(ascii: ";") { index += 1 }
            } else {
                while index < end, bytes[index] != UInt8(ascii: ";") {
                    value.append(bytes[index])
                    index += 1
                }
                while let last = value.last, MIMEBytes.isSpace(last) { value.removeLast() }
            }
            let key = String(decoding: name.filter { !MIMEBytes.isSpace($0) }, as: UTF8.self).lowercased()
            guard !key.isEmpty else { continue }
            names.append(key)
            if let star = key.firstIndex(of: "*") {
                let base = String(key[..<star])
                var rest = key[key.index(after: star)...]
                let encoded = rest.hasSuffix("*") || rest.isEmpty
                if rest.hasSuffix("*") { rest = rest.dropLast() }
                let section = rest.isEmpty ? 0 : Int(rest)
                guard let section, section >= 0, section < 1000, !base.isEmpty else { continue }
                if extended[base, default: [:]][section] == nil {
                    extended[base, default: [:]][section] = (value, encoded)
                }
            } else if plain[key] == nil {
                plain[key] = value
            }
        }
        var result = MIMEParameters()
        result.names = names
        for (key, value) in plain {
            result.raw[key] = value
            result.values[key] = decodePlain(value)
        }
        for (key, sections) in extended {
            result.values[key] = decodeExtended(sections)
        }
        return result
    }

    private static func decodePlain(_ value: [UInt8]) -> String {
        let text = Charset.decodeUnlabelled(value)
        guard text.contains("=?") else { return text }
        return HeaderText.decode(value)
    }

    private static func decodeExtended(_ sections: [Int: (bytes: [UInt8], encoded: Bool)]) -> String {
        var charset = ""
        var output: [UInt8] = []
        var expected = 0
        for section in sections.keys.sorted() {
            // Continuations must be consecutive from 0; stop at the first gap (RFC 2231 §3).
            guard section == expected, let (bytes, encoded) = sections[section] else { break }
            expected += 1
            var value = bytes[...]
            if encoded {
                if section == 0 {
                    let quotes = value.indices.filter { value[$0] == UInt8(ascii: "'") }.prefix(2)
                    if quotes.count == 2 {
                        charset = String(decoding: value[..<quotes[0]], as: UTF8.self)
                        value = value[(quotes[1] + 1)...]
                    }
                }
                output += percentDecoded(value)
            } else {
                output += value
            }
        }
        return Charset.decode(output, charset: charset) ?? Charset.decodeUnlabelled(output)
    }

    private static func percentDecoded(_ value: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        var index = value.startIndex
        while index < value.endIndex {
            let byte = value[index]
            if byte == UInt8(ascii: "%"), index + 2 < value.endIndex,
                let high = MIMEBytes.hexValue(value[index + 1]), let low = MIMEBytes.hexValue(value[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        return output
    }
}

/// Byte classes shared by the MIME parsers.
enum MIMEBytes {
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }
}

/// Reads the leading token of a structured header (up to ";"), lowercased and trimmed, and the
/// parameters after it.
private func splitValue(_ raw: [UInt8]) -> (token: String, parameters: MIMEParameters) {
    let semicolon = raw.firstIndex(of: UInt8(ascii: ";")) ?? raw.endIndex
    // Comments ("(...)") in the token are dropped.
    var token: [UInt8] = []
    var depth = 0
    for byte in raw[..<semicolon] {
        if byte == UInt8(ascii: "(") {
            depth += 1
        } else if byte == UInt8(ascii: ")") {
            depth = max(0, depth - 1)
        } else if depth == 0, !MIMEBytes.isSpace(byte) {
            token.append(byte)
        }
    }
    let parameters =
        semicolon < raw.endIndex ? MIMEParameters.parse(raw[(semicolon + 1)...]) : MIMEParameters()
    return (String(decoding: token, as: UTF8.self).lowercased(), parameters)
}

/// `Content-Type` (RFC 2045 §5). Missing or unreadable values give `text/plain` (RFC 2045 §5.2).
package struct MIMEContentType: Sendable, Equatable {
    package var type: String
    package var subtype: String
    package var parameters: MIMEParameters

    package init(type: String, subtype: String, parameters: MIMEParameters = MIMEParameters()) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
    }

    package init(parsing raw: [UInt8]) {
        let (token, parameters) = splitValue(raw)
        let parts = token.split(separator: "/", maxSplits: 1).map(String.init)
        if parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty {
            self.init(type: parts[0], subtype: parts[1], parameters: parameters)
        } else {
            self.init(type: "text", subtype: "plain", parameters: parameters)
        }
    }

    /// The entity's type, `text/plain` when there is no Content-Type (or `message/rfc822` inside a
    /// `multipart/digest`, `defaultType`).
    package init(headers: HeaderFields, defaultType: MIMEContentType = .textPlain) {
        if let raw = headers["Content-Type"] {
            self.init(parsing: raw)
        } else {
            self = defaultType
        }
    }

    package static let textPlain = MIMEContentType(type: "text", subtype: "plain")
    package static let messageRFC822 = MIMEContentType(type: "message", subtype: "rfc822")

    /// `type/subtype`, lowercased.
    package var mimeType: String { type + "/" + subtype }
    package var isMultipart: Bool { type == "multipart" }
    /// message/rfc822 (and message/global): the body is a whole message, parsed as such.
    package var isMessage: Bool { type == "message" && (subtype == "rfc822" || subtype == "global") }
    package var isText: Bool { type == "text" }
    package var charset: String? { parameters["charset"] }
    package var name: String? { parameters["name"] }
    /// The multipart boundary as sent (raw bytes, not decoded), nil when absent or unusable.
    package var boundary: [UInt8]? {
        guard let raw = parameters.raw["boundary"] ?? parameters["boundary"].map({ Array($0.utf8) }),
            !raw.isEmpty, raw.count <= 998
        else { return nil }
        return raw
    }
}

/// `Content-Disposition` (RFC 2183).
package struct MIMEContentDisposition: Sendable, Equatable {
    /// `inline`, `attachment`, ... lowercased.
    package var type: String
    package var parameters: MIMEParameters

    package init(type: String, parameters: MIMEParameters = MIMEParameters()) {
        self.type = type
        self.parameters = parameters
    }

    package init(parsing raw: [UInt8]) {
        let (token, parameters) = splitValue(raw)
        self.init(type: token, parameters: parameters)
    }

    package init?(headers: HeaderFields) {
        guard let raw = headers["Content-Disposition"] else { return nil }
        self.init(parsing: raw)
    }

    package var isAttachment: Bool { type == "attachment" }
    package var isInline: Bool { type == "inline" }
    /// The decoded `filename` parameter (RFC 2231 or RFC 2047 as sent).
    package var filename: String? { parameters["filename"] }
    package var size: Int? { parameters["size"].flatMap { Int($0) } }
}

/// `Content-Transfer-Encoding` (RFC 2045 §6), case-insensitive (`Base64` is seen in the wild).
package enum MIMETransferEncoding: Sendable, Equatable {
    case sevenBit, eightBit, binary, base64, quotedPrintable
    /// An encoding we do not decode (x-uuencode, ...): the body is passed through as is.
    case other(String)

    package init(parsing raw: [UInt8]) {
        let token = String(decoding: raw.filter { !MIMEBytes.isSpace($0) && $0 != UInt8(ascii: "\"") }, as: UTF8.self)
            .lowercased()
        switch token {
        case "", "7bit": self = .sevenBit
        case "8bit": self = .eightBit
        case "binary": self = .binary
        case "base64": self = .base64
        case "quoted-printable": self = .quotedPrintable
        default: self = .other(token)
        }
    }

    package init(headers: HeaderFields) {
        self.init(parsing: headers["Content-Transfer-Encoding"] ?? [])
    }

    /// Identity encodings: the body bytes are the content.
    package var isIdentity: Bool {
        switch self {
        case .sevenBit, .eightBit, .binary, .other: return true
        case .base64, .quotedPrintable: return false
        }
    }
}
