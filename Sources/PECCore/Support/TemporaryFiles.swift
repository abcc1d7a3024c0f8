import Foundation
import NIOConcurrencyHelpers

/// Files pec is still writing (a message being downloaded, an attachment before its rename):
/// removed if the process is interrupted, so Ctrl-C never leaves a half-written file behind.
public enum TemporaryFiles {
    private static let paths = NIOLockedValueBox<Set<String>>([])
    private static let directories = NIOLockedValueBox<Set<String>>([])

    public static func register(_ path: String) {
        paths.withLockedValue { _ = $0.insert(path) }
    }

    public static func unregister(_ path: String) {
        paths.withLockedValue { _ = $0.remove(path) }
    }

    /// Creates a new file (never an existing one, never through a symbolic link), readable by its
    /// owner only, registered for removal on interrupt. The caller unregisters and removes it.
    public static func create(_ url: URL) throws -> FileHandle {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw PECError(.io, "cannot create \(url.path): \(String(cString: strerror(errno)))")
        }
        register(url.path)
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    /// A new private file in the system's temporary directory.
    public static func createPrivate(suffix: String) throws -> (URL, FileHandle) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pec-\(getpid())-\(UUID().uuidString.prefix(12))\(suffix)"
        )
        return (url, try create(url))
    }

    /// Unregisters and deletes.
    public static func remove(_ url: URL) {
        unregister(url.path)
        unlink(url.path)
    }

    /// A directory being filled (a dossier before its rename): removed with its contents on interrupt.
    public static func registerDirectory(_ url: URL) {
        directories.withLockedValue { _ = $0.insert(url.path) }
    }

    /// Unregisters and deletes the directory with everything in it.
    public static func removeDirectory(_ url: URL) {
        directories.withLockedValue { _ = $0.remove(url.path) }
        try? FileManager.default.removeItem(at: url)
    }

    public static func unregisterDirectory(_ url: URL) {
        directories.withLockedValue { _ = $0.remove(url.path) }
    }

    /// Deletes every registered file and directory (the process is about to exit on a signal).
    static func removeAll() {
        for path in paths.withLockedValue({ $0 }) { unlink(path) }
        for path in directories.withLockedValue({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
    }
}
