import Foundation

/// Quoted-printable (RFC 2045 §6.7) for the text part, made safe for the whole mail path: every
/// output line is at most 76 characters and 7-bit, lines end in CRLF.
///
/// Beyond the RFC's musts it also encodes:
/// - a "." at the start of a line (`=2E`): an SMTP client that forgets dot-stuffing would end DATA
///   early or drop the dot;
/// - "From " at the start of a line (`=46rom `): mbox stores would prefix it with ">";
/// - space and tab at the end of a line: gateways strip trailing whitespace.
///
/// Because "=" is only ever written as `=XX` (two hex digits) or as the "=" of a soft line break,
/// the output never contains "=_", which is what keeps our `=_pec_…` boundaries out of it.
package enum QuotedPrintableEncoder {
    package static let maximumLineLength = 76

    /// Encodes the UTF-8 bytes of `text`. CRLF, lone CR and lone LF all become CRLF line breaks.
    /// The output always ends with a line break when it is not empty: a last line without one gets
    /// a soft break ("=" CRLF), which decodes to nothing, so the text round-trips exactly and the
    /// message ends with CRLF as SMTP wants.
    package static func encode(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 8 + 8)
        var lineStart = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == 0x0D || byte == 0x0A else {
                index += 1
                continue
            }
            encodeLine(bytes[lineStart..<index], hardBreakFollows: true, into: &output)
            output += [0x0D, 0x0A]
            index += (byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A) ? 2 : 1
            lineStart = index
        }
        if lineStart < bytes.count {
            encodeLine(bytes[lineStart...], hardBreakFollows: false, into: &output)
            output += Array("=\r\n".utf8)
        }
        return output
    }

    /// One line of text (no line-break bytes in it).
    private static func encodeLine(_ line: ArraySlice<UInt8>, hardBreakFollows: Bool, into output: inout [UInt8]) {
        var column = 0
        for index in line.indices {
            let byte = line[index]
            let isLastOfLine = index == line.endIndex - 1
            // The last character before a hard break may use column 76; any other must leave room
            // for the "=" of a soft break.
            let limit = isLastOfLine && hardBreakFollows ? maximumLineLength : maximumLineLength - 1
            var literal = isLiteral(byte, in: line, at: index, column: column)
            if column + (literal ? 1 : 3) > limit {
                output += Array("=\r\n".utf8)
                column = 0
                // Now at the start of a physical line: the "." and "From " rules may apply.
                literal = isLiteral(byte, in: line, at: index, column: column)
            }
            if literal {
                output.append(byte)
                column += 1
            } else {
                output.append(UInt8(ascii: "="))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
                column += 3
            }
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)
    private static let fromSpace = Array("From ".utf8)

    private static func isLiteral(_ byte: UInt8, in line: ArraySlice<UInt8>, at index: Int, column: Int) -> Bool {
        switch byte {
        case 0x20, 0x09:
            // Trailing whitespace before the line end is encoded; before a soft break it is safe.
            return index != line.endIndex - 1
        case UInt8(ascii: "="):
            return false
        case UInt8(ascii: "."):
            return column != 0
        case UInt8(ascii: "F"):
            return column != 0 || !line[index...].starts(with: fromSpace)
        case 33...126:
            return true
        default:
            return false
        }
    }
}

/// Base64 (RFC 2045 §6.8) in lines of 76 characters separated by CRLF, fed in chunks of any size.
/// No line break is written after the last line: the CRLF that follows belongs to the next
/// boundary delimiter.
///
/// Input is encoded in whole lines (57 bytes → 76 characters) by Foundation, which is fast even
/// when this module is built unoptimised; fewer than 57 bytes are carried to the next chunk.
///
/// The alphabet has no "_" and "=" appears only as final padding, so the output never contains
/// "=_" (see the boundary note in `MessageComposer`).
package struct Base64LineEncoder {
    package static let lineLength = 76
    private static let bytesPerLine = lineLength / 4 * 3
    private static let options: Data.Base64EncodingOptions = [
        .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
    ]

    /// Input bytes not yet encoded: fewer than one line's worth.
    private var carried: [UInt8] = []
    /// Lines were written: the next ones need a CRLF first.
    private var hasOutput = false

    package init() {}

    /// Exact encoded size of `byteCount` bytes, for `ComposedMessage.size` without encoding.
    package static func encodedSize(byteCount: Int) -> Int {
        let characters = (byteCount + 2) / 3 * 4
        guard characters > 0 else { return 0 }
        return characters + 2 * ((characters - 1) / lineLength)
    }

    package mutating func encode(_ chunk: some Collection<UInt8>, into output: inout [UInt8]) {
        var input = carried
        // Through a buffer pointer: generic element-by-element copying is slow unoptimised.
        let copied: Void? = chunk.withContiguousStorageIfAvailable { input.append(contentsOf: $0) }
        if copied == nil { input.append(contentsOf: Array(chunk)) }
        let whole = input.count / Self.bytesPerLine * Self.bytesPerLine
        carried = Array(input[whole...])
        append(input[..<whole], into: &output)
    }

    /// Writes the carried bytes (the last line, with "=" padding).
    package mutating func finish(into output: inout [UInt8]) {
        append(carried[...], into: &output)
        carried = []
    }

    private mutating func append(_ bytes: ArraySlice<UInt8>, into output: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        let encoded = Data(bytes).base64EncodedData(options: Self.options)
        if hasOutput { output += [0x0D, 0x0A] }
        encoded.withUnsafeBytes { output.append(contentsOf: $0) }
        hasOutput = true
    }
}
