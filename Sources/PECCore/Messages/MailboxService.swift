import Logging

/// The mailbox use-cases behind `pec list`, `search`, `mark-read`, `mark-unread` and
/// `move` (and the matching MCP tools). Each opens one session, does the least work the server
/// allows, and returns plain Codable values.
public struct MailboxService: Sendable {
    public var access: MailboxAccess
    let logger: Logger

    public init(access: MailboxAccess, logger: Logger = Logger(label: "pec.imap")) {
        self.access = access
        self.logger = logger
    }

    /// The newest messages of a folder (newest first), reading only headers, flags and structure
    /// of the messages shown: the cost does not grow with the folder.
    public func list(_ request: ListRequest) async throws -> [MessageSummary] {
        try ResultLimit.checkMessages(request.limit)
        return try await access.withSession(logger: logger) { client in
            let folder = try await FolderResolver.resolve(request.folder, client: client)
            let mailbox = try await client.open(folder, readOnly: true)
            guard mailbox.messageCount > 0 else { return [] }
            var keys: [IMAP.SearchKey] = []
            if request.unreadOnly { keys.append(.unseen) }
            if let since = request.since { keys.append(.since(since.searchDate)) }
            if let before = try Self.uidsBefore(request.beforeID) {
                guard !before.ranges.isEmpty else { return [] }
                keys.append(.uid(before))
            }
            let uids: [IMAP.UID]
            if keys.isEmpty && request.limit > 0 {
                // The newest messages are the last sequence numbers: ask for just those.
                let first = max(1, mailbox.messageCount - request.limit + 1)
                let range =
                    IMAP.SequenceNumber(
                        rawValue: UInt32(first)
                    )...IMAP.SequenceNumber(
                        rawValue: UInt32(mailbox.messageCount)
                    )
                uids = try await client.uidSearch(.sequenceNumbers(range))
            } else {
                uids = try await client.uidSearch(keys.isEmpty ? .all : .and(keys))
            }
            return try await summaries(of: Self.newest(uids, limit: request.limit), client: client)
        }
    }

    /// ``list(_:)`` as pages: `limit` messages and the `before_id` of the next page.
    public func listPage(_ request: ListRequest) async throws -> MessagePage {
        var extended = request
        if request.limit > 0 { extended.limit = request.limit + 1 }
        return MessagePage(try await list(extended), limit: request.limit)
    }

    /// ``search(_:)`` as pages, like ``listPage(_:)``.
    public func searchPage(_ request: SearchRequest) async throws -> MessagePage {
        var extended = request
        if request.limit > 0 { extended.limit = request.limit + 1 }
        return MessagePage(try await search(extended), limit: request.limit)
    }

    /// Server-side search (UTF-8, any text): subject, sender, body, or all three.
    public func search(_ request: SearchRequest) async throws -> [MessageSummary] {
        try ResultLimit.checkMessages(request.limit)
        let query = request.query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !query.isEmpty else { throw PECError(.usage, "the search text is empty") }
        guard !query.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw PECError(.usage, "the search text contains control characters")
        }
        return try await access.withSession(logger: logger) { client in
            let folder = try await FolderResolver.resolve(request.folder, client: client)
            try await client.open(folder, readOnly: true)
            var key: IMAP.SearchKey =
                switch request.field {
                case .subject: .subject(query)
                case .from: .from(query)
                case .body: .body(query)
                case .all: .or(.subject(query), .or(.from(query), .body(query)))
                }
            if let since = request.since { key = .and([key, .since(since.searchDate)]) }
            if let before = try Self.uidsBefore(request.beforeID) {
                guard !before.ranges.isEmpty else { return [] }
                key = .and([key, .uid(before)])
            }
            let uids = try await client.uidSearch(key)
            return try await summaries(of: Self.newest(uids, limit: request.limit), client: client)
        }
    }

    /// Marks one message read or unread. A UID that is not in the folder is an error.
    public func setUnread(_ unread: Bool, id: UInt32, folder: String?) async throws -> FlagChange {
        let uid = try Self.uid(id)
        return try await access.withSession(logger: logger) { client in
            let mailbox = try await FolderResolver.resolve(folder, client: client)
            try await client.open(mailbox, readOnly: false)
            try await Self.requireExisting(uid, in: mailbox, client: client)
            let operation = IMAP.StoreOperation(kind: unread ? .remove : .add, flags: [.seen], silent: true)
            try await client.uidStore(IMAP.UIDSet([uid]), operation)
            return FlagChange(id: id, folder: mailbox.displayName, unread: unread)
        }
    }

    /// Moves one message to another folder (which must exist).
    public func move(id: UInt32, from source: String?, to destination: String) async throws -> MoveResult {
        let uid = try Self.uid(id)
        guard !destination.isEmpty else { throw PECError(.usage, "--to needs a folder name") }
        let change = ChangeProgress()
        return try await access.withSession(logger: logger, change: change) { client in
            let from = try await FolderResolver.resolve(source, client: client)
            let to = try await FolderResolver.resolve(destination, client: client)
            guard from != to else {
                throw PECError(.usage, "the message is already in \"\(to.displayName)\"")
            }
            // A missing destination must fail before anything changes.
            _ = try await client.status(of: to, [.messages])
            try await client.open(from, readOnly: false)
            try await Self.requireExisting(uid, in: from, client: client)
            change.start()
            try await client.uidMove(IMAP.UIDSet([uid]), to: to)
            return MoveResult(id: id, from: from.displayName, to: to.displayName)
        }
    }

    // MARK: - Helpers

    private func summaries(of uids: [IMAP.UID], client: IMAPClient) async throws -> [MessageSummary] {
        guard !uids.isEmpty else { return [] }
        let fetched = try await client.uidFetch(IMAP.UIDSet(uids), MessageSummary.fetchItems)
        return fetched.compactMap(MessageSummary.init).sorted { $0.id > $1.id }
    }

    /// The `limit` highest UIDs (the most recently arrived), highest first; all when `limit` is 0.
    static func newest(_ uids: [IMAP.UID], limit: Int) -> [IMAP.UID] {
        let sorted = uids.sorted(by: >)
        return limit > 0 ? Array(sorted.prefix(limit)) : sorted
    }

    /// The UIDs below `id` (empty for 1), or nil when no page bound was given.
    static func uidsBefore(_ id: UInt32?) throws -> IMAP.UIDSet? {
        guard let id else { return nil }
        guard id > 0 else { throw PECError(.usage, "message ids start at 1: before_id 0 selects nothing") }
        guard id > 1 else { return IMAP.UIDSet() }
        return IMAP.UIDSet(IMAP.UID(rawValue: 1)...IMAP.UID(rawValue: id - 1))
    }

    static func uid(_ id: UInt32) throws -> IMAP.UID {
        guard id > 0 else { throw PECError(.usage, "message ids start at 1") }
        return IMAP.UID(rawValue: id)
    }

    static func requireExisting(_ uid: IMAP.UID, in mailbox: IMAP.MailboxName, client: IMAPClient) async throws {
        guard try await client.existingUIDs([uid]).contains(uid) else {
            throw PECError(
                .notFound,
                "no message with id \(uid.rawValue) in \"\(mailbox.displayName)\"",
                remedy: .listMessages(folder: mailbox.displayName)
            )
        }
    }
}
