import Foundation
import PECCore

/// `watch --exec`: one shell command per event, the event on its standard input.
enum EventHook {
    /// A hook that takes longer is stopped: the watch must go on.
    static let timeout: Duration = .seconds(60)

    /// How a hook ended; the watch goes on whatever it is (each is warned about on stderr).
    enum Outcome: Equatable {
        case exited(status: Int32)
        /// Its time was up: stopped with SIGTERM, or SIGKILL when that did not stop it.
        case stopped
        /// The event could not be passed or /bin/sh not started.
        case notStarted
    }

    /// Runs `command` and waits for it without blocking a thread: the process's termination
    /// handler and a timer race, and whichever comes first resumes the watch.
    @discardableResult
    static func run(_ command: String, input event: String, timeout: Duration = Self.timeout) async -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.standardError
        // The event comes from a private file, not a pipe: a hook that exits without reading it
        // cannot kill the watch with SIGPIPE, nor block it on a full pipe.
        let input: FileHandle
        do {
            let (url, handle) = try TemporaryFiles.createPrivate(suffix: ".json")
            defer { TemporaryFiles.remove(url) }
            try handle.write(contentsOf: Data(event.utf8))
            try handle.close()
            input = try FileHandle(forReadingFrom: url)  // open before the file is removed
        } catch {
            Console.writeError("warning: --exec could not pass the event: \(error.localizedDescription)\n")
            return .notStarted
        }
        defer { try? input.close() }
        process.standardInput = input
        // true when the hook exits, false when its time is up: whichever comes first.
        let (outcomes, outcome) = AsyncStream.makeStream(of: Bool.self)
        process.terminationHandler = { _ in outcome.yield(true) }
        do {
            try process.run()
        } catch {
            Console.writeError("warning: --exec could not start /bin/sh: \(error.localizedDescription)\n")
            return .notStarted
        }
        var next = outcomes.makeAsyncIterator()
        func exited(within limit: Duration) async -> Bool {
            let timer = Task {
                try? await Task.sleep(for: limit)
                if !Task.isCancelled { outcome.yield(false) }
            }
            defer { timer.cancel() }
            return await next.next() ?? true
        }
        if !(await exited(within: timeout)) {
            // SIGTERM first; a hook that ignores it (or inherited it blocked) gets SIGKILL.
            process.terminate()
            if !(await exited(within: .seconds(2))) {
                kill(process.processIdentifier, SIGKILL)
                _ = await next.next()
            }
            Console.writeError("warning: --exec command stopped after \(timeout.components.seconds) s\n")
            return .stopped
        }
        if process.terminationStatus != 0 {
            Console.writeError("warning: --exec command exited with \(process.terminationStatus)\n")
        }
        return .exited(status: process.terminationStatus)
    }
}
