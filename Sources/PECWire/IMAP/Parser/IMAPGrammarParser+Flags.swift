extension IMAP.GrammarParser {
    // flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword / flag-extension
    // flag-keyword = atom
    // flag-extension = "\" atom
    // flag-fetch = flag / "\Recent"
    // flag-perm = flag / "\*"
    static func parseFlag(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.Flag {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            if try PL.consumeIf(backslash, &buffer) {
                if try PL.consumeIf(UInt8(ascii: "*"), &buffer) { return .wildcard }
                return IMAP.Flag("\\" + (try parseAtom(&buffer, tracker)))
            }
            return IMAP.Flag(try parseAtom(&buffer, tracker))
        }
    }

    // flag-list = "(" [flag *(SP flag)] ")"
    static func parseFlagList(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> [IMAP.Flag] {
        try parseParenthesizedList(&buffer, tracker) { buffer, tracker in try parseFlag(&buffer, tracker) }
    }

    // capability = ("AUTH=" auth-type) / atom
    static func parseCapability(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.Capability {
        IMAP.Capability(try parseAtom(&buffer, tracker))
    }

    // capability-data = "CAPABILITY" *(SP capability) SP "IMAP4rev1" *(SP capability)
    /// The list after the keyword. Tolerance: IMAP4rev1 need not be present; trailing spaces are ignored.
    static func parseCapabilityList(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> [IMAP.Capability] {
        var capabilities: [IMAP.Capability] = []
        while try buffer.peek() == space {
            PL.skipSpaces(&buffer)
            guard isAtomChar(try buffer.peek()) else { break }
            capabilities.append(try parseCapability(&buffer, tracker))
        }
        return capabilities
    }
}
