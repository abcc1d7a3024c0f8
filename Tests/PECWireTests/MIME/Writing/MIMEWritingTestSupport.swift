@testable import PECWire

enum MIMEWritingTestSupport {
    /// Lines split at CRLF; the flag says whether any CR or LF appeared outside a CRLF pair.
    // The same helper is in PECCoreTests' ComposeTestSupport (composed messages): one copy each until the
    // test targets share a support target.
    static func lines(_ bytes: [UInt8]) -> (lines: [ArraySlice<UInt8>], hasBareLineEnd: Bool) {
        var lines: [ArraySlice<UInt8>] = []
        var bare = false
        var start = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A {
                lines.append(bytes[start..<index])
                index += 2
                start = index
            } else {
                if bytes[index] == 0x0D || bytes[index] == 0x0A { bare = true }
                index += 1
            }
        }
        if start < bytes.count { lines.append(bytes[start...]) }
        return (lines, bare)
    }

    static func decodeQuotedPrintable(_ bytes: [UInt8]) -> [UInt8] {
        var decoder = QuotedPrintableStreamDecoder()
        var output: [UInt8] = []
        decoder.decode(bytes, into: &output)
        decoder.finish(into: &output)
        return output
    }
}

extension MIMESeededGenerator {
    /// `count` pseudo-random bytes.
    mutating func bytes(_ count: Int) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(count + 8)
        while output.count < count {
            withUnsafeBytes(of: next()) { output += $0 }
        }
        return Array(output.prefix(count))
    }
}
