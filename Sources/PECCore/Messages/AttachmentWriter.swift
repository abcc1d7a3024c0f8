import Foundation

/// Writes attachments into one directory safely: a name from a message is only a suggestion.
/// Names are reduced to a plain file name (no `..`, no `/`, no control characters, no reserved
/// Windows names, not empty), made unique against what is already there and what was written in
/// this run, and every file is written to a temporary name first and renamed into place, so an
/// existing file is never overwritten and an interrupted save never leaves a half-written file.
public struct AttachmentWriter {
    public let directory: URL
    private var taken: Set<String> = []

    /// Uses `directory`, creating it and its missing parents (mode 0700) when absent. Refused: a
    /// path that exists and is not a directory, and a final component that is a symbolic link,
    /// wherever it points (whoever can write the parent could redirect what a hostile message
    /// writes; the files must land where the user typed). Links higher up the path are followed.
    public init(directory path: String) throws {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        try Self.prepareDirectory(url)
        guard FileManager.default.isWritableFile(atPath: url.path) else {
            throw PECError(.io, "cannot write into \(url.path)")
        }
        self.directory = url
    }

    /// Makes sure `url` is a directory, not through a symbolic link, creating what is missing.
    static func prepareDirectory(_ url: URL) throws {
        var info = stat()
        if lstat(url.path, &info) == 0 {
            if info.st_mode & S_IFMT == S_IFLNK {
                throw PECError(
                    .io,
                    "\(url.path) is a symbolic link",
                    hint: "give the directory it points to, or another directory"
                )
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw PECError(.io, "\(url.path) exists and is not a directory", hint: "choose a directory")
            }
            return
        }
        guard errno == ENOENT else {
            throw PECError(.io, "cannot use \(url.path): \(String(cString: strerror(errno)))")
        }
        let parent = url.deletingLastPathComponent()
        if parent.path != url.path {
            var parentInfo = stat()
            if stat(parent.path, &parentInfo) != 0 {
                try prepareDirectory(parent)
            } else if parentInfo.st_mode & S_IFMT != S_IFDIR {
                throw PECError(.io, "\(parent.path) exists and is not a directory", hint: "choose a directory")
            }
        }
        // EEXIST: created meanwhile by someone else; looked at again as an existing path.
        if mkdir(url.path, 0o700) != 0 {
            guard errno == EEXIST else {
                throw PECError(.io, "cannot create \(url.path): \(String(cString: strerror(errno)))")
            }
            try prepareDirectory(url)
        }
    }

    /// A safe file name for `suggested` (which may be nil or hostile).
    public static func sanitize(_ suggested: String?, fallback: String = "attachment") -> String {
        var name = (suggested ?? "").replacingOccurrences(of: "\\", with: "/")
        name = name.split(separator: "/").last.map(String.init) ?? ""
        name = String(
            name.unicodeScalars.filter { scalar in
                scalar.value >= 0x20 && !(0x7F...0x9F).contains(scalar.value)
                    && !(0x202A...0x202E).contains(scalar.value) && !(0x2066...0x2069).contains(scalar.value)
                    && !"<>:\"|?*".unicodeScalars.contains(scalar)
            }.map(Character.init)
        )
        name = name.trimmingCharacters(in: CharacterSet(charactersIn: " .")).trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name == "." || name == ".." { name = fallback }
        // Names Windows reserves whatever the extension (a saved folder may be shared).
        let stem = name.split(separator: ".", maxSplits: 1).first.map { $0.uppercased() } ?? ""
        let reserved = ["CON", "PRN", "AUX", "NUL"] + (1...9).flatMap { ["COM\($0)", "LPT\($0)"] }
        if reserved.contains(stem) { name = "_" + name }
        // Keep names within common file system limits (255 bytes), extension kept.
        while name.utf8.count > 200 {
            let ext = (name as NSString).pathExtension
            let base = (name as NSString).deletingPathExtension
            name = String(base.dropLast(10)) + (ext.isEmpty ? "" : "." + ext)
        }
        return name
    }

    /// Writes one attachment: `produce` is given a sink for the decoded bytes (called as they are
    /// decoded, so nothing needs to be held in memory). Returns the final path.
    public mutating func write(
        suggestedName: String?,
        _ produce: (_ sink: (ArraySlice<UInt8>) throws -> Void) throws -> Void
    ) throws -> URL {
        let wanted = Self.sanitize(suggestedName)
        let temporary = directory.appendingPathComponent(".\(wanted).pec-\(UUID().uuidString.prefix(8)).part")
        try Self.writeTemporary(temporary, into: directory, produce)
        defer { TemporaryFiles.remove(temporary) }
        // Another process may take a name meanwhile: try the next one rather than give up.
        for _ in 0..<1000 {
            let name = uniqueName(wanted)
            let final = directory.appendingPathComponent(name)
            if try Self.placeWithoutReplacing(temporary, at: final) {
                taken.insert(name)
                return final
            }
            taken.insert(name)
        }
        throw PECError(.io, "cannot find a free name for \(wanted) in \(directory.path)")
    }

    /// Writes `temporary` as a new private file (created exclusively, never through a link) with
    /// what `produce` gives, flushed to disk.
    static func writeTemporary(
        _ temporary: URL,
        into directory: URL,
        _ produce: (_ sink: (ArraySlice<UInt8>) throws -> Void) throws -> Void
    ) throws {
        let handle: FileHandle
        do {
            handle = try TemporaryFiles.create(temporary)
        } catch {
            throw PECError(.io, "cannot create a file in \(directory.path)", hint: (error as? PECError)?.message)
        }
        do {
            defer { try? handle.close() }
            try produce { bytes in try handle.write(contentsOf: bytes) }
            try handle.synchronize()
        } catch {
            TemporaryFiles.remove(temporary)
            if let error = error as? PECError { throw error }
            throw PECError(.io, "cannot write into \(directory.path): \(error.localizedDescription)")
        }
    }

    /// Moves `temporary` to `final` unless something is there already (false then). `link` is
    /// atomic and never replaces; file systems without hard links (FAT, some network shares) get
    /// an exclusive create of the final name, which this process then owns and may replace.
    static func placeWithoutReplacing(_ temporary: URL, at final: URL) throws -> Bool {
        if link(temporary.path, final.path) == 0 { return true }
        switch errno {
        case EEXIST:
            return false
        case EPERM, ENOTSUP, EOPNOTSUPP, EXDEV, EMLINK:
            let descriptor = open(final.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
            if descriptor < 0 {
                if errno == EEXIST { return false }
                throw PECError(.io, "cannot save \(final.path): \(String(cString: strerror(errno)))")
            }
            close(descriptor)
            guard rename(temporary.path, final.path) == 0 else {
                unlink(final.path)
                throw PECError(.io, "cannot save \(final.path): \(String(cString: strerror(errno)))")
            }
            return true
        default:
            throw PECError(.io, "cannot save \(final.path): \(String(cString: strerror(errno)))")
        }
    }

    /// `name`, or `name (2).ext`, `name (3).ext` … whichever is free here.
    private func uniqueName(_ name: String) -> String {
        func free(_ candidate: String) -> Bool {
            // lstat: a dangling symbolic link counts as taken too.
            var info = stat()
            return !taken.contains(candidate) && lstat(directory.appendingPathComponent(candidate).path, &info) != 0
        }
        if free(name) { return name }
        let ext = (name as NSString).pathExtension
        let base = (name as NSString).deletingPathExtension
        var counter = 2
        while true {
            let candidate = "\(base) (\(counter))" + (ext.isEmpty ? "" : ".\(ext)")
            if free(candidate) { return candidate }
            counter += 1
        }
    }
}
