import Foundation
import Testing

@testable import PECTestSupport
@testable import pec

/// `--ledger URL` and `--ledger=URL` join `--json` and `--verbose`: taken from anywhere before `--`, put back after
/// the subcommand path.
@Suite("GlobalFlagNormalizer and --ledger")
struct LedgerOptionNormalizerTests {
    @Test(
        "in any position, in both forms; the last one wins",
        arguments: [
            ["--ledger", "/a.sqlite", "ledger", "migrate", "--status"],
            ["ledger", "--ledger=/a.sqlite", "migrate", "--status"],
            ["ledger", "migrate", "--status", "--ledger", "/a.sqlite"],
            ["--ledger", "/b.sqlite", "ledger", "migrate", "--ledger=/a.sqlite", "--status"],
        ]
    )
    func positions(arguments: [String]) {
        let result = GlobalFlagNormalizer.normalize(arguments, root: Pec.self)
        #expect(result.ledger == "/a.sqlite")
        #expect(result.arguments == ["ledger", "migrate", "--ledger", "/a.sqlite", "--status"])
        #expect(!result.ledgerWithoutValue)
    }

    @Test("after `--` it is a value; without a value it is reported, not swallowed")
    func edges() {
        let after = GlobalFlagNormalizer.normalize(["send", "--json", "--", "--ledger", "x"], root: Pec.self)
        #expect(after.ledger == nil)
        #expect(after.arguments == ["send", "--json", "--", "--ledger", "x"])
        for arguments in [["ledger", "migrate", "--ledger"], ["--ledger", "--json", "providers"]] {
            let missing = GlobalFlagNormalizer.normalize(arguments, root: Pec.self)
            #expect(missing.ledgerWithoutValue, "\(arguments)")
            #expect(missing.ledger == nil)
        }
    }
}

/// `pec ledger migrate|export|import` and the global `--ledger`, through the real binary.
@Suite("pec ledger and --ledger")
struct LedgerCommandTests {
    /// A private HOME (so the default ledger is the test's own), and `extra`.
    static func environment(_ home: URL, _ extra: [String: String] = [:]) -> [String: String] {
        [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin", "HOME": home.path,
            "XDG_CONFIG_HOME": home.appendingPathComponent("config").path,
            "XDG_STATE_HOME": home.appendingPathComponent("state").path,
        ].merging(extra) { $1 }
    }

    static let postgresURL = ProcessInfo.processInfo.environment["PEC_TEST_POSTGRES_URL"].flatMap {
        $0.isEmpty ? nil : $0
    }

    static func record(_ run: PecRun) throws -> [String: Any] {
        try #require(run.status == 0, "\(run.stderr)")
        let lines = try run.jsonLines()
        try #require(lines.count == 1, "\(run.stdout)")
        return lines[0]
    }

    @Test("migrate creates the default ledger with every step, then finds it up to date; --status changes nothing")
    func migrate() throws {
        let home = try TemporaryHome(prefix: "pec-ledger-cli")
        let environment = Self.environment(home.url)
        let ledger = home.url.appendingPathComponent("state/pec/ledger.sqlite")

        let status = try Self.record(
            try PecRun.run(["ledger", "migrate", "--status", "--json"], environment: environment)
        )
        #expect(status["steps_before"] as? Int == 0)
        #expect((status["pending"] as? [String])?.last == "v8-pool")
        #expect(status["status_only"] as? Bool == true)
        #expect(!FileManager.default.fileExists(atPath: ledger.path))

        let first = try Self.record(try PecRun.run(["ledger", "migrate", "--json"], environment: environment))
        #expect(first["ledger"] as? String == ledger.path)
        #expect(first["store"] as? String == "sqlite")
        #expect(first["steps_before"] as? Int == 0)
        #expect(first["steps_after"] as? Int == first["steps_known"] as? Int)
        #expect((first["applied"] as? [String])?.first == "v1-sends")
        #expect(FileManager.default.fileExists(atPath: ledger.path))

        let again = try PecRun.run(["ledger", "migrate"], environment: environment)
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("\(ledger.path): up to date ("), "\(again.stdout)")
    }

    @Test(
        "--ledger before or after the subcommand, as --ledger URL or --ledger=URL, wins over PEC_LEDGER_URL",
        arguments: [
            { (file: String) in ["--ledger", file, "ledger", "migrate", "--json"] },
            { (file: String) in ["ledger", "--ledger=\(file)", "migrate", "--json"] },
            { (file: String) in ["ledger", "migrate", "--json", "--ledger", file] },
            { (file: String) in ["--json", "ledger", "migrate", "--ledger=sqlite://\(file)"] },
        ] as [@Sendable (String) -> [String]]
    )
    func ledgerOption(arguments: @Sendable (String) -> [String]) throws {
        let home = try TemporaryHome(prefix: "pec-ledger-cli")
        let file = home.url.appendingPathComponent("elsewhere.sqlite").path
        // A PEC_LEDGER_URL that would fail: the option must replace it, not be checked beside it.
        let environment = Self.environment(home.url, ["PEC_LEDGER_URL": "mysql://pec@db/pec"])
        let record = try Self.record(try PecRun.run(arguments(file), environment: environment))
        #expect(record["ledger"] as? String == file)
        #expect(FileManager.default.fileExists(atPath: file))
        #expect(
            !FileManager.default.fileExists(atPath: home.url.appendingPathComponent("state/pec/ledger.sqlite").path)
        )
    }

    @Test("--ledger ~/PATH is taken from HOME, and a --ledger after `--` is no option")
    func homePath() throws {
        let home = try TemporaryHome(prefix: "pec-ledger-cli")
        let environment = Self.environment(home.url)
        let record = try Self.record(
            try PecRun.run(["ledger", "migrate", "--json", "--ledger", "~/mine.sqlite"], environment: environment)
        )
        #expect(record["ledger"] as? String == home.url.appendingPathComponent("mine.sqlite").path)
        let after = try PecRun.run(["providers", "--", "--ledger", "x"], environment: environment)
        #expect(after.status == 1, "\(after.stdout)")
    }

    @Test("--ledger on PostgreSQL: migrate names the database, never the password")
    func postgres() throws {
        guard let base = Self.postgresURL else { return }
        let home = try TemporaryHome(prefix: "pec-ledger-cli")
        let schema = "cli_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let url = base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
        let environment = Self.environment(home.url)
        let record = try Self.record(
            try PecRun.run(["ledger", "migrate", "--json", "--ledger", url], environment: environment)
        )
        #expect(record["store"] as? String == "postgresql")
        #expect((record["ledger"] as? String)?.hasPrefix("postgresql://") == true)
        #expect((record["ledger"] as? String)?.contains(schema) == true)
        let password = URLComponents(string: base)?.password
        if let password, !password.isEmpty { #expect(!(record["ledger"] as? String ?? "").contains(password)) }
        let text = try PecRun.run(["--ledger", url, "ledger", "migrate"], environment: environment)
        #expect(text.stdout.contains("up to date"), "\(text.stdout)")

        // Export from PostgreSQL, import into a fresh file: the CLI path of both.
        let file = home.url.appendingPathComponent("team.sqlite").path
        let exported = try Self.record(
            try PecRun.run(
                ["--ledger", url, "ledger", "export", "--to", "sqlite", file, "--json"],
                environment: environment
            )
        )
        #expect(exported["operation"] as? String == "export")
        let imported = try Self.record(try PecRun.run(["ledger", "import", file, "--json"], environment: environment))
        let tables = try #require(imported["tables"] as? [String: [String: Any]])
        #expect(tables["sends"]?["copied"] as? Int == 0)
    }

    @Test("export then import through the binary: counts in text and JSON, the second import adds nothing")
    func exportImport() throws {
        let home = try TemporaryHome(prefix: "pec-ledger-cli")
        let environment = Self.environment(home.url)
        _ = try PecRun.run(["ledger", "migrate"], environment: environment)
        let file = home.url.appendingPathComponent("copy.sqlite").path
        let exported = try PecRun.run(["ledger", "export", "--to", "sqlite", file], environment: environment)
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.contains("sends: 0"), "\(exported.stdout)")
        #expect(exported.stdout.contains("shared_accounts: not exported"), "\(exported.stdout)")

        let refused = try PecRun.run(["ledger", "export", file], environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("already exists") && refused.stderr.contains("--force"), "\(refused.stderr)")
        #expect(try PecRun.run(["ledger", "export", file, "--force"], environment: environment).status == 0)

        let other = home.url.appendingPathComponent("other.sqlite").path
        let imported = try Self.record(
            try PecRun.run(["--ledger", other, "ledger", "import", file, "--json"], environment: environment)
        )
        #expect(imported["operation"] as? String == "import")
        #expect(imported["to"] as? String == other)
        let notCopied = try #require(imported["not_copied"] as? [String: Any])
        #expect(notCopied["delivery_cursors"] != nil)
    }

    @Test(
        "bad input: a clear usage error on stderr, exit 1, no trace of a crash",
        arguments: [
            (["--ledger", "mysql://pec@db/pec", "ledger", "migrate"], "--ledger starts with mysql://"),
            (["ledger", "migrate", "--ledger=postgresql://pec@db"], "--ledger is not a usable PostgreSQL URL"),
            (["ledger", "migrate", "--ledger", "sqlite://relative.sqlite"], "names no absolute file path"),
            (["ledger", "migrate", "--ledger"], "--ledger needs a value"),
            (["ledger", "migrate", "--ledger", "--json"], "--ledger needs a value"),
            (["ledger", "export"], "Missing expected argument"),
            (["ledger", "import"], "Missing expected argument"),
            (["ledger", "export", "--to", "csv", "x.csv"], "csv"),
            (
                ["ledger", "import", "/nonexistent/ledger.sqlite"],
                "there is no send ledger at /nonexistent/ledger.sqlite"
            ),
            (["ledger", "export", "/nonexistent/dir/copy.sqlite"], "the directory /nonexistent/dir does not exist"),
        ]
    )
    func badInput(arguments: [String], message: String) throws {
        let home = try TemporaryHome(prefix: "pec-ledger-cli")
        let run = try PecRun.run(arguments, environment: Self.environment(home.url))
        #expect(run.status == 1, "\(arguments): \(run.stdout) \(run.stderr)")
        #expect(run.stderr.hasPrefix("error: "), "\(arguments): \(run.stderr)")
        #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("unexpected error"), "\(run.stderr)")
    }

    @Test("a bad PEC_LEDGER_URL is named as such, and its password never printed")
    func badEnvironment() throws {
        let home = try TemporaryHome(prefix: "pec-ledger-cli")
        let run = try PecRun.run(
            ["ledger", "migrate"],
            environment: Self.environment(home.url, ["PEC_LEDGER_URL": "redis://pec:s3cret-pw@db/0"])
        )
        #expect(run.status == 1)
        #expect(run.stderr.contains("PEC_LEDGER_URL starts with redis://"), "\(run.stderr)")
        #expect(!run.stderr.contains("s3cret-pw"))
    }
}
