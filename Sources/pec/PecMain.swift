import ArgumentParser
import Foundation
import Logging
import PECCore

/// Entry point: runs `pec` and maps every outcome to the documented exit codes, instead of
/// ArgumentParser's defaults (which use 64 for usage errors).
@main
enum PecMain {
    static func main() async {
        let code = await run(Array(CommandLine.arguments.dropFirst()))
        exit(code.rawValue)
    }

    static func run(_ arguments: [String]) async -> PECExitCode {
        let start = ContinuousClock.now
        let options = GlobalFlagNormalizer.normalize(arguments, root: Pec.self)
        LoggingSystem.bootstrap { label in
            StderrLogHandler(label: label, program: "pec", level: options.verbose ? .debug : .warning, start: start)
        }
        let log = Logger(label: "pec")
        Interrupts.install()
        defer { log.debug("done") }
        if options.verbose, options.arguments.contains("--version") {
            let libraries = PECVersion.libraries.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)\n" }
            Console.write(PECVersion.current + "\n" + libraries.joined())
            return .ok
        }
        do {
            var command = try Pec.parseAsRoot(options.arguments)
            log.debug("parsed arguments", metadata: ["command": "\(type(of: command)._commandName)"])
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return .ok
        } catch let error as PECError {
            Console.report(error, json: options.json)
            return error.exitCode
        } catch let exit as ExitCode {
            return PECExitCode(rawValue: exit.rawValue) ?? .error
        } catch {
            return reportNonPECError(error, json: options.json)
        }
    }

    /// Help and --version succeed; ArgumentParser's usage errors become `usage` errors with exit 1;
    /// anything else is a bug in pec and says so.
    private static func reportNonPECError(_ error: any Error, json: Bool) -> PECExitCode {
        let code = Pec.exitCode(for: error)
        if code.isSuccess {
            Console.write(Pec.fullMessage(for: error) + "\n")
            return .ok
        }
        if code == .validationFailure {
            // fullMessage is "Error: …" followed by the usage lines and a pointer to --help.
            let lines = Pec.fullMessage(for: error).split(separator: "\n", omittingEmptySubsequences: false)
            let usage = lines.dropFirst().joined(separator: "\n").trimmingCharacters(in: .newlines)
            let seeHelp = lines.last { $0.contains("--help") }?.trimmingCharacters(in: .whitespaces)
            let pecError = PECError(.usage, Pec.message(for: error), hint: seeHelp)
            Console.report(pecError, json: json, usage: usage.isEmpty ? nil : usage)
            return pecError.exitCode
        }
        let pecError = PECError(
            .internal,
            "unexpected error: \(error)",
            hint: "this is a bug in pec; please report it with the command you ran"
        )
        Console.report(pecError, json: json)
        return pecError.exitCode
    }
}
