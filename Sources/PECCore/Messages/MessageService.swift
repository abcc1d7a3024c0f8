import Foundation
import Logging

/// What `pec get` asks for.
public struct GetRequest: Sendable {
    public var id: UInt32
    public var folder: String?
    public var options: MessageReader.Options
    /// Save the attachments shown into this directory.
    public var saveAttachments: String?
    /// Save the whole raw message to this file (which must not exist).
    public var saveEML: String?
    /// Extra trust anchors for the signature check, besides the account's CA file.
    public var caFiles: [String]

    public init(
        id: UInt32,
        folder: String? = nil,
        options: MessageReader.Options = .init(),
        saveAttachments: String? = nil,
        saveEML: String? = nil,
        caFiles: [String] = []
    ) {
        self.id = id
        self.folder = folder
        self.options = options
        self.saveAttachments = saveAttachments
        self.saveEML = saveEML
        self.caFiles = caFiles
    }
}

extension MailboxService {
    /// One message in full: read with BODY.PEEK on a read-only EXAMINE (never marked read),
    /// classified, signature-checked, envelope unwrapped; attachments saved when asked.
    public func get(_ request: GetRequest) async throws -> MessageDetails {
        let uid = try Self.uid(request.id)
        var writer = try request.saveAttachments.map { try AttachmentWriter(directory: $0) }
        if let path = request.saveEML, FileManager.default.fileExists(atPath: path) {
            throw PECError(.io, "\(path) already exists", hint: "choose another file name; pec never overwrites it")
        }
        let trust = try PECTrustStore(caFiles: ([access.settings.caFile].compactMap { $0 }) + request.caFiles)
        let raw: [UInt8] = try await access.withSession(logger: logger) { client in
            let mailbox = try await FolderResolver.resolve(request.folder, client: client)
            try await client.open(mailbox, readOnly: true)
            try await Self.requireExisting(uid, in: mailbox, client: client)
            var bytes: [UInt8] = []
            _ = try await client.streamSection(uid: uid, section: IMAP.SectionSpecifier(part: [], kind: .complete)) {
                bytes.append(contentsOf: $0)
            }
            return bytes
        }
        let reading = try MessageReader(trust: trust, options: request.options).read(raw)
        var details = reading.details
        details.id = request.id
        if let path = request.saveEML {
            try MessageFiles.writeNew(raw[...], to: path)
        }
        if writer != nil {
            for (index, entity) in reading.attachmentEntities.enumerated() {
                let saved = try writer!.write(suggestedName: details.attachments[index].filename) { sink in
                    // An enclosed message is saved as the .eml it is (decoded if it was sent
                    // base64 or quoted-printable, which message/global allows).
                    try sink(entity.decodedBody[...])
                }
                details.attachments[index].savedAs = saved.path
            }
        }
        return details
    }
}

/// `pec verify`: saved messages checked offline.
public enum MessageFiles {
    /// Reads a message file, or stdin for `-`. Refuses what is not a regular, readable file.
    public static func read(_ path: String, limit: Int = 256 << 20) throws -> [UInt8] {
        if path == "-" {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard data.count <= limit else {
                throw PECError(.invalidInput, "standard input is larger than \(limit >> 20) MB")
            }
            return Array(data)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PECError(.io, "no such file: \(path)")
        }
        guard !isDirectory.boolValue else { throw PECError(.io, "\(path) is a directory, not a message file") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw PECError(.io, "cannot read \(path)") }
        defer { try? handle.close() }
        let data = try handle.readToEnd() ?? Data()
        guard data.count <= limit else { throw PECError(.invalidInput, "\(path) is larger than \(limit >> 20) MB") }
        return Array(data)
    }

    /// Writes `bytes` to a new file at `path`, atomically (temporary name, then a link that fails
    /// rather than replace a file that appeared meanwhile).
    public static func writeNew(_ bytes: ArraySlice<UInt8>, to path: String) throws {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).pec-\(UUID().uuidString.prefix(8)).part"
        )
        do {
            try Data(bytes).write(to: temporary, options: [.withoutOverwriting])
        } catch {
            throw PECError(.io, "cannot write \(url.path): \(error.localizedDescription)")
        }
        defer { unlink(temporary.path) }
        guard try AttachmentWriter.placeWithoutReplacing(temporary, at: url) else {
            throw PECError(.io, "\(url.path) already exists", hint: "choose another file name; pec never overwrites it")
        }
    }

    /// Verifies each file: the details of every one (with `file` set), in order.
    public static func verify(
        _ paths: [String],
        caFiles: [String],
        options: MessageReader.Options
    ) throws -> [MessageDetails] {
        let trust = try PECTrustStore(caFiles: caFiles)
        var reader = options
        reader.signature = true
        // One unreadable file does not hide the verdict on the others: it gets a record with the
        // reason, and no signature (so it counts as failed).
        return paths.map { path in
            var details: MessageDetails
            do {
                details = try MessageReader(trust: trust, options: reader).read(read(path)).details
            } catch {
                details = MessageDetails()
                details.warnings = [(error as? PECError)?.message ?? "\(error)"]
            }
            details.file = path == "-" ? "(stdin)" : path
            return details
        }
    }
}
