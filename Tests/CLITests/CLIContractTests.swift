import Foundation
import PECCore
import Testing

/// The command-line contract every command shares: global flags anywhere, NDJSON, errors and
/// exit codes. Runs the real binary.
@Suite("pec command line")
struct CLIContractTests {
    @Test("--version prints the version and exits 0")
    func version() throws {
        let run = try PecRun.run(["--version"])
        #expect(run.status == 0)
        #expect(run.stdout == PECVersion.current + "\n")
    }

    @Test("--version --verbose also names the linked system libraries")
    func versionVerbose() throws {
        let run = try PecRun.run(["--verbose", "--version"])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix(PECVersion.current + "\n"))
        #expect(run.stdout.contains("openssl: OpenSSL 3"))
        #expect(run.stdout.contains("libsecret: 0."))
    }

    @Test("--help lists the commands and the global flags, exit 0")
    func help() throws {
        let run = try PecRun.run(["--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("providers"))
        #expect(run.stdout.contains("--json"))
        #expect(run.stderr.isEmpty)
    }

    @Test("providers --json: one JSON object per line, one per preset, same as the library's value")
    func providersJSON() throws {
        let run = try PecRun.run(["providers", "--json"])
        #expect(run.status == 0)
        let objects = try run.jsonLines()
        #expect(objects.map { $0["id"] as? String } == ProviderCatalog.all.map(\.id))
        let expected = try OutputRenderer(format: .json).render(ProviderCatalog.rows)
        #expect(run.stdout == expected)
        #expect(objects.allSatisfy { $0["notes"] as? NSNull == nil }, "empty fields are left out, not null")
    }

    @Test(
        "global flags work before and after the subcommand, and mixed in",
        arguments: [["--json", "providers"], ["providers", "--json"], ["--verbose", "providers", "--json"]]
    )
    func globalFlagsAnywhere(arguments: [String]) throws {
        let run = try PecRun.run(arguments)
        #expect(run.status == 0, "\(arguments): \(run.stderr)")
        #expect(try run.jsonLines().count == ProviderCatalog.all.count)
    }

    @Test("providers in text: a table with a header row and one row per preset")
    func providersTable() throws {
        let run = try PecRun.run(["providers"])
        #expect(run.status == 0)
        let lines = run.stdoutLines
        #expect(lines.first?.hasPrefix("ID ") == true)
        #expect(lines.count == ProviderCatalog.all.count + 1)
        #expect(lines.contains { $0.hasPrefix("legalmail ") && $0.contains("mbox.cert.legalmail.it") })
    }

    @Test("--verbose writes timings to stderr and nothing extra to stdout")
    func verbose() throws {
        let quiet = try PecRun.run(["providers", "--json"])
        let run = try PecRun.run(["--verbose", "providers", "--json"])
        #expect(run.stdout == quiet.stdout)
        #expect(run.stderr.contains(" ms] "))
        #expect(quiet.stderr.isEmpty)
    }

    @Test(
        "usage errors exit 1 (not 64) with `error:` on stderr and nothing on stdout",
        arguments: [["providers", "--bogus"], ["no-such-command"], ["providers", "extra"]]
    )
    func usageErrors(arguments: [String]) throws {
        let run = try PecRun.run(arguments)
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("error: "))
        #expect(run.stderr.contains("Usage: pec"))
        #expect(run.stdout.isEmpty)
        #expect(!run.stderr.contains("Fatal error"))
    }

    @Test("with --json, a usage error is also one JSON error object on stdout")
    func usageErrorJSON() throws {
        let run = try PecRun.run(["--json", "providers", "--bogus"])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("error: Unknown option '--bogus'"))
        let objects = try run.jsonLines()
        #expect(objects.count == 1)
        let error = try #require(objects[0]["error"] as? [String: Any])
        #expect(error["kind"] as? String == "usage")
        #expect(error["message"] as? String == "Unknown option '--bogus'")
        #expect(error["retryable"] as? Bool == false)
        #expect((error["hint"] as? String)?.contains("pec providers --help") == true)
    }

    @Test("after `--` a global flag is a plain argument, not a flag")
    func doubleDash() throws {
        let run = try PecRun.run(["providers", "--", "--json"])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("--json"))
    }
}
