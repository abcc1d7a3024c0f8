import Foundation

/// Decodes header text for display: RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?iso-8859-1?Q?…?=`)
/// and raw 8-bit bytes (UTF-8 when valid, else ISO-8859-1, the usual legacy charset of Italian mail).
package enum HeaderText {
    package static func decode(_ raw: [UInt8]) -> String {
        let text = Charset.decodeUnlabelled(raw)
        guard text.contains("=?") else { return collapseWhitespace(text) }
        return collapseWhitespace(decodeEncodedWords(text))
    }

    // encoded-word = "=?" charset ["*" language] "?" encoding "?" encoded-text "?="
    // Whitespace between two adjacent encoded words is dropped (RFC 2047 §6.2), and the bytes of
    // adjacent words in the same charset are decoded together: encoders split a UTF-8 character
    // across two words.
    static func decodeEncodedWords(_ text: String) -> String {
        var output = ""
        var run: (charset: String, bytes: [UInt8])?
        var lastWasWord = false
        func flushRun() {
            if let current = run {
                output += Charset.decode(current.bytes, charset: current.charset) ?? ""
            }
            run = nil
        }
        var rest = Substring(text)
        while !rest.isEmpty {
            guard let start = rest.range(of: "=?") else {
                flushRun()
                output += rest
                break
            }
            let before = rest[..<start.lowerBound]
            guard let word = parseEncodedWord(rest[start.lowerBound...]) else {
                flushRun()
                output += before + "=?"
                lastWasWord = false
                rest = rest[start.upperBound...]
                continue
            }
            let adjacent = lastWasWord && before.allSatisfy { $0 == " " || $0 == "\t" }
            if adjacent, let current = run, current.charset.lowercased() == word.charset.lowercased() {
                run?.bytes += word.bytes
            } else {
                flushRun()
                if !adjacent { output += before }
                run = (word.charset, word.bytes)
            }
            lastWasWord = true
            rest = rest[word.end...]
        }
        flushRun()
        return output
    }

    private static func parseEncodedWord(
        _ text: Substring
    ) -> (charset: String, bytes: [UInt8], end: Substring.Index)? {
        // "=?" charset "?" B|Q "?" data "?="
        let body = text.dropFirst(2)
        guard let q1 = body.firstIndex(of: "?") else { return nil }
        let charsetAndLanguage = body[..<q1]
        let afterCharset = body[body.index(after: q1)...]
        guard let encoding = afterCharset.first, afterCharset.dropFirst().first == "?" else { return nil }
        let data = afterCharset.dropFirst(2)
        guard let end = data.range(of: "?=") else { return nil }
        let payload = data[..<end.lowerBound]
        guard !payload.contains(" "), charsetAndLanguage.count < 64 else { return nil }
        let charset = String(charsetAndLanguage.split(separator: "*", maxSplits: 1).first ?? "")
        let bytes: [UInt8]?
        switch encoding {
        case "B", "b": bytes = base64(payload)
        case "Q", "q": bytes = quotedPrintableWord(payload)
        default: bytes = nil
        }
        // A charset we cannot decode leaves the word as it was written.
        guard let bytes, Charset.decode(bytes, charset: charset) != nil else { return nil }
        return (charset, bytes, end.upperBound)
    }

    private static func base64(_ text: Substring) -> [UInt8]? {
        var padded = String(text)
        while padded.count % 4 != 0 { padded += "=" }
        return Data(base64Encoded: padded).map { Array($0) }
    }

    private static func quotedPrintableWord(_ text: Substring) -> [UInt8]? {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            switch byte {
            case UInt8(ascii: "_"):
                bytes.append(0x20)
            case UInt8(ascii: "="):
                guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            default:
                bytes.append(byte)
            }
        }
        return bytes
    }

    package static func collapseWhitespace(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        var lastWasSpace = false
        for scalar in text.unicodeScalars {
            if scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n" {
                if !lastWasSpace { output.unicodeScalars.append(" ") }
                lastWasSpace = true
            } else if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                // Terminal control codes in a subject must never reach the user's terminal.
                continue
            } else {
                output.unicodeScalars.append(scalar)
                lastWasSpace = false
            }
        }
        return output.trimmingCharacters(in: .whitespaces)
    }
}

/// Text in a named charset. Covers what Italian mail uses; unknown charsets give nil so the caller
/// can fall back.
package enum Charset {
    package static func decode(_ bytes: [UInt8], charset: String) -> String? {
        switch charset.lowercased().trimmingCharacters(in: .whitespaces) {
        case "utf-8", "utf8":
            return String(validating: bytes, as: UTF8.self) ?? String(decoding: bytes, as: UTF8.self)
        case "us-ascii", "ascii", "":
            return decodeUnlabelled(bytes)
        case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "iso_8859-1":
            return latin1(bytes)
        case "windows-1252", "cp1252", "win-1252":
            return String(data: Data(bytes), encoding: .windowsCP1252) ?? latin1(bytes)
        case "iso-8859-15", "iso8859-15", "latin9", "latin-9":
            return latin9(bytes)
        case "utf-16", "utf16":
            return String(data: Data(bytes), encoding: .utf16)
        case "utf-16be":
            return String(data: Data(bytes), encoding: .utf16BigEndian)
        case "utf-16le":
            return String(data: Data(bytes), encoding: .utf16LittleEndian)
        default:
            return nil
        }
    }

    /// Bytes with no declared charset: UTF-8 when they are valid UTF-8, else ISO-8859-1.
    package static func decodeUnlabelled(_ bytes: [UInt8]) -> String {
        String(validating: bytes, as: UTF8.self) ?? latin1(bytes)
    }

    static func latin1(_ bytes: [UInt8]) -> String {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    /// ISO-8859-15 differs from Latin-1 in eight positions (the euro sign among them).
    static func latin9(_ bytes: [UInt8]) -> String {
        let differences: [UInt8: Unicode.Scalar] = [
            0xA4: "\u{20AC}", 0xA6: "\u{0160}", 0xA8: "\u{0161}", 0xB4: "\u{017D}",
            0xB8: "\u{017E}", 0xBC: "\u{0152}", 0xBD: "\u{0153}", 0xBE: "\u{0178}",
        ]
        return String(String.UnicodeScalarView(bytes.map { differences[$0] ?? Unicode.Scalar($0) }))
    }
}
