import Foundation
import ZIPFoundation

/// Finds, in one attachment, what a provider that blocks executables refuses: a blocked extension,
/// executable content whatever the name (a renamed `.exe`), and either of them inside a zip archive,
/// nested archives included.
///
/// Archives are read, never extracted to disk: entry names from the central directory and the first
/// bytes of each entry. Memory and time are bounded whatever the archive claims (a zip bomb): at most
/// ``maximumEntries`` entries in all, ``maximumDepth`` levels of nesting, and a nested archive is read
/// into memory only up to ``maximumNestedArchiveSize``; beyond any bound the attachment cannot be
/// checked, and that is what it reports.
struct ExecutableScanner {
    /// Lowercase extensions, without the dot.
    let blockedExtensions: Set<String>

    static let maximumDepth = 3
    static let maximumEntries = 10_000
    static let maximumNestedArchiveSize = 32 * 1024 * 1024
    /// Enough for every signature ``executableKind(_:)`` knows (a PE header is usually within the
    /// first 256 bytes) and for the zip signature.
    static let headLength = 512

    /// Why an attachment would be refused. `path` is the attachment's name, then each entry's path
    /// inside the archives that hold it.
    struct Finding: Equatable, Sendable {
        enum Reason: Equatable, Sendable {
            case blockedExtension(String)
            case executableContent(String)
            case uncheckable(String)
        }
        var path: [String]
        var reason: Reason

        /// `setup.zip › bin/tool.txt`; control characters of names read from an archive shown as
        /// control pictures, so that an entry name cannot start a line of its own in an error.
        var location: String {
            path.map { name in
                String(
                    String.UnicodeScalarView(
                        name.unicodeScalars.map { scalar in
                            switch scalar.value {
                            case 0..<0x20: Unicode.Scalar(0x2400 + scalar.value) ?? "\u{FFFD}"
                            case 0x7F: "\u{2421}"
                            case 0x80...0x9F, 0x202A...0x202E, 0x2066...0x2069: "\u{FFFD}"
                            default: scalar
                            }
                        }
                    )
                )
            }.joined(separator: " › ")
        }
    }

    /// The first problem in the file at `url`, shown to the recipient as `name`; nil when there is none.
    func scan(fileAt url: URL, name: String) throws(PECError) -> Finding? {
        if let ext = blockedExtension(of: name) { return Finding(path: [name], reason: .blockedExtension(ext)) }
        let file: FileHandle
        do {
            file = try FileHandle(forReadingFrom: url)
        } catch {
            throw PECError(.invalidInput, "attachment \(url.path) cannot be read: \(error.localizedDescription)")
        }
        defer { try? file.close() }
        let head = [UInt8]((try? file.read(upToCount: Self.headLength)) ?? Data())
        if let kind = Self.executableKind(head) { return Finding(path: [name], reason: .executableContent(kind)) }
        guard Self.isZip(head), let size = try? file.seekToEnd(), Self.hasEndOfCentralDirectory(file, size: size),
            let archive = try? Archive(url: url, accessMode: .read)
        else { return nil }
        var budget = Self.maximumEntries
        return scan(archive, path: [name], depth: 1, budget: &budget)
    }

    private func scan(_ archive: Archive, path: [String], depth: Int, budget: inout Int) -> Finding? {
        for entry in archive {
            budget -= 1
            guard budget >= 0 else {
                return Finding(
                    path: path,
                    reason: .uncheckable("more than \(Self.maximumEntries) files in its archives")
                )
            }
            guard entry.type != .directory else { continue }
            let entryPath = path + [entry.path]
            let entryName = entry.path.split(separator: "/").last.map(String.init) ?? entry.path
            if let ext = blockedExtension(of: entryName) {
                return Finding(path: entryPath, reason: .blockedExtension(ext))
            }
            // A symbolic link's target is its data, and is read whole by ZIPFoundation: its name is enough.
            guard entry.type == .file else { continue }
            let head = [UInt8](Self.read(entry, of: archive, upTo: Self.headLength))
            if let kind = Self.executableKind(head) {
                return Finding(path: entryPath, reason: .executableContent(kind))
            }
            guard Self.isZip(head) else { continue }
            guard depth < Self.maximumDepth else {
                return Finding(
                    path: entryPath,
                    reason: .uncheckable("archives nested more than \(Self.maximumDepth) deep cannot be checked")
                )
            }
            let nested = Self.read(entry, of: archive, upTo: Self.maximumNestedArchiveSize + 1)
            guard nested.count <= Self.maximumNestedArchiveSize else {
                let limit = Self.maximumNestedArchiveSize / (1024 * 1024)
                return Finding(
                    path: entryPath,
                    reason: .uncheckable("an archive inside an archive is checked only up to \(limit) MiB")
                )
            }
            guard Self.hasEndOfCentralDirectory(nested), let inner = try? Archive(data: nested, accessMode: .read)
            else {
                continue
            }
            if let finding = scan(inner, path: entryPath, depth: depth + 1, budget: &budget) { return finding }
        }
        return nil
    }

    /// The extension of `name` when it is blocked. Trailing dots and spaces are dropped first, as
    /// Windows does when it opens `setup.exe.` or `setup.exe `.
    func blockedExtension(of name: String) -> String? {
        var trimmed = Substring(name)
        while let last = trimmed.last, last == "." || last == " " { trimmed = trimmed.dropLast() }
        guard let dot = trimmed.lastIndex(of: ".") else { return nil }
        let ext = trimmed[trimmed.index(after: dot)...].lowercased()
        return blockedExtensions.contains(ext) ? ext : nil
    }

    // MARK: - Content

    /// What the first bytes say the file is, when it is a program.
    static func executableKind(_ head: [UInt8]) -> String? {
        func starts(_ signature: [UInt8]) -> Bool { head.starts(with: signature) }
        if starts([0x4D, 0x5A]), isDOSHeader(head) { return "a Windows or DOS program (MZ)" }
        if starts([0x7F, 0x45, 0x4C, 0x46]) { return "a Linux or Unix program (ELF)" }
        let machO: [[UInt8]] = [
            [0xFE, 0xED, 0xFA, 0xCE], [0xFE, 0xED, 0xFA, 0xCF], [0xCE, 0xFA, 0xED, 0xFE], [0xCF, 0xFA, 0xED, 0xFE],
        ]
        if machO.contains(where: starts) { return "a macOS program (Mach-O)" }
        // Both a universal macOS program and a Java class file: blocked either way.
        if starts([0xCA, 0xFE, 0xBA, 0xBE]) { return "a macOS universal program or a Java class (CAFEBABE)" }
        return nil
    }

    /// `MZ` alone also starts plain text ("MZone…"): a DOS header has a last-page byte count below
    /// 512 (its 4th byte 0 or 1), or points (at 0x3C) to a `PE\0\0` header, as Windows programs do.
    static func isDOSHeader(_ head: [UInt8]) -> Bool {
        if head.count >= 4, head[3] <= 0x01 { return true }
        guard head.count >= 0x40 else { return false }
        let offset = (0..<4).reduce(0) { $0 | Int(head[0x3C + $1]) << (8 * $1) }
        return offset + 4 <= head.count && head[offset..<offset + 4].elementsEqual([0x50, 0x45, 0, 0])
    }

    static func isZip(_ head: [UInt8]) -> Bool { head.starts(with: [0x50, 0x4B, 0x03, 0x04]) }

    /// The end-of-central-directory record sits in the last 65 557 bytes (22 bytes and a comment of at
    /// most 65 535). ZIPFoundation looks for it through the whole file, one position at a time, which
    /// takes minutes on a large file that only starts like a zip: look where it can be, first.
    static let endOfCentralDirectorySpan = 22 + 65_535
    static let endOfCentralDirectorySignature: [UInt8] = [0x50, 0x4B, 0x05, 0x06]

    static func hasEndOfCentralDirectory(_ file: FileHandle, size: UInt64) -> Bool {
        let span = min(size, UInt64(endOfCentralDirectorySpan))
        guard (try? file.seek(toOffset: size - span)) != nil, let tail = try? file.read(upToCount: Int(span)) else {
            return false
        }
        return hasEndOfCentralDirectory(tail.suffix(endOfCentralDirectorySpan))
    }

    static func hasEndOfCentralDirectory(_ data: Data) -> Bool {
        let tail = [UInt8](data.suffix(endOfCentralDirectorySpan))
        guard tail.count >= 4 else { return false }
        return (0...(tail.count - 4)).contains { i in
            tail[i] == 0x50 && tail[i + 1] == 0x4B && tail[i + 2] == 0x05 && tail[i + 3] == 0x06
        }
    }

    /// Up to `limit` bytes of the entry, decompressed (fewer when it is shorter, or damaged: what was
    /// read is then all there is to judge).
    private static func read(_ entry: Entry, of archive: Archive, upTo limit: Int) -> Data {
        struct Enough: Error {}
        var bytes = Data()
        _ = try? archive.extract(entry, bufferSize: 16 * 1024, skipCRC32: true) { chunk in
            bytes.append(chunk.prefix(limit - bytes.count))
            if bytes.count >= limit { throw Enough() }
        }
        return bytes
    }
}
