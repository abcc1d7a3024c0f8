/// Where a send stands in the ledger. Stable strings: they are stored in the database and shown in `--json` output.
public enum LedgerSendStatus: String, Codable, Sendable, CaseIterable {
    /// An attempt started and has not recorded its outcome: it is running now, or its process died mid-send.
    case sending
    /// The server accepted the message (end of DATA answered 250).
    case sent
    /// The attempt failed before the server could have accepted the message.
    case failed
    /// The connection broke after the message was handed over: it may or may not have been accepted.
    case uncertain
    /// The server refused the message (or every recipient) with a definite error.
    case refused

    /// Whether the message may already be on its way, so sending the same Message-ID again could deliver a
    /// legally binding message twice.
    public var mayHaveBeenSubmitted: Bool {
        switch self {
        case .sending, .sent, .uncertain: true
        case .failed, .refused: false
        }
    }
}
