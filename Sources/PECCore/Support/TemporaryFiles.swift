import Dispatch
import Foundation
import NIOConcurrencyHelpers

/// Files pec is still writing (a message being downloaded, an attachment before its rename):
/// removed if the process is interrupted, so Ctrl-C never leaves a half-written file behind.
public enum TemporaryFiles {
    private static let paths = NIOLockedValueBox<Set<String>>([])
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    private static let installed = NIOLockedValueBox(false)

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

    private struct InterruptState {
        var deferring = 0
        var pendingExit: Int32?
    }
    private static let interrupts = NIOLockedValueBox(InterruptState())

    /// Runs `body` with SIGINT and SIGTERM held back: one that arrives meanwhile ends the process
    /// right after `body`, so work that must not be cut in half (printing an event and noting it
    /// printed) is done whole or not at all.
    public static func deferringInterrupts<T>(_ body: () async throws -> T) async rethrows -> T {
        interrupts.withLockedValue { $0.deferring += 1 }
        defer {
            let code = interrupts.withLockedValue { state -> Int32? in
                state.deferring -= 1
                return state.deferring == 0 ? state.pendingExit : nil
            }
            if let code { exitRemovingFiles(code) }
        }
        return try await body()
    }

    private static func exitRemovingFiles(_ code: Int32) -> Never {
        for path in paths.withLockedValue({ $0 }) { unlink(path) }
        exit(code)
    }

    /// On SIGINT or SIGTERM: delete the registered files, then exit 130 / 143 as a shell expects.
    /// Call once, early, from the executable.
    public static func removeOnInterrupt() {
        guard installed.claimOnce() else { return }
        for (number, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                // Inside deferringInterrupts the stop waits for the end of that section.
                let now = interrupts.withLockedValue { state in
                    if state.deferring > 0 { state.pendingExit = state.pendingExit ?? code }
                    return state.deferring == 0
                }
                if now { exitRemovingFiles(code) }
            }
            source.resume()
            sources.append(source)
        }
    }
}
