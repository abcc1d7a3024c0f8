import Foundation
import Testing

/// Runs a built `pec` binary as a user would and captures what it prints.
struct PecRun {
    var status: Int32
    var stdout: String
    var stderr: String

    /// The directory with the built products: `make test` exports PEC_BIN_DIR; a plain
    /// `swift test` finds .build/debug beside the package.
    static var binDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["PEC_BIN_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug")
    }

    /// Runs `program` with `arguments`; `environment` replaces the inherited one when given. A
    /// run longer than `timeout` seconds is killed and fails the test (no test may hang).
    static func run(
        _ arguments: [String],
        program: String = "pec",
        stdin: String = "",
        environment: [String: String]? = nil,
        timeout: Double = 60
    ) throws -> PecRun {
        let process = Process()
        process.executableURL = binDirectory.appendingPathComponent(program)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        let killer = DispatchWorkItem { [process] in
            if process.isRunning { process.terminate() }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        defer { killer.cancel() }
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let stderrBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            stderrBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let stderrData = stderrBox.data
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal {
            Issue.record(
                "\(program) \(arguments.joined(separator: " ")) was killed (signal \(process.terminationStatus))"
            )
        }
        return PecRun(
            status: process.terminationStatus,
            stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self)
        )
    }

    var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }

    func jsonLines() throws -> [[String: Any]] {
        try stdoutLines.map { line in
            try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                "not a JSON object: \(line)"
            )
        }
    }
}

/// Written by one reader thread, read after it finished (the DispatchGroup orders the two).
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
