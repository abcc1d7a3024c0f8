/// Streaming encoder for the content after DATA (RFC 5321 §4.5.2): feed the message in chunks of
/// any size and get the bytes for the wire, then ``finish()`` for the end-of-data terminator.
///
/// - A line starting with "." gets another "." in front (dot-stuffing), also when the line start
///   falls on a chunk boundary.
/// - Bare LF and bare CR become CRLF: SMTP lines end in CRLF only, and a bare CR or LF that some
///   server reads as a line end could otherwise let content end the DATA early.
///
/// ### Example
///     var encoder = SMTPDataEncoder()
///     encoder.encode(Array("a\n.b".utf8))     // "a\r\n..b"
///     encoder.finish()                        // "\r\n.\r\n"
package struct SMTPDataEncoder: Sendable {
    private var atLineStart = true
    /// A CR whose meaning (CRLF or bare CR) depends on the next byte, maybe in the next chunk.
    private var pendingCR = false
    /// Bytes of content given so far, for logs.
    package private(set) var contentByteCount = 0

    package init() {}

    /// The wire bytes for `chunk`.
    package mutating func encode(_ chunk: some Collection<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        encode(chunk, into: &output)
        return output
    }

    /// Appends the wire bytes for `chunk` to `output`.
    package mutating func encode(_ chunk: some Collection<UInt8>, into output: inout [UInt8]) {
        withContiguousBytes(of: chunk) { encodeContiguous($0, into: &output) }
    }

    /// The byte loop, on contiguous bytes and into the output's spare capacity: a byte becomes at
    /// most two (LF → CRLF; "." at a line start → ".."), plus a CRLF for a CR pending from the last chunk.
    private mutating func encodeContiguous(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        contentByteCount += input.count
        output.append(upTo: input.count * 2 + 2) { out in
            var written = 0
            for byte in input {
                if pendingCR {
                    pendingCR = false
                    out[written] = Self.cr
                    out[written + 1] = Self.lf
                    written += 2
                    atLineStart = true
                    if byte == Self.lf { continue }  // the CRLF just written
                }
                switch byte {
                case Self.cr:
                    pendingCR = true
                case Self.lf:
                    out[written] = Self.cr
                    out[written + 1] = Self.lf
                    written += 2
                    atLineStart = true
                default:
                    if atLineStart, byte == Self.dot {
                        out[written] = Self.dot
                        written += 1
                    }
                    out[written] = byte
                    written += 1
                    atLineStart = false
                }
            }
            return written
        }
    }

    /// The end of the data: a CRLF if the content did not end with a line end, then ".\r\n".
    package mutating func finish() -> [UInt8] {
        var output: [UInt8] = []
        if pendingCR || !atLineStart { output.append(contentsOf: Self.crlf) }
        pendingCR = false
        atLineStart = true
        output.append(contentsOf: [Self.dot, Self.cr, Self.lf])
        return output
    }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let dot = UInt8(ascii: ".")
    private static let crlf: [UInt8] = [cr, lf]
}
