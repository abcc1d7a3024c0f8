import Foundation

/// Header lines for outgoing messages: folding, RFC 2047 encoded words, RFC 2231 parameters and
/// the Date format. Everything produced is 7-bit ASCII with CRLF line ends.
package enum HeaderEncoding {
    /// RFC 5322 §2.1.1: lines SHOULD be at most 78 characters; we fold to that whenever the
    /// pieces allow. The hard limit of 998 is guaranteed by validation and by the encoders.
    package static let preferredLineLength = 78
    /// RFC 2047 §2: an encoded word is at most 75 characters, a line holding one at most 76.
    package static let maximumEncodedWordLength = 75
    package static let encodedWordLineLength = 76

    /// `Name: atom atom…` with the atoms separated by one space, folded (CRLF before that space)
    /// wherever the next atom would pass `limit` columns (78 unless told). An atom is never split, so a line is longer
    /// than 78 only when a single atom is.
    package static func structuredField(_ name: String, atoms: [String], lineLength limit: Int = preferredLineLength)
        -> String
    {
        var output = name + ":"
        var lineLength = output.utf8.count
        var atomsOnLine = 0
        for atom in atoms {
            let length = atom.utf8.count
            if atomsOnLine > 0, lineLength + 1 + length > limit {
                output += "\r\n " + atom
                lineLength = 1 + length
                atomsOnLine = 1
            } else {
                output += " " + atom
                lineLength += 1 + length
                atomsOnLine += 1
            }
        }
        return output + "\r\n"
    }

    /// An unstructured field (Subject) whose value is printable ASCII: folded by inserting CRLF
    /// before existing whitespace, so unfolding gives back exactly the same text.
    package static func unstructuredField(_ name: String, asciiValue value: String) -> String {
        var output = name + ":"
        guard !value.isEmpty else { return output + "\r\n" }
        // Pieces: a run of whitespace plus the word after it (the first piece may have no run).
        var pieces: [Substring] = []
        var pieceStart = value.startIndex
        var previousWasSpace = false
        for index in value.indices {
            let isSpace = value[index] == " " || value[index] == "\t"
            if isSpace, !previousWasSpace, index != value.startIndex {
                pieces.append(value[pieceStart..<index])
                pieceStart = index
            }
            previousWasSpace = isSpace
        }
        pieces.append(value[pieceStart...])
        output += " "
        var lineLength = output.utf8.count
        for (offset, piece) in pieces.enumerated() {
            let length = piece.utf8.count
            if offset > 0, lineLength + length > preferredLineLength {
                output += "\r\n"
                lineLength = 0
            }
            output += piece
            lineLength += length
        }
        return output + "\r\n"
    }

    /// Whether `text` can go into a header as it is: printable ASCII (tab allowed), nothing that a
    /// reader would take for an encoded word, and no word so long that the line could not be
    /// folded under `maximumWordLength`.
    package static func isPlainHeaderText(_ text: String, maximumWordLength: Int) -> Bool {
        var wordLength = 0
        for byte in text.utf8 {
            if byte == 0x20 || byte == 0x09 {
                wordLength = 0
                continue
            }
            guard (0x21...0x7E).contains(byte) else { return false }
            wordLength += 1
            if wordLength > maximumWordLength { return false }
        }
        return !text.contains("=?")
    }

    /// RFC 2047 `=?UTF-8?B?…?=` words for `text`, cut only between Unicode scalars (a UTF-8
    /// sequence is never split, as many readers decode each word alone). The first word is at most
    /// `firstWordLength` characters, the others at most `laterWordLength` (both capped at 75).
    package static func encodedWords(_ text: String, firstWordLength: Int, laterWordLength: Int) -> [String] {
        // "=?UTF-8?B?" + base64 + "?=": 12 characters around 4 per 3 bytes.
        func byteBudget(_ wordLength: Int) -> Int {
            // A 4-byte scalar needs a 20-character word; never go below that.
            let length = max(20, min(wordLength, maximumEncodedWordLength))
            return (length - 12) / 4 * 3
        }
        var words: [String] = []
        var current: [UInt8] = []
        var budget = byteBudget(firstWordLength)
        for scalar in text.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if current.count + encoded.count > budget, !current.isEmpty {
                words.append("=?UTF-8?B?" + Data(current).base64EncodedString() + "?=")
                current = []
                budget = byteBudget(laterWordLength)
            }
            current += encoded
        }
        if !current.isEmpty || words.isEmpty {
            words.append("=?UTF-8?B?" + Data(current).base64EncodedString() + "?=")
        }
        return words
    }

    /// A quoted-string (RFC 5322 §3.2.4) for printable ASCII: `"` and `\` escaped.
    package static func quoted(_ text: String) -> String {
        var output = "\""
        for character in text {
            if character == "\"" || character == "\\" { output += "\\" }
            output.append(character)
        }
        return output + "\""
    }

    // MARK: - RFC 2231 parameters

    /// attr-char (RFC 2231 §7, RFC 5987 §3.2.1): everything else is percent-encoded.
    private static let attributeCharacters = Set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8
    )

    /// `name*=UTF-8''…` for `value`, split into `name*0*=UTF-8''…; name*1*=…` sections when it does
    /// not fit in one line of 78. Each returned atom goes on its own folded line; atoms after the
    /// first in a list of sections end with ";" as required, except the last. Sections are cut
    /// between whole characters (RFC 2231 allows more, some readers decode each section alone).
    package static func extendedParameter(_ name: String, value: String) -> [String] {
        let maximumAtomLength = preferredLineLength - 1  // after the folding space
        var encodedScalars: [String] = []
        for scalar in value.unicodeScalars {
            var piece = ""
            for byte in String(scalar).utf8 {
                if attributeCharacters.contains(byte) {
                    piece.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    piece +=
                        "%" + String(byte >> 4, radix: 16, uppercase: true)
                        + String(byte & 0x0F, radix: 16, uppercase: true)
                }
            }
            encodedScalars.append(piece)
        }
        let single = "\(name)*=UTF-8''" + encodedScalars.joined()
        if single.utf8.count <= maximumAtomLength { return [single] }
        var sections: [String] = []
        var current = "\(name)*0*=UTF-8''"
        var currentHasValue = false
        for piece in encodedScalars {
            // +1 for the ";" that ends every section but the last.
            if currentHasValue, current.utf8.count + piece.utf8.count + 1 > maximumAtomLength {
                sections.append(current + ";")
                current = "\(name)*\(sections.count)*="
                currentHasValue = false
            }
            current += piece
            currentHasValue = true
        }
        sections.append(current)
        return sections
    }

    // MARK: - Date

    /// `value` in decimal, left-padded with "0" to `width` digits (never truncated).
    package static func zeroPadded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let monthNames = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// The UTC calendar fields of `date` (Gregorian, whatever the user's locale and calendar).
    package static func utcComponents(_ date: Date) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
    }

    /// RFC 5322 §3.3 date-time in UTC: `Fri, 21 Nov 2025 09:05:03 +0000`. Built from calendar
    /// fields with fixed English names rather than a DateFormatter, so no locale can leak in.
    package static func rfc5322Date(_ date: Date) -> String {
        let parts = utcComponents(date)
        let weekday = ((parts.weekday ?? 1) - 1 + 7) % 7
        let month = ((parts.month ?? 1) - 1 + 12) % 12
        let day = zeroPadded(parts.day ?? 1, width: 2)
        let year = zeroPadded(parts.year ?? 1970, width: 4)
        let time = [parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0].map { zeroPadded($0, width: 2) }
        return "\(dayNames[weekday]), \(day) \(monthNames[month]) \(year) " + time.joined(separator: ":") + " +0000"
    }

    /// `yyyyMMddHHmm` in UTC: the minute a Message-ID is bound to.
    package static func utcMinute(_ date: Date) -> String {
        let parts = utcComponents(date)
        return [
            zeroPadded(parts.year ?? 0, width: 4),
            zeroPadded(parts.month ?? 0, width: 2),
            zeroPadded(parts.day ?? 0, width: 2),
            zeroPadded(parts.hour ?? 0, width: 2),
            zeroPadded(parts.minute ?? 0, width: 2),
        ].joined()
    }
}
