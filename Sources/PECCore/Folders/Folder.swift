/// One folder of the mailbox, as `pec folders` shows it.
public struct Folder: Codable, Sendable, Equatable {
    /// The name to pass to `--folder` (decoded from modified UTF-7).
    public var name: String
    /// `inbox`, `sent`, `trash`, `drafts`, `junk`, `archive`, `all` or `flagged` when the server
    /// marks the folder so (RFC 6154).
    public var specialUse: String?
    public var messages: Int?
    public var unread: Int?
    /// False for folders that only hold other folders.
    public var selectable: Bool

    /// The columns of `pec folders` in text form (and of `pec-mcp`'s text copy).
    public static func textColumns(counts: Bool) -> [String] {
        counts ? ["name", "special_use", "messages", "unread"] : ["name", "special_use"]
    }

    enum CodingKeys: String, CodingKey {
        case name
        case specialUse = "special_use"
        case messages, unread, selectable
    }
}
