import Foundation
import PECCore

/// `watch --exec`: one shell command per event, the event on its standard input.
enum EventHook {
    /// A hook that takes longer is stopped: the watch must go on.
    static let timeout: Duration = .seconds(60)

    /// Runs `command` and waits for it without blocking a thread: the process's termination
    /// handler and a timer race, whichever comes first resumes the watch.
    static func run(_ command: String, input: String, timeout: Duration = Self.timeout) async {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.standardError
        let exited = AsyncStream<Void> { continuation in
            process.terminationHandler = { _ in continuation.finish() }
        }
        do {
            try process.run()
        } catch {
            Console.writeError("warning: --exec could not start /bin/sh: \(error.localizedDescription)\n")
            return
        }
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in exited {}
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !finished {
            process.terminate()
            process.waitUntilExit()
            Console.writeError("warning: --exec command stopped after \(timeout.components.seconds) s\n")
        } else if process.terminationStatus != 0 {
            Console.writeError("warning: --exec command exited with \(process.terminationStatus)\n")
        }
    }
}
