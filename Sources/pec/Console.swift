import Foundation
import PECCore

/// Where `pec` writes: results to stdout, everything else to stderr.
enum Console {
    /// A reader that closes the pipe (`pec list | head -1`) has all it wanted: exit 0 quietly, without
    /// finishing the work (a watch then prints the unprinted events next time). Any other failure to
    /// write the results (a full disk) is an error: what was asked for is not all there.
    static func write(_ text: String) {
        ProgressLine.shared.clear()
        do {
            try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
        } catch {
            let code = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.code ?? (error as NSError).code
            if code == Int(EPIPE) { Interrupts.exitNow(0) }
            writeError("error: cannot write the output: \(String(cString: strerror(Int32(code))))\n")
            Interrupts.exitNow(PECExitCode.error.rawValue)
        }
    }

    /// Where stderr itself cannot be written, there is nobody left to tell.
    static func writeError(_ text: String) {
        ProgressLine.shared.clear()
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
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
