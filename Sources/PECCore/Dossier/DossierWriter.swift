import Foundation
import ZIPFoundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

#if os(Linux)
    /// glibc declares renameat2(2) only under _GNU_SOURCE, which the Glibc module does not set.
    @_silgen_name("renameat2")
    private func linuxRenameat2(
        _ oldDirectory: Int32,
        _ old: UnsafePointer<CChar>,
        _ newDirectory: Int32,
        _ new: UnsafePointer<CChar>,
        _ flags: UInt32
    ) -> Int32
#endif

/// Writes a dossier's files, then `SHA256SUMS`, as a new directory or a new `.zip`: under a
/// temporary name beside the target, renamed into place only when complete and on disk, so the
/// dossier appears whole or not at all (Ctrl-C, a full disk), and an existing path is never replaced.
/// Files are streamed (read in chunks, hashed as they are copied), never held whole in memory.
struct DossierWriter {
    enum Source {
        /// A file to copy; `sha256` is what its content must hash to (the evidence store names files
        /// by their hash), so a store file changed on disk is refused rather than put in a dossier.
        case file(URL, sha256: String?)
        case bytes([UInt8])
    }

    struct Entry {
        var name: String
        var source: Source
    }

    static let checksumsName = "SHA256SUMS"
    private static let chunkSize = 1 << 16

    /// Whether `output` is written as a zip archive.
    static func isZip(_ output: URL) -> Bool { output.pathExtension.lowercased() == "zip" }

    /// Writes `entries` and their `SHA256SUMS` at `output`; the SHA-256 of each file, by name.
    static func write(_ entries: [Entry], to output: URL, progress: ProgressHandler? = nil) throws -> [String: String] {
        let parent = output.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw PECError(
                .invalidInput,
                "\(parent.path) is not a directory",
                hint: "create it, or choose another --out"
            )
        }
        guard !FileManager.default.fileExists(atPath: output.path) else {
            throw PECError(
                .invalidInput,
                "\(output.path) already exists",
                hint: "pec never overwrites: choose another --out"
            )
        }
        let temporary = parent.appendingPathComponent(
            ".\(output.lastPathComponent).pec-\(UUID().uuidString.prefix(8)).partial"
        )
        // Each file counts once written; SHA256SUMS is the last.
        let written: (Int) -> Void = { count in
            progress?(WorkProgress(.writingDossier, done: count, total: entries.count + 1, unit: .files))
        }
        return isZip(output)
            ? try writeZip(entries, temporary: temporary, output: output, written: written)
            : try writeDirectory(entries, temporary: temporary, output: output, written: written)
    }

    /// `sha256sum` format: the hash, two spaces, the name; in the entries' order.
    static func checksums(_ entries: [Entry], _ sums: [String: String]) -> [UInt8] {
        Array(entries.map { "\(sums[$0.name] ?? "")  \($0.name)\n" }.joined().utf8)
    }

    // MARK: - Directory

    private static func writeDirectory(
        _ entries: [Entry],
        temporary: URL,
        output: URL,
        written: (Int) -> Void
    ) throws -> [String: String] {
        guard mkdir(temporary.path, 0o700) == 0 else {
            throw PECError(.io, "cannot create \(temporary.path): \(SecureFiles.describe(errno))")
        }
        TemporaryFiles.registerDirectory(temporary)
        var placed = false
        defer { if !placed { TemporaryFiles.removeDirectory(temporary) } }
        var sums: [String: String] = [:]
        for (index, entry) in entries.enumerated() {
            let url = temporary.appendingPathComponent(entry.name)
            sums[entry.name] = try writeFile(url) { sink in try produce(entry, into: sink) }
            written(index + 1)
        }
        _ = try writeFile(temporary.appendingPathComponent(checksumsName)) { sink in
            try sink(checksums(entries, sums)[...])
        }
        written(entries.count + 1)
        try syncDirectory(temporary)
        try rename(temporary, to: output)
        placed = true
        TemporaryFiles.unregisterDirectory(temporary)
        try syncDirectory(output.deletingLastPathComponent())
        return sums
    }

    /// A new private file with what `produce` gives, on disk; its SHA-256.
    private static func writeFile(
        _ url: URL,
        _ produce: (_ sink: (ArraySlice<UInt8>) throws -> Void) throws -> Void
    ) throws -> String {
        let digest = try SHA256Digest()
        let handle = try TemporaryFiles.create(url)
        defer {
            try? handle.close()
            TemporaryFiles.unregister(url.path)
        }
        do {
            try produce { bytes in
                digest.update(bytes)
                try handle.write(contentsOf: bytes)
            }
            try handle.synchronize()
        } catch let error as PECError {
            throw error
        } catch {
            throw PECError(.io, "cannot write \(url.path): \(error.localizedDescription)")
        }
        return try digest.finalizeHex()
    }

    /// Hands an entry's bytes to `sink` in chunks; a copied file is checked against its expected hash.
    private static func produce(_ entry: Entry, into sink: (ArraySlice<UInt8>) throws -> Void) throws {
        switch entry.source {
        case .bytes(let bytes):
            try sink(bytes[...])
        case .file(let url, let expected):
            let digest = try SHA256Digest()
            try readChunks(url) { chunk in
                digest.update(chunk)
                try sink(chunk)
            }
            if let expected, try digest.finalizeHex() != expected.lowercased() {
                throw PECError(
                    .io,
                    "\(url.path) changed on disk: its content no longer matches its name (SHA-256 \(expected))",
                    hint: "the evidence store was altered; sync again (`pec trace ID`) to download the receipt anew"
                )
            }
        }
    }

    /// `url`'s bytes in 64 KiB chunks (the copy, and the verifier's hashes).
    static func readChunks(_ url: URL, _ body: (ArraySlice<UInt8>) throws -> Void) throws {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw PECError(.io, "cannot read \(url.path): \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        // Bounded: ends at end of file.
        while let data = try handle.read(upToCount: chunkSize), !data.isEmpty {
            try body(Array(data)[...])
        }
    }

    private static func rename(_ temporary: URL, to output: URL) throws {
        #if os(Linux)
            let renameNoReplace: UInt32 = 1
            let status = linuxRenameat2(AT_FDCWD, temporary.path, AT_FDCWD, output.path, renameNoReplace)
        #else
            let status = renamex_np(temporary.path, output.path, UInt32(RENAME_EXCL))
        #endif
        #if os(Linux)
            // File systems without RENAME_NOREPLACE (NFS, CIFS): check, then an ordinary rename, which
            // on Linux refuses to replace a non-empty directory and here never races pec itself.
            if status != 0, errno == EINVAL, !FileManager.default.fileExists(atPath: output.path) {
                guard Glibc.rename(temporary.path, output.path) == 0 else {
                    throw PECError(.io, "cannot create \(output.path): \(SecureFiles.describe(errno))")
                }
                return
            }
        #endif
        guard status == 0 else {
            let code = errno
            if code == EEXIST || code == ENOTEMPTY {
                throw PECError(
                    .invalidInput,
                    "\(output.path) already exists",
                    hint: "pec never overwrites: choose another --out"
                )
            }
            throw PECError(.io, "cannot create \(output.path): \(SecureFiles.describe(code))")
        }
    }

    private static func syncDirectory(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = fsync(descriptor)
    }

    // MARK: - Zip

    /// Entries stored uncompressed: receipts and the message are mostly base64, which deflate shrinks
    /// little for its cost, and a stored entry is what any unzip reads back byte for byte.
    private static func writeZip(
        _ entries: [Entry],
        temporary: URL,
        output: URL,
        written: (Int) -> Void
    ) throws -> [String: String] {
        let handle = try TemporaryFiles.create(temporary)
        try? handle.close()
        var placed = false
        defer { if !placed { TemporaryFiles.remove(temporary) } }
        var sums: [String: String] = [:]
        do {
            // The file exists (created exclusively above); ZIPFoundation's .update mode writes into it.
            unlink(temporary.path)
            let archive = try Archive(url: temporary, accessMode: .create)
            for (index, entry) in entries.enumerated() {
                sums[entry.name] = try add(entry, to: archive)
                written(index + 1)
            }
            _ = try add(Entry(name: checksumsName, source: .bytes(checksums(entries, sums))), to: archive)
            written(entries.count + 1)
        } catch let error as PECError {
            throw error
        } catch {
            throw PECError(.io, "cannot write the zip \(output.path): \(error.localizedDescription)")
        }
        // ZIPFoundation creates the file under the umask and may lose a late write error: make it private,
        // and read it back (every entry there) before it takes its name.
        chmod(temporary.path, 0o600)
        let written = try FileHandle(forUpdating: temporary)
        try written.synchronize()
        try written.close()
        let readBack = try? Archive(url: temporary, accessMode: .read)
        guard let readBack, Set(readBack.map(\.path)) == Set(entries.map(\.name) + [checksumsName]) else {
            throw PECError(.io, "the zip \(output.path) could not be written whole (is the disk full?)")
        }
        guard try AttachmentWriter.placeWithoutReplacing(temporary, at: output) else {
            throw PECError(
                .invalidInput,
                "\(output.path) already exists",
                hint: "pec never overwrites: choose another --out"
            )
        }
        placed = true
        TemporaryFiles.remove(temporary)
        try syncDirectory(output.deletingLastPathComponent())
        return sums
    }

    /// Adds one entry, read in chunks as ZIPFoundation asks for them; its SHA-256.
    private static func add(_ entry: Entry, to archive: Archive) throws -> String {
        let digest = try SHA256Digest()
        switch entry.source {
        case .bytes(let bytes):
            digest.update(bytes)
            try archive.addEntry(
                with: entry.name,
                type: .file,
                uncompressedSize: Int64(bytes.count),
                permissions: 0o600,
                compressionMethod: .none,
                provider: { position, size in
                    let start = Int(position)
                    return Data(bytes[start..<min(bytes.count, start + size)])
                }
            )
        case .file(let url, let expected):
            let handle: FileHandle
            do {
                handle = try FileHandle(forReadingFrom: url)
            } catch {
                throw PECError(.io, "cannot read \(url.path): \(error.localizedDescription)")
            }
            defer { try? handle.close() }
            let size = try handle.seekToEnd()
            try handle.seek(toOffset: 0)
            // ZIPFoundation asks for consecutive ranges, in order, once each.
            try archive.addEntry(
                with: entry.name,
                type: .file,
                uncompressedSize: Int64(size),
                permissions: 0o600,
                compressionMethod: .none,
                bufferSize: chunkSize,
                provider: { position, count in
                    try handle.seek(toOffset: UInt64(position))
                    let data = try handle.read(upToCount: count) ?? Data()
                    digest.update(data)
                    return data
                }
            )
            let actual = try digest.finalizeHex()
            if let expected, actual != expected.lowercased() {
                throw PECError(
                    .io,
                    "\(url.path) changed on disk: its content no longer matches its name (SHA-256 \(expected))"
                )
            }
            return actual
        }
        return try digest.finalizeHex()
    }
}
