import Foundation
import PECCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One client configuration file: read, our server entry added or removed by editing only its own
/// bytes, and written back atomically after a backup of what was there.
struct ClientConfigFile: Sendable {
    /// What installing or uninstalling does to the file.
    enum Change: Sendable, Equatable {
        /// The entry was not there: added (the file is created when missing).
        case add([UInt8])
        /// A different entry of that name was there, and --force was given.
        case replace([UInt8])
        /// Our entry is there already, exactly: nothing to write.
        case unchanged
        /// Our entry goes; nil: the file was pec's own (Continue's) and is left empty, so it goes too.
        case remove([UInt8]?)
        /// Nothing to uninstall.
        case absent

        var writes: Bool {
            switch self {
            case .add, .replace, .remove: true
            case .unchanged, .absent: false
            }
        }
    }

    let client: MCPClient
    /// The path as the user knows it (shown in messages).
    let path: String
    /// Where the bytes really are: a symbolic link (dotfiles kept in a repository) is written through, not replaced.
    let realPath: String
    /// nil: no file yet.
    let original: [UInt8]?
    let mode: mode_t?
    /// The file's owner, given back after the rename when root edits someone else's file (sudo).
    private let owner: (uid: uid_t, gid: gid_t)?
    /// Whether the file's directory was there: when not, the client may not be installed at all.
    let directoryExisted: Bool
    private let text: JSONText?

    init(client: MCPClient, path: String) throws(SetupError) {
        self.client = client
        self.path = path
        var real = path
        if let resolved = realpath(path, nil) {
            real = String(cString: resolved)
            free(resolved)
        }
        realPath = real
        var info = stat()
        guard stat(real, &info) == 0 else {
            let code = errno
            guard code == ENOENT else {
                throw SetupError.unreadable(path: path, reason: String(cString: strerror(code)))
            }
            original = nil
            mode = nil
            owner = nil
            text = nil
            directoryExisted = FileManager.default.fileExists(atPath: (real as NSString).deletingLastPathComponent)
            return
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SetupError.unreadable(path: path, reason: "not a regular file")
        }
        mode = info.st_mode & 0o7777
        owner = (info.st_uid, info.st_gid)
        directoryExisted = true
        guard let data = FileManager.default.contents(atPath: real) else {
            throw SetupError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let bytes = [UInt8](data)
        original = bytes
        do {
            text = try JSONText(bytes, allowsComments: client.allowsComments)
        } catch {
            throw SetupError.invalidJSON(path: path, line: error.line, column: error.column, problem: error.message)
        }
    }

    /// The entry as the user would paste it by hand: `{ "mcpServers": { "pec": { … } } }`.
    func snippet(name: String, entry: JSONValue) -> String {
        JSONValue.object([JSONValue.Member(client.serversKey, .object([JSONValue.Member(name, entry)]))]).rendered(
            indent: "",
            unit: "  "
        )
    }

    func installing(name: String, entry: JSONValue, force: Bool) throws(SetupError) -> Change {
        guard let text, let root = text.root else {
            // No file, or an empty one: ours is the whole of it.
            return .add(Array((snippet(name: name, entry: entry) + "\n").utf8))
        }
        let rootMembers = try members(of: root, key: nil)
        guard let serversIndex = try index(of: client.serversKey, in: rootMembers) else {
            let servers = JSONValue.object([JSONValue.Member(name, entry)])
            let edited = text.applying(text.insertion(of: client.serversKey, value: servers, into: root))
            return .add(try checked(edited, name: name, entry: entry))
        }
        let servers = rootMembers[serversIndex].value
        let serverMembers = try members(of: servers, key: client.serversKey)
        guard let ours = try index(of: name, in: serverMembers) else {
            return .add(
                try checked(
                    text.applying(text.insertion(of: name, value: entry, into: servers)),
                    name: name,
                    entry: entry
                )
            )
        }
        let existing = serverMembers[ours]
        if existing.value.value.means(entry) { return .unchanged }
        guard force else {
            throw SetupError.conflictingEntry(
                path: path,
                name: name,
                existing: JSONText.compact(existing.value.value),
                wanted: JSONText.compact(entry)
            )
        }
        let edited = text.applying(text.replacement(ofValueOf: existing, with: entry))
        return .replace(try checked(edited, name: name, entry: entry))
    }

    func uninstalling(name: String) throws(SetupError) -> Change {
        guard let text, let root = text.root else { return .absent }
        let rootMembers = try members(of: root, key: nil)
        guard let serversIndex = try index(of: client.serversKey, in: rootMembers) else { return .absent }
        let servers = rootMembers[serversIndex].value
        let serverMembers = try members(of: servers, key: client.serversKey)
        guard let ours = try index(of: name, in: serverMembers) else { return .absent }
        if client.ownsFile, rootMembers.count == 1, serverMembers.count == 1 { return .remove(nil) }
        let edited = text.applying(text.removal(ofMemberAt: ours, from: servers))
        return .remove(try checked(edited, name: name, entry: nil))
    }

    /// Carries out a change: the directory made when missing (0700), the old file copied to a backup,
    /// the new one written atomically with the old one's mode. Returns the backup's path, if one was made.
    func apply(_ change: Change, now: Date = Date()) throws(SetupError) -> String? {
        guard change.writes else { return nil }
        let target = URL(fileURLWithPath: realPath)
        var backup: String?
        do {
            try SecureFiles.ensureDirectory(target.deletingLastPathComponent())
            if let original {
                let backupPath = Self.backupPath(for: realPath, at: now)
                try SecureFiles.writeAtomically(
                    Data(original),
                    to: URL(fileURLWithPath: backupPath),
                    mode: mode ?? 0o600
                )
                backup = backupPath
            }
            switch change {
            case .add(let bytes), .replace(let bytes), .remove(let bytes?):
                // A new file is private: its arguments name the account and its folders.
                try SecureFiles.writeAtomically(Data(bytes), to: target, mode: mode ?? 0o600)
                if let owner, getuid() == 0, owner.uid != 0 { _ = chown(realPath, owner.uid, owner.gid) }
            case .remove(nil):
                try SecureFiles.remove(target)
            case .unchanged, .absent:
                break
            }
        } catch {
            throw SetupError.cannotWrite(path: path, reason: error.message + (error.hint.map { " (\($0))" } ?? ""))
        }
        return backup
    }

    /// `FILE.20261206-213000.bak` beside the file (a name that is not `*.json`, so Continue does not
    /// load it); a second backup in the same second gets `-2`, and so on: no backup is overwritten.
    static func backupPath(for path: String, at date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let stamp = formatter.string(from: date)
        var candidate = "\(path).\(stamp).bak"
        var counter = 2
        while FileManager.default.fileExists(atPath: candidate) {
            candidate = "\(path).\(stamp)-\(counter).bak"
            counter += 1
        }
        return candidate
    }

    // MARK: - Checks

    private func members(of node: JSONText.Node, key: String?) throws(SetupError) -> [JSONText.Member] {
        guard let members = node.members else { throw SetupError.notAnObject(path: path, key: key) }
        return members
    }

    private func index(of key: String, in members: [JSONText.Member]) throws(SetupError) -> Int? {
        let matches = members.indices.filter { members[$0].key == key }
        guard matches.count <= 1 else { throw SetupError.duplicateKey(path: path, key: key) }
        return matches.first
    }

    /// The edited text parsed again before anything is written, with our entry there (or gone):
    /// a bug in the editing must not leave the user with a file their client cannot read.
    private func checked(_ bytes: [UInt8], name: String, entry: JSONValue?) throws(SetupError) -> [UInt8] {
        guard let edited = try? JSONText(bytes, allowsComments: client.allowsComments),
            let servers = edited.root?.value[client.serversKey], case .object = servers,
            servers[name]?.means(entry ?? .null) ?? (entry == nil)
        else {
            throw SetupError.cannotWrite(
                path: path,
                reason: "pec-mcp could not edit it safely (a bug: please report it)"
            )
        }
        return bytes
    }
}
