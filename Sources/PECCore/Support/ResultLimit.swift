/// How many records a listing may be asked for: the one check for `pec`, `pec-mcp` and the use-cases.
public enum ResultLimit {
    /// `list` and `search`: any number of messages, 0 for all of them.
    public static func checkMessages(_ limit: Int) throws(PECError) {
        guard limit >= 0 else { throw PECError(.usage, "--limit must be 0 (all) or a positive number, not \(limit)") }
    }

    /// `status`: how many recent sends.
    public static let sends = 1...1000

    public static func checkSends(_ limit: Int) throws(PECError) {
        guard sends.contains(limit) else { throw PECError(.usage, "--limit takes a number between 1 and 1000") }
    }
}
