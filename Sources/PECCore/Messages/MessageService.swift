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
    /// Whether fetching a REM dispatch is wanted although it is the legal handover to the recipient
    /// (EN 319 532-1 §6.2.5). `pec get` says yes and reports `handover: true`; `pec_get` asks for it.
    /// When false, a REM dispatch is refused on its headers before any of its content is fetched.
    public var acceptHandover: Bool
    /// Told how the download and the saving go (`pec` on a terminal).
    public var progress: ProgressHandler?

    public init(
        id: UInt32,
        folder: String? = nil,
        options: MessageReader.Options = .init(),
        saveAttachments: String? = nil,
        saveEML: String? = nil,
        caFiles: [String] = [],
        acceptHandover: Bool = true
    ) {
        self.id = id
        self.folder = folder
        self.options = options
        self.saveAttachments = saveAttachments
        self.saveEML = saveEML
        self.caFiles = caFiles
        self.acceptHandover = acceptHandover
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
            if !request.acceptHandover { try await Self.refuseHandover(uid, id: request.id, client: client) }
            // A fresh file per attempt: a retry after a broken connection starts over.
            return try await client.spoolPlannedMessage(uid: uid, progress: request.progress)
        }
        defer { TemporaryFiles.remove(spool.url) }
        let message = try SpooledMessage(file: spool.url, plan: spool.plan)
        let reading = try MessageReader(trust: trust, options: request.options).read(message)
        var details = reading.details
        details.id = request.id
        // Fetching a REM dispatch's content was its handover: say so, certified or not (the provider
        // decides on its own records whether ContentHandover evidence follows).
        if (details.pecType ?? details.claimedPECType) == .remDispatch { details.handover = true }
        var saving = SavingProgress(
            total: (request.saveEML == nil ? 0 : message.size)
                + (writer == nil ? 0 : details.attachments.reduce(0) { $0 + $1.size }),
            report: request.progress
        )
        if let path = request.saveEML {
            try MessageFiles.writeNew(to: path) { sink in
                try message.writeRaw { chunk in
                    try sink(chunk)
                    saving.add(chunk.count)
                }
            }
        }
        if writer != nil {
            var saved: [String] = []
            for (index, entity) in reading.attachmentEntities.enumerated() {
                do {
                    // An enclosed message is saved as the .eml it is (decoded if it was sent
                    // base64 or quoted-printable, which message/global allows).
                    let url = try writer!.write(suggestedName: details.attachments[index].filename) { sink in
                        try message.writeDecodedBody(of: entity) { chunk in
                            try sink(chunk)
                            saving.add(chunk.count)
                        }
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

    /// The bytes `get` has written of the message and attachments it saves.
    private struct SavingProgress {
        let total: Int
        let report: ProgressHandler?
        var done = 0

        mutating func add(_ count: Int) {
            done += count
            report?(WorkProgress(.saving, done: done, total: total, unit: .bytes))
        }
    }

    /// Throws when message `uid` is a REM dispatch, read from its headers only (BODY.PEEK of the REM
    /// fields, which is no handover): the caller did not accept the handover its content would be.
    static func refuseHandover(_ uid: IMAP.UID, id: UInt32, client: IMAPClient) async throws {
        let section = IMAP.SectionSpecifier(part: [], kind: .headerFields(ReceiptSyncService.headerFields))
        let fetched = try await client.uidFetch(IMAP.UIDSet([uid]), [.uid, .bodyPeek(section, range: nil)])
        let headers = HeaderFields(parsing: fetched.first { $0.uid == uid }?.sections[section] ?? [])
        guard PECMessageKind(headers: headers) == .remDispatch else { return }
        throw PECError(
            .invalidInput,
            "message \(id) is a REM dispatch: fetching its content hands it over to the recipient, a legal act "
                + "the provider may certify with ContentHandover evidence; it was not fetched",
            remedies: [.acceptHandover]
        )
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

    /// The bytes of `file` when it is an XML document (a standalone REM evidence), nil for a message.
    /// An XML file larger than any evidence is refused rather than read.
    static func evidenceDocument(_ file: URL) throws -> [UInt8]? {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: file)
        } catch {
            throw PECError(.io, "cannot read \(file.path): \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        let limit = REMEvidenceParser.maximumSize
        let prefix = (try? handle.read(upToCount: 64)) ?? Data()
        guard MessageReader.looksLikeXML(prefix) else { return nil }
        let rest = (try? handle.read(upToCount: limit + 1 - prefix.count)) ?? Data()
        let bytes = Array(prefix + rest)
        guard bytes.count <= limit else {
            throw PECError(
                .invalidInput,
                "\(file.path) is an XML document larger than \(limit) bytes: not a REM evidence"
            )
        }
        return bytes
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
                if let evidence = try Self.evidenceDocument(file) {
                    details = MessageReader.readEvidence(evidence, filename: file.lastPathComponent, trust: trust)
                } else {
                    details = try MessageReader(trust: trust, options: reader).read(SpooledMessage(file: file)).details
                }
            } catch {
                details = MessageDetails()
                details.warnings = [(error as? PECError)?.message ?? "\(error)"]
            }
            details.file = path == "-" ? "(stdin)" : path
            return details
        }
    }
}
