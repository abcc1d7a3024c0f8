import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Private files: refused when group or others may read or write them, written atomically
/// (temporary file in the same directory, fsync, rename) with mode 0600.
/// Public for pec-mcp's client setup, which writes other programs' configuration files the same way.
public enum SecureFiles {
    /// The file's bytes, or nil when it does not exist. Refuses a file others can read or write.
    static func readPrivate(_ url: URL) throws(PECError) -> Data? {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT { return nil }
            throw PECError(.io, "cannot open \(path): \(describe(code))", hint: hintFor(code, path: path))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw PECError(.io, "cannot inspect \(path): \(describe(errno))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw PECError(.io, "\(path) is not a regular file", hint: "remove it", remedy: .login(address: nil))
        }
        try checkPrivate(mode: info.st_mode, path: path)
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw PECError(.io, "cannot read \(path): \(describe(errno))")
            }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        return data
    }

    /// Refuses a mode that lets group or others read or write the file.
    static func checkPrivate(mode: mode_t, path: String) throws(PECError) {
        guard mode & 0o066 == 0 else {
            let octal = String(mode & 0o777, radix: 8)
            throw PECError(
                .io,
                "\(path) can be read or written by other users (mode \(octal)); it holds credentials, so pec refuses to use it",
                hint: "chmod 600 \(shellQuoted(path))"
            )
        }
    }

    /// Writes `data` to `url` atomically with `mode` (0600 unless told); the directory must exist.
    public static func writeAtomically(_ data: Data, to url: URL, mode: mode_t = 0o600) throws(PECError) {
        let directory = url.deletingLastPathComponent().path
        let path = url.path
        var template = Array((directory + "/." + url.lastPathComponent + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            let code = errno
            throw PECError(.io, "cannot write in \(directory): \(describe(code))", hint: hintFor(code, path: directory))
        }
        let tempPath = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        var committed = false
        defer {
            if !committed { unlink(tempPath) }
        }
        do {
            defer { close(fd) }
            guard fchmod(fd, mode) == 0 else {
                throw PECError(.io, "cannot set the mode of \(tempPath): \(describe(errno))")
            }
            var offset = 0
            while offset < data.count {
                let n = data.withUnsafeBytes { raw in
                    write(fd, raw.baseAddress! + offset, raw.count - offset)
                }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw PECError(.io, "cannot write \(path): \(describe(errno))")
                }
                offset += n
            }
            guard fsync(fd) == 0 else { throw PECError(.io, "cannot write \(path): \(describe(errno))") }
        }
        guard rename(tempPath, path) == 0 else {
            let code = errno
            throw PECError(.io, "cannot replace \(path): \(describe(code))", hint: hintFor(code, path: path))
        }
        committed = true
        // Make the rename itself durable.
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }

    /// Creates the directory (and parents) with mode 0700 when missing; an existing one is kept as is
    /// (the Python pec-cli creates it 0755).
    public static func ensureDirectory(_ url: URL) throws(PECError) {
        var info = stat()
        if stat(url.path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw PECError(.io, "\(url.path) exists and is not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(
                at: url,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw PECError(.io, "cannot create \(url.path): \(error.localizedDescription)")
        }
        // The umask may have removed bits we asked for, never added: still enforce 0700.
        _ = chmod(url.path, 0o700)
    }

    /// Deletes a file; a missing file is fine.
    public static func remove(_ url: URL) throws(PECError) {
        if unlink(url.path) != 0, errno != ENOENT {
            throw PECError(.io, "cannot delete \(url.path): \(describe(errno))")
        }
    }

    static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    private static func hintFor(_ code: Int32, path: String) -> String? {
        switch code {
        case EACCES, EPERM: "check the owner and permissions of \(path)"
        case EROFS: "\(path) is on a read-only file system"
        case ENOSPC: "the disk is full"
        default: nil
        }
    }

    /// `path` quoted for a POSIX shell when it needs it, so the hint can be pasted as is.
    static func shellQuoted(_ path: String) -> String { ShellQuoting.quoted(path) }
}
