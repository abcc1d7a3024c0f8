import Foundation
import PECCore

/// Where `pec` writes: results to stdout, everything else to stderr.
enum Console {
    static func write(_ text: String) {
        ProgressLine.shared.clear()
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func writeError(_ text: String) {
        ProgressLine.shared.clear()
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// `error: …` (and `hint: …`) on stderr; with `--json` also the error object on stdout, so a
    /// program reading NDJSON sees why the records stopped. The message and the hint may quote a
    /// server's reply or a value from mail: each stays on one line (``TextFormatter/oneLine(_:)``).
    static func report(_ error: PECError, json: Bool, usage: String? = nil) {
        var text = "error: \(TextFormatter.oneLine(error.message))\n"
        if let usage { text += usage.hasSuffix("\n") ? usage : usage + "\n" }
        if let hint = error.hint(wording: \.commandLine), usage == nil {
            text += "hint: \(TextFormatter.oneLine(hint))\n"
        }
        writeError(text)
        if json,
            let line = try? OutputRenderer(format: .json).render(
                record: PECError.Envelope(error, wording: \.commandLine)
            )
        {
            write(line)
        }
    }
}
