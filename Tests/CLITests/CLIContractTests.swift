import Foundation
import PECCore
import PECTestSupport
import Testing

@testable import PECTestSupport

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
        // libsecret is loaded on demand: the line names the file it was loaded from.
        #expect(run.stdout.contains("libsecret: /") && run.stdout.contains("libsecret-1.so.0"))
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

/// Bad values for the mailbox commands are usage errors (exit 1) found before any login or
/// connection: a negative limit, an impossible date, an id that is not a number.
@Suite("mailbox command arguments")
struct MailboxArgumentTests {
    static func isolated() -> [String: String] {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("pec-empty-\(UUID().uuidString)")
        return [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin", "HOME": empty.path,
            "XDG_CONFIG_HOME": empty.path,
        ]
    }

    @Test(
        "usage errors, exit 1, one error line on stderr",
        arguments: [
            ["list", "--limit", "-5"], ["search", "x", "--limit", "-1"], ["list", "--from", "2026-13-01"],
            ["list", "--from", "yesterday"], ["search", "x", "--since", "2026-02-30"], ["mark-read", "abc"],
            ["move", "12"], ["search", "x", "--field", "everything"], ["list", "--timeout", "0"],
        ]
    )
    func usage(arguments: [String]) throws {
        let run = try PecRun.run(arguments + ["--json"], environment: Self.isolated())
        #expect(run.status == 1, "\(arguments): \(run.stderr)")
        #expect(run.stderr.hasPrefix("error: "), "\(arguments): \(run.stderr)")
        let last = try #require(try run.jsonLines().last?["error"] as? [String: Any])
        #expect(last["kind"] as? String == "usage", "\(arguments)")
    }

    @Test("without any login every mailbox command exits 2 and says how to log in")
    func notLoggedIn() throws {
        for arguments in [["list"], ["folders"], ["mark-read", "3"], ["move", "3", "--to", "x"], ["auth", "status"]] {
            let run = try PecRun.run(arguments, environment: Self.isolated())
            #expect(run.status == 2, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("pec auth login"), "\(arguments)")
            let json = try PecRun.run(arguments + ["--json"], environment: Self.isolated())
            let error = try #require(try json.jsonLines().last?["error"] as? [String: Any], "\(arguments)")
            let remedies = error["remedies"] as? [[String: Any]]
            #expect(remedies?.map { $0["action"] as? String } == ["login"], "\(arguments)")
            #expect((error["hint"] as? String)?.contains("pec auth login --address") == true, "\(arguments)")
        }
    }
}

/// `pec verify` on files, offline: exit 0 only when every message is a certified PEC (validly signed
/// by a gestore that vouches for its kind).
@Suite("pec verify")
struct VerifyCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("PECCoreTests/PEC/Fixtures")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    @Test("a sandbox receipt: valid with its CA (exit 0), untrusted without (exit 1)")
    func trust() throws {
        let file = Self.fixture("sandbox-accettazione.eml")
        let valid = try PecRun.run(["verify", file, "--ca-file", Self.fixture("sandbox-ca.pem"), "--json"])
        #expect(valid.status == 0, "stderr: \(valid.stderr)")
        let record = try #require(try valid.jsonLines().first)
        #expect(record["pec_type"] as? String == "accettazione")
        #expect((record["signature"] as? [String: Any])?["status"] as? String == "valid")

        let untrusted = try PecRun.run(["verify", file, "--json"])
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("untrusted"))
        #expect(try untrusted.jsonLines().first?["claimed_pec_type"] as? String == "accettazione")
    }

    @Test("standard input with -, several files at once; one bad file fails the run")
    func stdinAndMany() throws {
        let receipt = try String(contentsOfFile: Self.fixture("sandbox-accettazione.eml"), encoding: .isoLatin1)
        let ca = Self.fixture("sandbox-ca.pem")
        let piped = try PecRun.run(["verify", "-", "--ca-file", ca, "--json"], stdin: receipt)
        #expect(piped.status == 0, "stderr: \(piped.stderr)")
        #expect(try piped.jsonLines().first?["file"] as? String == "(stdin)")

        let garbage = FileManager.default.temporaryDirectory.appendingPathComponent("pec-garbage-\(UUID()).eml")
        try Data((0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: garbage)
        defer { try? FileManager.default.removeItem(at: garbage) }
        let mixed = try PecRun.run([
            "verify", Self.fixture("sandbox-accettazione.eml"), garbage.path, "--ca-file", ca, "--json",
        ])
        #expect(mixed.status == 1)
        let lines = try mixed.jsonLines()
        #expect(lines.count == 3, "two records and the error: \(mixed.stdout)")
        #expect((lines[1]["signature"] as? [String: Any])?["status"] as? String == "unsigned")
    }

    // MARK: REM (../shared/fixtures/rem, read in place)

    @Test(
        "REM: a receipt and a standalone evidence verify with the test root + intermediate; a changed EventTime exits 1",
        .enabled(if: REMFixtureCorpus.directory != nil, "shared fixtures (shared/fixtures/rem) not found")
    )
    func rem() throws {
        let corpus = try #require(REMFixtureCorpus.directory)
        let trust = REMFixtureCorpus.caFiles.flatMap { ["--ca-file", $0] }
        let receipt = corpus.appendingPathComponent("Intra-REM-flow/REM_ContentConsignmentFailure1.RD04.eml").path
        let evidence = corpus.appendingPathComponent("standalone-evidence/ContentConsignmentFailure1.RD04.xml").path
        let run = try PecRun.run(["verify", receipt, evidence] + trust + ["--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let records = try run.jsonLines()
        #expect(records.count == 2, "\(run.stdout)")
        for record in records {
            #expect(record["standard"] as? String == "rem")
            #expect(record["pec_type"] as? String == "rem-content-consignment-failure")
            let rem = try #require(record["rem"] as? [String: Any])
            #expect(rem["reason_code"] as? String == "RD04")
            let first = try #require((rem["evidence"] as? [[String: Any]])?.first)
            let signature = try #require(first["signature"] as? [String: Any])
            #expect(signature["status"] as? String == "valid")
            #expect(signature["signing_time"] as? String == "2022-08-03T14:22:14Z")
        }

        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tampered = directory.appendingPathComponent("tampered.xml")
        let original = try String(contentsOfFile: evidence, encoding: .utf8)
        let edited = original.replacingOccurrences(of: "<EventTime>2022", with: "<EventTime>2023")
        try #require(edited != original)
        try Data(edited.utf8).write(to: tampered)
        let refused = try PecRun.run(["verify", tampered.path] + trust + ["--json"])
        #expect(refused.status == 1)
        let record = try #require(try refused.jsonLines().first)
        #expect(record["pec_type"] == nil && record["claimed_pec_type"] as? String == "rem-content-consignment-failure")
        let first = try #require(((record["rem"] as? [String: Any])?["evidence"] as? [[String: Any]])?.first)
        #expect((first["signature"] as? [String: Any])?["status"] as? String == "invalid")
        // One line from pec; nothing from libxml2 or xmlsec.
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")

        let untrusted = try PecRun.run(["verify", evidence])
        #expect(untrusted.status == 1 && untrusted.stderr.contains("untrusted"), "\(untrusted.stderr)")
    }

    // MARK: real PEC (../shared/fixtures/pec, read in place; variants are written to a temporary folder)

    /// `shared/fixtures/pec` (``PECFixtureCorpus``).
    static var corpus: URL? { PECFixtureCorpus.directory }

    /// An Aruba acceptance receipt whose signature verifies against the system store (AgID CA1).
    static let certifiedReceipt = "OCA_l10n-italy_ACCETTAZIONE_IT03339130126_00009.eml"

    static func corpusFile(_ name: String) throws -> String {
        try #require(corpus).appendingPathComponent(name).path
    }

    /// The certified receipt with one line of its outer header, which the signature does not cover,
    /// edited by `edit`: the signature stays valid.
    static func variant(_ edit: (String) -> String, named name: String, in directory: URL) throws -> String {
        let original = try String(contentsOfFile: try corpusFile(certifiedReceipt), encoding: .isoLatin1)
        let edited = edit(original)
        try #require(edited != original, "the edit changed nothing")
        let file = directory.appendingPathComponent(name)
        try Data(edited.utf8).write(to: file)
        return file.path
    }

    /// Outer `X-Ricevuta` says avvenuta-consegna, the signed daticert.xml accettazione.
    static func refusedDaticert(in directory: URL) throws -> String {
        try variant(
            { $0.replacingOccurrences(of: "\nX-Ricevuta: accettazione", with: "\nX-Ricevuta: avvenuta-consegna") },
            named: "refused-daticert.eml",
            in: directory
        )
    }

    /// A second boundary parameter on the outer multipart/signed: two MIME readers could disagree.
    static func ambiguousStructure(in directory: URL) throws -> String {
        try variant(
            { text in
                guard let header = text.range(of: "Content-Type: multipart/signed"),
                    let end = text[header.upperBound...].firstIndex(of: "\n")
                else { return text }
                return text.replacingCharacters(in: end..<end, with: "; boundary=\"other\"")
            },
            named: "ambiguous.eml",
            in: directory
        )
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pec-verify-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test(
        "a certified PEC exits 0; a valid signature over a refused daticert or an ambiguous structure exits 1",
        .enabled(if: corpus != nil, "shared fixtures (shared/fixtures/pec) not found")
    )
    func certifiedOnly() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let certified = try PecRun.run(["verify", try Self.corpusFile(Self.certifiedReceipt), "--json"])
        #expect(certified.status == 0, "stderr: \(certified.stderr)")
        #expect(try certified.jsonLines().first?["pec_type"] as? String == "accettazione")

        for (file, claimed) in [
            (try Self.refusedDaticert(in: directory), "avvenuta-consegna"),
            (try Self.ambiguousStructure(in: directory), "accettazione"),
        ] {
            let run = try PecRun.run(["verify", file, "--json"])
            #expect(run.status == 1, "\(file): a file that is not a certified message must not exit 0")
            let record = try #require(try run.jsonLines().first)
            #expect((record["signature"] as? [String: Any])?["status"] as? String == "valid", "\(file)")
            #expect(record["pec_type"] == nil && record["claimed_pec_type"] as? String == claimed, "\(file)")
            #expect(run.stderr.contains("\(file) (claims \(claimed), not certified)"), "\(run.stderr)")
            let text = try PecRun.run(["verify", file])
            #expect(text.status == 1 && text.stderr.hasPrefix("error: 1 of 1 file(s) are not certified PEC or REM"))
        }
    }

    @Test(
        "mixed files: every file reported, in order; exit 1 naming only those not certified",
        .enabled(if: corpus != nil, "shared fixtures (shared/fixtures/pec) not found")
    )
    func mixedFiles() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let certified = try Self.corpusFile(Self.certifiedReceipt)
        let unsigned = try Self.corpusFile("toniorusso_pec-parser_postacert.eml")
        let refused = try Self.refusedDaticert(in: directory)
        let ambiguous = try Self.ambiguousStructure(in: directory)
        let files = [certified, refused, unsigned, ambiguous, certified]
        let run = try PecRun.run(["verify"] + files + ["--json"])
        #expect(run.status == 1)
        let lines = try run.jsonLines()
        #expect(lines.count == files.count + 1, "a record per file, then the error: \(run.stdout)")
        #expect(lines.prefix(files.count).map { $0["file"] as? String } == files)
        #expect(
            lines.prefix(files.count).map { $0["pec_type"] as? String } == [
                "accettazione", nil, nil, nil, "accettazione",
            ]
        )
        let message = try #require((lines.last?["error"] as? [String: Any])?["message"] as? String)
        #expect(message.hasPrefix("3 of 5 file(s) are not certified PEC or REM"), "\(message)")
        #expect(message.contains(refused) && message.contains("\(unsigned) (unsigned)") && message.contains(ambiguous))
        #expect(!message.contains(certified))
        let text = try PecRun.run(["verify"] + files)
        #expect(text.status == 1)
        #expect(text.stdout.components(separatedBy: "\nfile: ").count == files.count, "\(text.stdout)")
    }

    @Test("a file that does not exist, or a directory: an io error, exit 1")
    func missing() throws {
        for path in ["/nonexistent/x.eml", "/tmp"] {
            let run = try PecRun.run(["verify", path, "--json"])
            #expect(run.status == 1)
            #expect(try run.jsonLines().last?["error"] as? [String: Any] != nil, "\(path)")
        }
    }
}
