extension IMAP {
    /// The modified UTF-7 encoding of mailbox names (RFC 3501 §5.1.3).
    ///
    /// Printable ASCII stands for itself except "&", which becomes "&-"; every other run of characters is
    /// the modified base64 (with "," instead of "/", no padding) of its UTF-16BE form between "&" and "-".
    ///
    /// ### Example
    /// "Ricevute già lette" ⇄ "Ricevute gi&AOA- lette"
    package enum ModifiedUTF7 {
        /// Thrown by ``decode(_:)`` for bytes that are not valid modified UTF-7.
        package struct DecodingError: Error, Hashable, Sendable, CustomStringConvertible {
            package var hint: String
            package init(hint: String) { self.hint = hint }
            package var description: String { "invalid modified UTF-7: \(hint)" }
        }

        private static let alphabet: [UInt8] = Array(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8
        )

        private static let reverse: [Int8] = {
            var table = [Int8](repeating: -1, count: 256)
            for (index, byte) in alphabet.enumerated() {
                table[Int(byte)] = Int8(index)
            }
            return table
        }()

        package static func encode(_ string: String) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(string.utf8.count)
            var pending: [UInt16] = []
            func flush() {
                guard !pending.isEmpty else { return }
                out.append(UInt8(ascii: "&"))
                var bytes: [UInt8] = []
                bytes.reserveCapacity(pending.count * 2)
                for unit in pending {
                    bytes.append(UInt8(unit >> 8))
                    bytes.append(UInt8(unit & 0xFF))
                }
                var index = 0
                while index < bytes.count {
                    let b0 = bytes[index]
                    let b1: UInt8 = index + 1 < bytes.count ? bytes[index + 1] : 0
                    let b2: UInt8 = index + 2 < bytes.count ? bytes[index + 2] : 0
                    let remaining = bytes.count - index
                    out.append(alphabet[Int(b0 >> 2)])
                    out.append(alphabet[Int(((b0 & 0x03) << 4) | (b1 >> 4))])
                    if remaining > 1 { out.append(alphabet[Int(((b1 & 0x0F) << 2) | (b2 >> 6))]) }
                    if remaining > 2 { out.append(alphabet[Int(b2 & 0x3F)]) }
                    index += 3
                }
                out.append(UInt8(ascii: "-"))
                pending.removeAll()
            }
            for scalar in string.unicodeScalars {
                if scalar.value >= 0x20 && scalar.value <= 0x7E {
                    flush()
                    out.append(UInt8(scalar.value))
                    if scalar == "&" { out.append(UInt8(ascii: "-")) }
                } else {
                    pending.append(contentsOf: Array(String(scalar).utf16))
                }
            }
            flush()
            return out
        }

        package static func decode(_ bytes: [UInt8]) throws(DecodingError) -> String {
            var scalars = String.UnicodeScalarView()
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                guard byte >= 0x20 && byte <= 0x7E else {
                    throw DecodingError(hint: "byte 0x\(String(byte, radix: 16)) is not printable ASCII")
                }
                guard byte == UInt8(ascii: "&") else {
                    scalars.append(Unicode.Scalar(byte))
                    index += 1
                    continue
                }
                guard let end = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "-")) else {
                    throw DecodingError(hint: "\"&\" without a closing \"-\"")
                }
                if end == index + 1 {
                    scalars.append("&")
                    index = end + 1
                    continue
                }
                var bits: UInt32 = 0
                var bitCount = 0
                var octets: [UInt8] = []
                for char in bytes[(index + 1)..<end] {
                    let value = reverse[Int(char)]
                    guard value >= 0 else {
                        throw DecodingError(hint: "\"\(Character(Unicode.Scalar(char)))\" is not modified base64")
                    }
                    bits = (bits << 6) | UInt32(value)
                    bitCount += 6
                    if bitCount >= 8 {
                        bitCount -= 8
                        octets.append(UInt8(truncatingIfNeeded: bits >> UInt32(bitCount)))
                        bits &= (1 << UInt32(bitCount)) - 1
                    }
                }
                guard !octets.isEmpty, octets.count % 2 == 0, bits == 0, bitCount < 6 else {
                    throw DecodingError(hint: "modified base64 run is not whole UTF-16")
                }
                var units: [UInt16] = []
                units.reserveCapacity(octets.count / 2)
                var octetIndex = 0
                while octetIndex < octets.count {
                    units.append(UInt16(octets[octetIndex]) << 8 | UInt16(octets[octetIndex + 1]))
                    octetIndex += 2
                }
                var iterator = units.makeIterator()
                var decoder = UTF16()
                decodeLoop: while true {
                    switch decoder.decode(&iterator) {
                    case .scalarValue(let scalar): scalars.append(scalar)
                    case .emptyInput: break decodeLoop
                    case .error: throw DecodingError(hint: "modified base64 run is not valid UTF-16")
                    }
                }
                index = end + 1
            }
            return String(scalars)
        }
    }
}
