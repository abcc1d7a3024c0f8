extension MailboxService {
    /// Every folder (INBOX first, then by name), with message and unread counts when `counts` is set
    /// (one STATUS each).
    public func folders(counts: Bool) async throws -> [Folder] {
        let folders = try await access.withSession(logger: logger) { client in
            let entries = try await client.listMailboxes()
            var folders: [Folder] = []
            for entry in entries {
                let selectable = entry.isSelectable
                var folder = Folder(
                    name: entry.name.displayName,
                    specialUse: FolderResolver.specialUse(of: entry),
                    selectable: selectable
                )
                if counts && selectable {
                    let status = try await client.status(of: entry.name, [.messages, .unseen])
                    folder.messages = status.messages
                    folder.unread = status.unseen
                }
                folders.append(folder)
            }
            return Self.ordered(folders)
        }
        access.folderNames?.save(folders.filter(\.selectable).map(\.name), for: access.username)
        return folders
    }

    /// INBOX first, then by name: servers list folders in any order, and not always the same one.
    static func ordered(_ folders: [Folder]) -> [Folder] {
        folders.sorted { a, b in
            let aInbox = a.name.uppercased() == "INBOX"
            let bInbox = b.name.uppercased() == "INBOX"
            if aInbox != bInbox { return aInbox }
            let (aKey, bKey) = (a.name.lowercased(), b.name.lowercased())
            return aKey == bKey ? a.name < b.name : aKey < bKey
        }
    }
}
