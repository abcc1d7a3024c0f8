import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

#if os(Linux)
    /// glibc declares syncfs(2) only under _GNU_SOURCE, which the Glibc module does not set.
    @_silgen_name("syncfs")
    private func linuxSyncfs(_ descriptor: Int32) -> Int32
#endif

/// Keeps the exact bytes of every receipt, as the server served them, and of every message sent, as
/// it was handed to SMTP, beside the ledger:
/// `receipts/<first two hex digits>/<sha256>.eml`, directories 0700, files 0600. A file's name is
/// its content's SHA-256, so a receipt read twice is stored once and a changed file is detectable.
struct EvidenceStore: Sendable {
    let directory: URL

    init(ledger: SendLedger) throws(PECError) {
        directory = ledger.url.deletingLastPathComponent().appendingPathComponent("receipts", isDirectory: true)
        try SecureFiles.ensureDirectory(directory)
    }

    /// Makes the files written so far durable (one `syncfs` of the store's file system, much
    /// cheaper than an fsync per receipt): called before the events that point to them are committed.
    func flush() throws(PECError) {
        let descriptor = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw PECError(.io, "cannot open \(directory.path): \(SecureFiles.describe(errno))")
        }
        defer { close(descriptor) }
        #if os(Linux)
            guard linuxSyncfs(descriptor) == 0 else {
                throw PECError(.io, "cannot write the receipts to disk: \(SecureFiles.describe(errno))")
            }
        #else
            _ = fsync(descriptor)
            sync()
        #endif
    }

    /// A receipt downloaded into the store.
    struct File: Sendable {
        var uid: IMAP.UID
        var url: URL
        var sha256: String
        var size: Int
        /// This download created the file (it was not in the store already).
        var isNew: Bool

        /// Removes a file this download created, e.g. for a message that was not a receipt after all.
        func discardIfNew() {
            if isNew { unlink(url.path) }
        }
    }

    /// Downloads `uids` (read-only: BODY.PEEK) in one FETCH, each streamed into its own file while
    /// hashed, never held whole in memory. A message announced or grown past
    /// ``ServerSizeLimits/spooledMessage`` is refused and its file removed.
    func download(_ uids: [IMAP.UID], client: IMAPClient) async throws -> [File] {
        guard !uids.isEmpty else { return [] }
        var files: [File] = []
        var current: Download?
        defer { current?.abandon() }
        let whole = IMAP.SectionSpecifier(part: [], kind: .complete)
        let address = client.settings.address
        try await client.uidFetch(IMAP.UIDSet(uids), [.uid, .bodyPeek(whole, range: nil)]) { event in
            switch event {
            case .start:
                current?.abandon()
                current = Download()
            case .attribute(.uid(let uid)):
                current?.uid = uid
            case .streamingBegin(let section, _, let byteCount) where section == whole:
                guard byteCount <= ServerSizeLimits.spooledMessage else {
                    throw ServerSizeLimits.messageTooLarge(byteCount, uid: current?.uid, address: address)
                }
                try current?.begin(in: directory)
            case .streamingBytes(let bytes):
                try current?.write(bytes)
                if let size = current?.size, size > ServerSizeLimits.spooledMessage {
                    throw ServerSizeLimits.messageTooLarge(size, uid: current?.uid, address: address)
                }
            case .finish:
                if let done = current, let file = try done.finish(in: directory) { files.append(file) }
                current = nil
            default:
                break
            }
        }
        return files
    }

    /// One message on its way into the store, with the UID it has on the server.
    private final class Download {
        var uid: IMAP.UID?
        private var writer: Writer?
        var size: Int { writer?.size ?? 0 }

        func begin(in directory: URL) throws {
            writer = try Writer(directory: directory)
        }

        func write(_ bytes: [UInt8]) throws {
            try writer?.write(bytes[...])
        }

        /// Moves the file to its content's name; nil when the message had no body section or no UID.
        func finish(in directory: URL) throws -> File? {
            guard let writer, let uid else {
                abandon()
                return nil
            }
            self.writer = nil
            let stored = try writer.finish()
            return File(uid: uid, url: stored.url, sha256: stored.sha256, size: stored.size, isNew: stored.isNew)
        }

        func abandon() {
            writer?.abandon()
            writer = nil
        }
    }

    /// A file in the store, named by its content.
    struct StoredFile: Sendable, Equatable {
        var url: URL
        var sha256: String
        var size: Int
        /// This write created the file (it was not in the store already).
        var isNew: Bool
    }

    /// The sent message's bytes, as ``ComposedMessage/write(to:)`` hands them to SMTP, on their way
    /// into the store (`<sha256>.eml`, like a receipt): the message a dossier proves was sent.
    func writer() throws -> Writer { try Writer(directory: directory) }

    /// Bytes on their way into the store: a private temporary file in the store's directory,
    /// hashed as it is written, moved to its content's name at the end.
    final class Writer {
        private let directory: URL
        private var handle: FileHandle?
        private var temporary: URL?
        private let digest: SHA256Digest
        private(set) var size = 0

        init(directory: URL) throws {
            self.directory = directory
            digest = try SHA256Digest()
            let url = directory.appendingPathComponent(".incoming-\(getpid())-\(UUID().uuidString.prefix(12))")
            handle = try TemporaryFiles.create(url)
            temporary = url
        }

        func write(_ bytes: ArraySlice<UInt8>) throws {
            guard let handle else { return }
            digest.update(bytes)
            try handle.write(contentsOf: bytes)
            size += bytes.count
        }

        /// Moves the file to its content's name (an existing file of that name has the same content and is kept).
        func finish() throws -> StoredFile {
            guard let handle, let temporary else {
                throw PECError(.internal, "an evidence file was finished twice")
            }
            // No fsync per file: ``EvidenceStore/flush()`` makes a whole batch durable at once, before
            // the ledger rows that point to them are committed.
            try handle.close()
            self.handle = nil
            let sha256 = try digest.finalizeHex()
            let folder = directory.appendingPathComponent(String(sha256.prefix(2)), isDirectory: true)
            try SecureFiles.ensureDirectory(folder)
            let final = folder.appendingPathComponent("\(sha256).eml")
            // link() never replaces: a file already there has the same content (its name is its hash).
            let isNew = link(temporary.path, final.path) == 0
            if !isNew && errno != EEXIST {
                let code = errno
                abandon()
                throw PECError(.io, "cannot store \(final.path): \(SecureFiles.describe(code))")
            }
            TemporaryFiles.remove(temporary)
            self.temporary = nil
            return StoredFile(url: final, sha256: sha256, size: size, isNew: isNew)
        }

        func abandon() {
            try? handle?.close()
            handle = nil
            if let temporary { TemporaryFiles.remove(temporary) }
            temporary = nil
        }

        deinit { abandon() }
    }

    /// The file of content `sha256` in the store, if it is there.
    func file(sha256: String) -> URL? {
        guard sha256.count == 64, sha256.allSatisfy(\.isHexDigit) else { return nil }
        let url = directory.appendingPathComponent(String(sha256.prefix(2)), isDirectory: true)
            .appendingPathComponent("\(sha256).eml")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
}
