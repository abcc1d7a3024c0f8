import ArgumentParser
import PECCore

/// Flags every command accepts, before or after the subcommand (see ``GlobalFlagNormalizer``).
struct GlobalOptions: ParsableArguments {
    @Flag(help: "Write results as NDJSON, one JSON object per line.")
    var json = false

    @Flag(help: "Show timings and protocol steps on stderr.")
    var verbose = false

    /// Read by ``PecMain`` before any command runs (it sets `PEC_LEDGER_URL`); declared here for `--help`.
    @Option(
        help: ArgumentHelp(
            "The ledger to use instead of PEC_LEDGER_URL's: postgresql://…, sqlite:///PATH, or a file path.",
            valueName: "url"
        )
    )
    var ledger: String?

    var renderer: OutputRenderer { OutputRenderer(format: json ? .json : .text) }

    /// The progress line for long work, or nil: with --json, and with --verbose (whose own lines
    /// would break into it), there is none.
    var progress: ProgressHandler? { verbose ? nil : ProgressLine.handler(json: json) }
}

/// ArgumentParser only accepts a command's options after that command's name, so
/// `pec --json providers` would be rejected. This moves the global flags and `--ledger URL` (or `--ledger=URL`),
/// wherever they are, to just after the subcommand path, where every command's ``GlobalOptions`` picks them up.
enum GlobalFlagNormalizer {
    static let flags = ["--json", "--verbose"]
    static let ledgerOption = "--ledger"

    struct Result: Equatable {
        var arguments: [String]
        var json: Bool
        var verbose: Bool
        /// The last `--ledger` given.
        var ledger: String? = nil
        /// `--ledger` was last, or followed by another option instead of its value.
        var ledgerWithoutValue = false
    }

    static func normalize(_ arguments: [String], root: any ParsableCommand.Type) -> Result {
        // Everything after a bare `--` is a value, never a flag.
        let end = arguments.firstIndex(of: "--") ?? arguments.endIndex
        var present = Set<String>()
        var ledger: String?
        var ledgerWithoutValue = false
        var rest: [String] = []
        var index = 0
        while index < end {
            let argument = arguments[index]
            index += 1
            if flags.contains(argument) {
                present.insert(argument)
            } else if argument.hasPrefix(ledgerOption + "=") {
                ledger = String(argument.dropFirst(ledgerOption.count + 1))
            } else if argument == ledgerOption {
                guard index < end, !arguments[index].hasPrefix("-") else {
                    ledgerWithoutValue = true
                    continue
                }
                ledger = arguments[index]
                index += 1
            } else {
                rest.append(argument)
            }
        }

        var command = root
        var pathEnd = 0
        while pathEnd < rest.count,
            let sub = command.configuration.subcommands.first(where: {
                $0._commandName == rest[pathEnd] || $0.configuration.aliases.contains(rest[pathEnd])
            })
        {
            command = sub
            pathEnd += 1
        }
        rest.insert(
            contentsOf: flags.filter(present.contains) + (ledger.map { [ledgerOption, $0] } ?? []),
            at: pathEnd
        )
        return Result(
            arguments: rest + arguments[end...],
            json: present.contains("--json"),
            verbose: present.contains("--verbose"),
            ledger: ledger,
            ledgerWithoutValue: ledgerWithoutValue
        )
    }
}
