import Foundation

/// `watch --exec`: one shell command per event, the event on its standard input.
enum EventHook {
    /// A hook that takes longer is stopped: the watch must go on.
    static let timeout: TimeInterval = 60

    static func run(_ command: String, input: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.standardError
        do {
            try process.run()
        } catch {
            Console.writeError("warning: --exec could not start /bin/sh: \(error.localizedDescription)\n")
            return
        }
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            Console.writeError("warning: --exec command stopped after \(Int(timeout)) s\n")
        } else if process.terminationStatus != 0 {
            Console.writeError("warning: --exec command exited with \(process.terminationStatus)\n")
        }
    }
}
