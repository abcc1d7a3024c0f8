import ArgumentParser
import Dispatch
import Foundation
import Logging
import PECCore

/// Entry point: runs `pec` and maps every outcome to the documented exit codes, instead of
/// ArgumentParser's defaults (which use 64 for usage errors).
@main
enum PecMain {
    static func main() {
        // A closed pipe is an error from write, which Console handles, not a signal that kills us.
        signal(SIGPIPE, SIG_IGN)
        let code = run(Array(CommandLine.arguments.dropFirst()))
        exit(code.rawValue)
    }

    /// Parses, then runs the command. Help, `--version` and the commands that only read local files
    /// (``synchronousCommands``) run on this thread: no concurrency threads, no signal source, no event
    /// loop. The others run as a task while this thread waits (a synchronous `main`: an `async` one
    /// starts libdispatch's worker threads whatever the command).
    static func run(_ arguments: [String]) -> PECExitCode {
        let start = ContinuousClock.now
        let options = GlobalFlagNormalizer.normalize(arguments, root: Pec.self)
        LoggingSystem.bootstrap { label in
            StderrLogHandler(label: label, program: "pec", level: options.verbose ? .debug : .warning, start: start)
        }
        let log = Logger(label: "pec")
        defer { log.debug("done") }
        do {
            try useLedger(options)
        } catch {
            return report(error, json: options.json)
        }
        if options.verbose, options.arguments.contains("--version") {
            let libraries = PECVersion.libraries.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)\n" }
            Console.write(PECVersion.current + "\n" + libraries.joined())
            return .ok
        }
        do {
            var command = try Pec.parseAsRoot(options.arguments)
            let type = type(of: command)
            log.debug("parsed arguments", metadata: ["command": "\(type._commandName)"])
            // A metatype comparison, not a cast to AsyncParsableCommand: the first cast to a protocol
            // scans every conformance record in the binary.
            if synchronousCommands.contains(where: { $0 == type }) {
                try command.run()
                return .ok
            }
            guard let asyncCommand = command as? any AsyncParsableCommand else {
                try command.run()
                return .ok
            }
            return runBlocking(asyncCommand, json: options.json)
        } catch {
            return report(error, json: options.json)
        }
    }

    /// `--ledger` selects the ledger as `PEC_LEDGER_URL` does, for this process and the commands it runs (hooks):
    /// set before any command reads the environment, it is the one place the option takes effect.
    private static func useLedger(_ options: GlobalFlagNormalizer.Result) throws(PECError) {
        if options.ledgerWithoutValue {
            throw PECError(
                .usage,
                "--ledger needs a value",
                hint: "give --ledger postgresql://USER@HOST/DATABASE, --ledger sqlite:///PATH or --ledger PATH"
            )
        }
        guard let value = options.ledger else { return }
        let location = try LedgerLocation(value, source: "--ledger")
        setenv(LedgerLocation.environmentKey, location.environmentValue(original: value), 1)
    }

    /// Commands whose `run` never awaits (ParsableCommand, not AsyncParsableCommand).
    private static let synchronousCommands: [any ParsableCommand.Type] = [
        ProvidersCommand.self, StatusCommand.self, EventsCommand.self, VerifyCommand.self,
        AuthCommand.Logout.self, AuthCommand.Default.self, WorkersCommand.self, LedgerCommand.Migrate.self,
        LedgerCommand.Export.self, LedgerCommand.Import.self,
    ]

    /// The command and its outcome, handed between this thread and the task (the semaphore orders them).
    private final class Run: @unchecked Sendable {
        var command: any AsyncParsableCommand
        var code = PECExitCode.error
        init(_ command: any AsyncParsableCommand) { self.command = command }
    }

    private static func runBlocking(_ command: any AsyncParsableCommand, json: Bool) -> PECExitCode {
        // Ctrl-C and SIGTERM delete the files being written before exiting; nothing above writes any.
        Interrupts.install()
        let run = Run(command)
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await run.command.run()
                run.code = .ok
            } catch {
                run.code = report(error, json: json)
            }
            done.signal()
        }
        done.wait()
        ProgressLine.shared.clear()
        return run.code
    }

    private static func report(_ error: any Error, json: Bool) -> PECExitCode {
        switch error {
        case let error as PECError:
            Console.report(error, json: json)
            return error.exitCode
        case let exit as ExitCode:
            return PECExitCode(rawValue: exit.rawValue) ?? .error
        default:
            return reportNonPECError(error, json: json)
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
