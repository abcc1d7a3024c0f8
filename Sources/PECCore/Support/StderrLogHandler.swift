import Foundation
import Logging

/// Writes log lines to stderr as `pec: [+12.3 ms] label: message`, the elapsed time counted from
/// the handler's creation (process start in practice). stdout stays for results (and for
/// JSON-RPC in `pec-mcp`). Never given secrets: callers log redacted values only.
public struct StderrLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let program: String
    private let start: ContinuousClock.Instant

    public init(label: String, program: String, level: Logger.Level, start: ContinuousClock.Instant) {
        self.label = label
        self.program = program
        self.logLevel = level
        self.start = start
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let elapsed = ContinuousClock.now - start
        let millis = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let extra =
            merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ")
        // A logged server reply or header stays on its line, as in every other text output.
        let text = TextFormatter.oneLine("\(event.message)\(extra)")
        let line = "\(program): [+\(String(format: "%.1f", millis)) ms] \(label): \(text)\n"
        try? FileHandle.standardError.write(contentsOf: Data(line.utf8))
    }
}
