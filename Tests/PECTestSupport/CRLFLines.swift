/// Wire output split at CRLF, for the tests that check line ends and lengths of what is written.
public enum CRLFLines {
    /// The lines between CRLFs; the flag says whether any CR or LF appeared outside a CRLF pair.
    public static func split(_ bytes: [UInt8]) -> (lines: [ArraySlice<UInt8>], hasBareLineEnd: Bool) {
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
}
