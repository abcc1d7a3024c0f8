import Foundation
import PECCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a password without it ever being in argv: from stdin (`--password-stdin`), or typed at
/// the terminal with echo off, the prompt on stderr.
enum PasswordInput {
    static func read(fromStdin: Bool, prompt: String) throws -> String {
        if fromStdin {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard var text = String(data: data, encoding: .utf8) else {
                throw PECError(.invalidInput, "the password on stdin is not UTF-8 text")
            }
            // One trailing line end is the `echo`'s, not the password's.
            if text.hasSuffix("\n") { text.removeLast() }
            if text.hasSuffix("\r") { text.removeLast() }
            guard !text.isEmpty else { throw PECError(.usage, "no password on stdin") }
            return text
        }
        guard isatty(STDIN_FILENO) == 1 else {
            throw PECError(
                .usage,
                "no terminal to ask the password on",
                hint:
                    "pipe it in with --password-stdin (e.g. `secret-tool lookup … | pec auth login … --password-stdin`)"
            )
        }
        return try readHidden(prompt: prompt)
    }

    private static func readHidden(prompt: String) throws -> String {
        try? FileHandle.standardError.write(contentsOf: Data(prompt.utf8))
        var saved = termios()
        let canHide = tcgetattr(STDIN_FILENO, &saved) == 0
        if canHide {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            savedTerminal = saved
            // Ctrl-C at the prompt must not leave the terminal without echo.
            previousInterruptHandler = signal(SIGINT) { _ in
                if var terminal = savedTerminal { tcsetattr(STDIN_FILENO, TCSAFLUSH, &terminal) }
                _exit(130)
            }
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        }
        defer {
            if canHide {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
                signal(SIGINT, previousInterruptHandler)
                savedTerminal = nil
            }
            try? FileHandle.standardError.write(contentsOf: Data("\n".utf8))
        }
        guard let line = Swift.readLine(strippingNewline: true), !line.isEmpty else {
            throw PECError(.usage, "no password given")
        }
        return line
    }
}

/// The terminal settings to restore if the user interrupts the password prompt (read by the
/// signal handler, which cannot capture anything).
nonisolated(unsafe) private var savedTerminal: termios?
/// What handled Ctrl-C before the prompt (pec's own cleanup of temporary files).
nonisolated(unsafe) private var previousInterruptHandler: (@convention(c) (Int32) -> Void)?
