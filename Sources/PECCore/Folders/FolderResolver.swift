/// Finds the server's name for a folder the user named: `inbox` and the special-use names
/// (`sent`, `trash`, `drafts`, `junk`, `archive`) are aliases resolved through SPECIAL-USE; any
/// other name is taken verbatim, spaces and accents included.
struct FolderResolver {
    static let aliases: [String: IMAP.MailboxAttribute] = [
        "sent": .sent, "trash": .trash, "drafts": .drafts, "junk": .junk, "archive": .archive,
    ]
    /// Names used by servers without SPECIAL-USE, tried in order.
    static let fallbackNames: [String: [String]] = [
        "sent": ["Sent", "INBOX.Sent", "INBOX/Sent", "Posta inviata", "Sent Items", "Inviata"],
        "trash": ["Trash", "INBOX.Trash", "INBOX/Trash", "Cestino", "Deleted Items"],
        "drafts": ["Drafts", "INBOX.Drafts", "INBOX/Drafts", "Bozze"],
        "junk": ["Junk", "INBOX.Junk", "Spam", "Posta indesiderata"],
        "archive": ["Archive", "INBOX.Archive", "Archivio"],
    ]

    static func resolve(_ name: String?, client: IMAPClient) async throws -> IMAP.MailboxName {
        guard let name, !name.isEmpty else { return .inbox }
        let key = name.lowercased()
        if key == "inbox" { return .inbox }
        guard let attribute = aliases[key] else { return IMAP.MailboxName(name) }
        let entries = try await client.listMailboxes()
        // A folder really called so (`Trash`) wins over the alias.
        if let exact = entries.first(where: { $0.name.displayName == name }) {
            return exact.name
        }
        if let entry = entries.first(where: { $0.attributes.contains(attribute) }) {
            return entry.name
        }
        for candidate in fallbackNames[key] ?? [] {
            if let entry = entries.first(where: { $0.name.displayName == candidate }) { return entry.name }
        }
        throw PECError(
            .notFound,
            "this mailbox has no folder marked as \(key)",
            remedy: .chooseFolder
        )
    }

    static func specialUse(of entry: IMAP.ListEntry) -> String? {
        if entry.name.isInbox { return "inbox" }
        let uses: [(IMAP.MailboxAttribute, String)] = [
            (.sent, "sent"), (.trash, "trash"), (.drafts, "drafts"), (.junk, "junk"), (.archive, "archive"),
            (.all, "all"), (.flagged, "flagged"),
        ]
        return uses.first { entry.attributes.contains($0.0) }?.1
    }
}
