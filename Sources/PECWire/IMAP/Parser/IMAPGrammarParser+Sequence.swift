extension IMAP.GrammarParser {
    // sequence-set = (seq-number / seq-range) ["," sequence-set]
    // seq-range = seq-number ":" seq-number
    // seq-number = nz-number / "*"
    /// As sorted, merged ranges; "*" is `UInt32.max`. Never expanded.
    static func parseSequenceSet(
        _ buffer: inout ParseBuffer,
        _ tracker: StackTracker
    ) throws -> [ClosedRange<UInt32>] {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            var ranges: [ClosedRange<UInt32>] = []
            repeat {
                let first = try parseSeqNumber(&buffer)
                var second = first
                if try PL.consumeIf(UInt8(ascii: ":"), &buffer) {
                    second = try parseSeqNumber(&buffer)
                }
                ranges.append(min(first, second)...max(first, second))
            } while try PL.consumeIf(UInt8(ascii: ","), &buffer)
            return ranges
        }
    }

    // seq-number = nz-number / "*"
    static func parseSeqNumber(_ buffer: inout ParseBuffer) throws -> UInt32 {
        if try PL.consumeIf(UInt8(ascii: "*"), &buffer) { return UInt32.max }
        return try PL.parseNZNumber(&buffer)
    }

    // uid-set = (uniqueid / uid-range) *("," uid-set)   (RFC 4315)
    static func parseUIDSet(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.UIDSet {
        let ranges = try parseSequenceSet(&buffer, tracker)
        return IMAP.UIDSet(ranges: ranges.map { IMAP.UID($0.lowerBound)...IMAP.UID($0.upperBound) })
    }

    // uid-set = (uniqueid / uid-range) *("," uid-set); uid-range = (uniqueid ":" uniqueid)   (RFC 4315)
    /// A uid-set expanded to its UIDs in the server's order (COPYUID pairs them up), bounded by
    /// ``IMAP/ResponseParser/Options/maxSetExpansion``.
    static func parseExpandedUIDSet(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> [IMAP.UID] {
        let start = buffer.index
        var ranges: [ClosedRange<UInt32>] = []
        // Keep the server's order: parse ranges without merging.
        repeat {
            let first = try PL.parseNZNumber(&buffer)
            var second = first
            if try PL.consumeIf(UInt8(ascii: ":"), &buffer) { second = try PL.parseNZNumber(&buffer) }
            ranges.append(min(first, second)...max(first, second))
        } while try PL.consumeIf(UInt8(ascii: ","), &buffer)
        var total: UInt64 = 0
        for range in ranges { total += UInt64(range.upperBound - range.lowerBound) + 1 }
        guard total <= UInt64(buffer.options.maxSetExpansion) else {
            buffer.index = start
            throw PL.syntaxError("uid-set too large to expand")
        }
        var uids: [IMAP.UID] = []
        uids.reserveCapacity(Int(total))
        for range in ranges {
            for value in range { uids.append(IMAP.UID(value)) }
        }
        return uids
    }
}
