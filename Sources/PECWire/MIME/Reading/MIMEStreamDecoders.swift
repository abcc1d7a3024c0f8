import Foundation

/// Base64 (RFC 2045 §6.8) decoded chunk by chunk. Tolerant as real mail needs: line breaks,
/// whitespace and bytes outside the alphabet are skipped; `=` ends a quantum (so concatenated
/// padded blocks decode too); a trailing partial quantum is decoded as far as it goes.
package struct Base64StreamDecoder: Sendable {
    private var accumulator: UInt32 = 0
    private var count = 0

    package init() {}

    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        // URL-safe alphabet, seen from some webmail encoders.
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        table[Int(UInt8(ascii: "="))] = 0xFE
        return table
    }()

    package mutating func decode(_ chunk: some Collection<UInt8>, into output: inout [UInt8]) {
        withContiguousBytes(of: chunk) { decodeContiguous($0, into: &output) }
    }

    /// The loop: whole quanta of four alphabet bytes (nearly every byte of a base64 body: lines of 76)
    /// are decoded four at a time into the output's spare capacity; line breaks, padding and strays go
    /// through the byte-at-a-time path, which keeps the partial quantum across chunks.
    private mutating func decodeContiguous(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        // Each output byte takes at least 4/3 input bytes, and at most 3 are pending from the last chunk.
        output.append(upTo: input.count / 4 * 3 + 6) { out in
            var written = 0
            guard let bytes = input.baseAddress else { return 0 }
            Self.table.withUnsafeBufferPointer { tableBuffer in
                guard let table = tableBuffer.baseAddress else { return }
                let end = input.count
                var index = 0
                while index < end {
                    if count == 0, end - index >= 4 {
                        let a = table[Int(bytes[index])]
                        let b = table[Int(bytes[index + 1])]
                        let c = table[Int(bytes[index + 2])]
                        let d = table[Int(bytes[index + 3])]
                        if (a | b | c | d) & 0xC0 == 0 {
                            let quantum = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                            out[written] = UInt8(truncatingIfNeeded: quantum >> 16)
                            out[written + 1] = UInt8(truncatingIfNeeded: quantum >> 8)
                            out[written + 2] = UInt8(truncatingIfNeeded: quantum)
                            written += 3
                            index += 4
                            continue
                        }
                    }
                    let value = table[Int(bytes[index])]
                    index += 1
                    if value < 64 {
                        accumulator = accumulator << 6 | UInt32(value)
                        count += 1
                        if count == 4 {
                            out[written] = UInt8(truncatingIfNeeded: accumulator >> 16)
                            out[written + 1] = UInt8(truncatingIfNeeded: accumulator >> 8)
                            out[written + 2] = UInt8(truncatingIfNeeded: accumulator)
                            written += 3
                            accumulator = 0
                            count = 0
                        }
                    } else if value == 0xFE {
                        let (first, second, length) = takePartial()
                        if length > 0 { out[written] = first }
                        if length > 1 { out[written + 1] = second }
                        written += length
                    }
                }
            }
            return written
        }
    }

    /// How many bytes `decode` would produce for `chunk`, with the same state change, writing nothing.
    package mutating func countDecoded(_ chunk: ArraySlice<UInt8>) -> Int {
        var produced = 0
        Self.table.withUnsafeBufferPointer { table in
            chunk.withUnsafeBufferPointer { input in
                for byte in input {
                    let value = table[Int(byte)]
                    if value < 64 {
                        count += 1
                        if count == 4 {
                            produced += 3
                            count = 0
                        }
                    } else if value == 0xFE {
                        produced += count == 2 ? 1 : count == 3 ? 2 : 0
                        count = 0
                    }
                }
            }
        }
        accumulator = 0  // only the count matters from here on
        return produced
    }

    package mutating func finish(into output: inout [UInt8]) {
        let (first, second, length) = takePartial()
        if length > 0 { output.append(first) }
        if length > 1 { output.append(second) }
    }

    /// What a partial quantum holds (its length is 0, 1 or 2 bytes), and a fresh quantum.
    private mutating func takePartial() -> (UInt8, UInt8, Int) {
        defer {
            accumulator = 0
            count = 0
        }
        switch count {
        case 2: return (UInt8(truncatingIfNeeded: accumulator >> 4), 0, 1)
        case 3: return (UInt8(truncatingIfNeeded: accumulator >> 10), UInt8(truncatingIfNeeded: accumulator >> 2), 2)
        default: return (0, 0, 0)
        }
    }
}

/// Quoted-printable (RFC 2045 §6.7) decoded chunk by chunk: `=XX` in either case, soft line breaks
/// `=\r\n` and `=\n` (also with whitespace between `=` and the line end); malformed escapes are
/// kept literally. Line ends are passed through as sent.
package struct QuotedPrintableStreamDecoder: Sendable {
    /// "=" and what followed it, while still undecided (at most a short run).
    private var held: [UInt8] = []

    package init() {}

    package mutating func decode(_ chunk: some Collection<UInt8>, into output: inout [UInt8]) {
        output.reserveCapacity(output.count + chunk.count)
        for byte in chunk { feed(byte, into: &output) }
    }

    private mutating func feed(_ byte: UInt8, into output: inout [UInt8]) {
        let equals = UInt8(ascii: "=")
        if held.isEmpty {
            if byte == equals { held.append(byte) } else { output.append(byte) }
            return
        }
        if held.count == 1 {
            if MIMEBytes.hexValue(byte) != nil || byte == 0x0D || byte == 0x20 || byte == 0x09 {
                held.append(byte)
            } else if byte == 0x0A {
                held.removeAll()
            } else {
                output.append(equals)
                held.removeAll()
                feed(byte, into: &output)
            }
            return
        }
        if let high = MIMEBytes.hexValue(held[1]) {
            if let low = MIMEBytes.hexValue(byte) {
                output.append(high << 4 | low)
                held.removeAll()
            } else {
                output += held
                held.removeAll()
                feed(byte, into: &output)
            }
            return
        }
        // "=" followed by whitespace and/or CR: a soft line break if a LF comes.
        if byte == 0x0A {
            held.removeAll()
        } else if (byte == 0x0D || byte == 0x20 || byte == 0x09) && held.count < 80 {
            held.append(byte)
        } else {
            output += held
            held.removeAll()
            feed(byte, into: &output)
        }
    }

    package mutating func finish(into output: inout [UInt8]) {
        // A final "=" (with only whitespace after it) is a soft break before the end: dropped.
        if held.count >= 2, MIMEBytes.hexValue(held[1]) != nil { output += held }
        held.removeAll()
    }
}

/// Decodes a body in any transfer encoding, chunk by chunk, counting the decoded bytes.
package struct MIMEBodyDecoder: Sendable {
    package let transferEncoding: MIMETransferEncoding
    private var base64 = Base64StreamDecoder()
    private var quotedPrintable = QuotedPrintableStreamDecoder()
    package private(set) var decodedByteCount = 0

    package init(transferEncoding: MIMETransferEncoding) {
        self.transferEncoding = transferEncoding
    }

    package mutating func decode(
        _ chunk: ArraySlice<UInt8>,
        to sink: (ArraySlice<UInt8>) throws -> Void
    ) rethrows {
        switch transferEncoding {
        case .base64:
            var output: [UInt8] = []
            base64.decode(chunk, into: &output)
            try emit(output, to: sink)
        case .quotedPrintable:
            var output: [UInt8] = []
            quotedPrintable.decode(chunk, into: &output)
            try emit(output, to: sink)
        default:
            decodedByteCount += chunk.count
            if !chunk.isEmpty { try sink(chunk) }
        }
    }

    /// Counts what `chunk` decodes to without keeping it (the size of a body left in a file).
    package mutating func count(_ chunk: ArraySlice<UInt8>) {
        switch transferEncoding {
        case .base64: decodedByteCount += base64.countDecoded(chunk)
        default: decode(chunk) { _ in }
        }
    }

    package mutating func finish(to sink: (ArraySlice<UInt8>) throws -> Void) rethrows {
        var output: [UInt8] = []
        switch transferEncoding {
        case .base64: base64.finish(into: &output)
        case .quotedPrintable: quotedPrintable.finish(into: &output)
        default: break
        }
        try emit(output, to: sink)
    }

    private mutating func emit(_ output: [UInt8], to sink: (ArraySlice<UInt8>) throws -> Void) rethrows {
        guard !output.isEmpty else { return }
        decodedByteCount += output.count
        try sink(output[...])
    }

    /// Decodes a whole body held in memory.
    package static func decode(_ body: ArraySlice<UInt8>, transferEncoding: MIMETransferEncoding) -> [UInt8] {
        var decoder = MIMEBodyDecoder(transferEncoding: transferEncoding)
        var output: [UInt8] = []
        decoder.decode(body) { output += $0 }
        decoder.finish { output += $0 }
        return output
    }
}
