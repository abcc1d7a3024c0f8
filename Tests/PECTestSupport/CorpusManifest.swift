import Foundation
import Testing

/// What the sandbox wrote into a user's mailbox (`DIR/corpus/<user>.json`, made by
/// sandbox/pecsim/corpus.py from the very values it built the messages with): the expectations of
/// the mailbox tests, independent of pec's own parsing.
struct CorpusManifest: Decodable {
    struct Message: Decodable {
        var folder: String
        var uid: UInt32
        var messageId: String
        var subject: String
        var from: String
        var fromName: String?
        var date: String?
        var internaldate: String
        var kind: String
        var special: String?
        var pecType: String?
        var unread: Bool
        var hasAttachments: Bool
        var attachments: [String]
        var size: Int
        var extra: [String: String]?

        enum CodingKeys: String, CodingKey {
            case folder, uid, subject, from, date, internaldate, kind, special, unread, attachments, size, extra
            case fromName = "from_name"
            case messageId = "message_id"
            case pecType = "pec_type"
            case hasAttachments = "has_attachments"
        }
    }

    struct FolderCount: Decodable {
        var count: Int
        var unread: Int
    }

    var user: String
    var folders: [String: FolderCount]
    var messages: [Message]

    static func load(user: String, sandbox: SandboxHarness) throws -> CorpusManifest {
        let url = URL(fileURLWithPath: sandbox.directory).appendingPathComponent("corpus/\(user).json")
        return try JSONDecoder().decode(CorpusManifest.self, from: Data(contentsOf: url))
    }

    /// A fresh harness logged in as `user` (the file store), with that user's manifest.
    static func loggedIn(as user: String) throws -> (SandboxHarness, CorpusManifest) {
        let sandbox = try SandboxHarness()
        let corpus = try load(user: user, sandbox: sandbox)
        let login = try sandbox.login(user)
        try #require(login.status == 0, "login failed: \(login.stderr)")
        return (sandbox, corpus)
    }

    func messages(in folder: String) -> [Message] {
        messages.filter { $0.folder == folder }.sorted { $0.uid > $1.uid }
    }

    func message(special: String) throws -> Message {
        try #require(messages.first { $0.special == special }, "the corpus has no \(special) message")
    }
}

/// ISO-8601 timestamps with any offset, compared as instants.
func instant(_ text: String?) -> Date? {
    guard let text else { return nil }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text)
}
