import ArgumentParser
import PECCore

/// Flags every command accepts, before or after the subcommand (see ``GlobalFlagNormalizer``).
struct GlobalOptions: ParsableArguments {
    @Flag(help: "Write results as NDJSON, one JSON object per line.")
    var json = false

    @Flag(help: "Show timings and protocol steps on stderr.")
    var verbose = false

    var renderer: OutputRenderer { OutputRenderer(format: json ? .json : .text) }

    /// The progress line for long work, or nil: with --json, and with --verbose (whose own lines
    /// would break into it), there is none.
    var progress: ProgressHandler? { verbose ? nil : ProgressLine.handler(json: json) }
}

/// ArgumentParser only accepts a command's options after that command's name, so
/// `pec --json providers` would be rejected. This moves the global flags, wherever they are, to just
/// after the subcommand path, where every command's ``GlobalOptions`` picks them up.
enum GlobalFlagNormalizer {
    static let flags = ["--json", "--verbose"]

    struct Result: Equatable {
        var arguments: [String]
        var json: Bool
        var verbose: Bool
    }

    static func normalize(_ arguments: [String], root: any ParsableCommand.Type) -> Result {
        // Everything after a bare `--` is a value, never a flag.
        let end = arguments.firstIndex(of: "--") ?? arguments.endIndex
        let present = Set(arguments[..<end].filter { flags.contains($0) })
        var rest = arguments[..<end].filter { !flags.contains($0) }

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
        rest.insert(contentsOf: flags.filter(present.contains), at: pathEnd)
        return Result(
            arguments: rest + arguments[end...],
            json: present.contains("--json"),
            verbose: present.contains("--verbose")
        )
    }
}
