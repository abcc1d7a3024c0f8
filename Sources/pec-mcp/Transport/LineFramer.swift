/// Splits a byte stream into newline-terminated lines, in time linear in the input: each byte is
/// looked at once for the newline (only the bytes appended since the last scan are searched), and
/// a line longer than `maximumLineLength` is not kept but reported once and skipped to its end.
struct LineFramer {
    enum Event: Equatable {
        case line([UInt8])
        /// A line passed `maximumLineLength`: it is being discarded up to its newline.
        case tooLong
    }

    /// 16 MB: a PEC is at most 100 MB, but a JSON-RPC request for one with a few MB of text fits
    /// easily, and the server must never hold an unbounded line.
    static let defaultMaximumLineLength = 16 * 1024 * 1024

    let maximumLineLength: Int
    private var pending: [UInt8] = []
    /// Skipping the rest of an over-long line until its newline.
    private var discarding = false

    init(maximumLineLength: Int = defaultMaximumLineLength) {
        self.maximumLineLength = maximumLineLength
    }

    /// The complete lines (without their `\n`, and a `\r` before it) in `bytes`, in order; empty
    /// lines are dropped.
    mutating func append(_ bytes: some Collection<UInt8>) -> [Event] {
        var events: [Event] = []
        var rest = bytes[...]
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
            let piece = rest[..<newline]
            rest = rest[rest.index(after: newline)...]
            if discarding {
                discarding = false
                continue
            }
            if pending.count + piece.count > maximumLineLength {
                pending.removeAll()
                events.append(.tooLong)
                continue
            }
            pending.append(contentsOf: piece)
            if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
            if !pending.isEmpty { events.append(.line(pending)) }
            pending.removeAll(keepingCapacity: pending.count <= 1 << 16)
        }
        guard !discarding else { return events }
        if pending.count + rest.count > maximumLineLength {
            pending = []
            discarding = true
            events.append(.tooLong)
        } else {
            pending.append(contentsOf: rest)
        }
        return events
    }
}
