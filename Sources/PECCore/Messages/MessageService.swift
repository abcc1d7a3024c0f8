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
    ///
    /// The message is streamed into a private temporary file, never held whole in memory: large
    /// parts stay in the file (see ``SpooledMessage``) and are decoded from it when saved.
    public func get(_ request: GetRequest) async throws -> MessageDetails {
        let uid = try Self.uid(request.id)
        var writer = try request.saveAttachments.map { try AttachmentWriter(directory: $0) }
        if let path = request.saveEML, FileManager.default.fileExists(atPath: path) {
            throw PECError(.io, "\(path) already exists", hint: "choose another file name; pec never overwrites it")
        }
        // Only certificates given for signatures are trusted for them: the account's CA file
        // vouches for a mail server's TLS certificate, not for a gestore.
        let trust = try PECTrustStore(caFiles: request.caFiles)
        let spool = try await access.withSession(logger: logger) { client in
            let mailbox = try await FolderResolver.resolve(request.folder, client: client)
            try await client.open(mailbox, readOnly: true)
            try await Self.requireExisting(uid, in: mailbox, client: client)
            // A fresh file per attempt: a retry after a broken connection starts over.
            return try await client.spoolMessage(uid: uid)
        }
        defer { TemporaryFiles.remove(spool) }
        let message = try SpooledMessage(file: spool)
        let reading = try MessageReader(trust: trust, options: request.options).read(message)
        var details = reading.details
        details.id = request.id
        if let path = request.saveEML {
            try MessageFiles.writeNew(to: path) { try message.writeRaw(to: $0) }
        }
        if writer != nil {
            var saved: [String] = []
            for (index, entity) in reading.attachmentEntities.enumerated() {
                do {
                    // An enclosed message is saved as the .eml it is (decoded if it was sent
                    // base64 or quoted-printable, which message/global allows).
                    let url = try writer!.write(suggestedName: details.attachments[index].filename) { sink in
                        try message.writeDecodedBody(of: entity, to: sink)
                    }
                    details.attachments[index].savedAs = url.path
                    saved.append(url.path)
                } catch var error as PECError {
                    if !saved.isEmpty {
                        error.message += "; saved before the failure: " + saved.joined(separator: ", ")
                    }
                    throw error
                }
            }
        }
        return details
    }
}

/// `pec verify`: saved messages checked offline.
public enum MessageFiles {
    /// Standard input, copied into a private temporary file (removed by the caller).
    static func spoolStandardInput(limit: Int = 1 << 30) throws -> URL {
        let (url, handle) = try TemporaryFiles.createPrivate(suffix: ".eml")
        do {
            defer { try? handle.close() }
            var total = 0
            while let chunk = try FileHandle.standardInput.read(upToCount: 64 * 1024), !chunk.isEmpty {
                total += chunk.count
                guard total <= limit else {
                    throw PECError(.invalidInput, "standard input is larger than \(limit >> 20) MB")
                }
                try handle.write(contentsOf: chunk)
            }
            return url
        } catch {
            TemporaryFiles.remove(url)
            if let error = error as? PECError { throw error }
            throw PECError(.io, "cannot read standard input: \(error.localizedDescription)")
        }
    }

    /// Writes `bytes` to a new file at `path`, atomically (temporary name, then a link that fails
    /// rather than replace a file that appeared meanwhile).
    public static func writeNew(_ bytes: ArraySlice<UInt8>, to path: String) throws {
        try writeNew(to: path) { try $0(bytes) }
    }

    /// `writeNew` with the bytes given in chunks by `produce`.
    public static func writeNew(
        to path: String,
        _ produce: (_ sink: (ArraySlice<UInt8>) throws -> Void) throws -> Void
    ) throws {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(
            ".\(url.lastPathComponent).pec-\(UUID().uuidString.prefix(8)).part"
        )
        try AttachmentWriter.writeTemporary(temporary, into: directory, produce)
        defer { TemporaryFiles.remove(temporary) }
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
                let file = path == "-" ? try spoolStandardInput() : URL(fileURLWithPath: path)
                defer { if path == "-" { TemporaryFiles.remove(file) } }
                details = try MessageReader(trust: trust, options: reader).read(SpooledMessage(file: file)).details
            } catch {
                details = MessageDetails()
                details.warnings = [(error as? PECError)?.message ?? "\(error)"]
            }
            details.file = path == "-" ? "(stdin)" : path
            return details
        }
    }
}
