import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

/// `pec doctor` against the sandbox: all pass on a good account, and each broken piece fails on
/// its own check, with its fix, the checks after it skipped.
@Suite("doctor against the sandbox", .enabled(if: SandboxHarness.isAnnounced, "run through `make test`"))
struct DoctorIntegrationTests {
    /// A logged-in sandbox account; its ledger (and login history) in the default place under the test's HOME.
    struct Setup {
        let sandbox: SandboxHarness
        var ledgerDirectory: URL { sandbox.configHome.appendingPathComponent(".local/state/pec") }

        init() throws {
            sandbox = try SandboxHarness()
            let login = try sandbox.login("luca.verdi")
            try #require(login.status == 0, "stderr: \(login.stderr)")
        }

        func doctor(json: Bool = true) throws -> PecRun {
            try sandbox.pec(["doctor", "--timeout", "10"] + (json ? ["--json"] : []))
        }

        /// Rewrites the saved credentials file (kept 0600, or pec refuses it).
        func editCredentials(_ change: (String) throws -> String) throws {
            let text = try String(contentsOf: sandbox.credentialsFile, encoding: .utf8)
            try change(text).write(to: sandbox.credentialsFile, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes(
                [.posixPermissions: 0o600],
                ofItemAtPath: sandbox.credentialsFile.path
            )
        }
    }

    /// The records of a `--json` run, by check id, in order.
    static func records(_ run: PecRun) throws -> [(check: String, record: [String: Any])] {
        try run.jsonLines().map { (try #require($0["check"] as? String), $0) }
    }

    static func record(_ check: String, in run: PecRun) throws -> [String: Any] {
        try #require(try records(run).first { $0.check == check }?.record, "no \(check) in \(run.stdout)")
    }

    static func fixActions(_ record: [String: Any]) -> [String] {
        (record["fix"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
    }

    @Test("a good account: every check ok, or the clock skipped with why; exit 0")
    func allPass() throws {
        let setup = try Setup()
        defer { setup.sandbox.cleanUp() }
        let run = try setup.doctor()
        #expect(run.status == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        let records = try Self.records(run)
        #expect(
            records.map(\.check) == DoctorService.imapChecks + DoctorService.smtpChecks + [
                "credentials", "ledger", "clock",
            ]
        )
        for (check, record) in records where check != "clock" {
            #expect(record["status"] as? String == "ok", "\(check): \(record)")
        }
        let clock = try Self.record("clock", in: run)
        #expect(clock["status"] as? String == "skipped")
        #expect((clock["found"] as? String)?.contains("SMTP greeting") == true)
        let tls = try #require(try Self.record("imap.tls", in: run)["details"] as? [String: Any])
        #expect(tls["tls_version"] as? String == "TLS 1.3" || tls["tls_version"] as? String == "TLS 1.2")
        #expect((tls["certificate_names"] as? [String])?.contains("127.0.0.1") == true)
        let ehlo = try #require(try Self.record("smtp.ehlo", in: run)["details"] as? [String: Any])
        #expect((ehlo["auth_mechanisms"] as? [String])?.contains("PLAIN") == true)
        #expect(!run.stdout.contains("\"\(setup.sandbox.password)\""), "the password must never be shown")

        let text = try setup.doctor(json: false)
        #expect(text.status == 0)
        #expect(text.stdout.contains("✓ imap.login"))
        #expect(text.stdout.contains("no check failed"))
    }

    @Test("a wrong saved password: imap.login and smtp.login fail with `pec auth login`; exit 1")
    func wrongPassword() throws {
        let setup = try Setup()
        defer { setup.sandbox.cleanUp() }
        // The file store's password, replaced by a wrong one encrypted with the same key.
        let keyFile = setup.sandbox.credentialsFile.deletingLastPathComponent().appendingPathComponent("key.bin")
        let fernet = try Fernet(key: try String(contentsOf: keyFile, encoding: .utf8))
        let wrong = try fernet.encrypt(Array("not-the-password".utf8))
        try setup.editCredentials { text in
            text.replacingOccurrences(
                of: #""password_enc" : "[^"]+""#,
                with: "\"password_enc\" : \"\(wrong)\"",
                options: .regularExpression
            )
        }
        let run = try setup.doctor()
        #expect(run.status == 1, "stdout: \(run.stdout)")
        let login = try Self.record("imap.login", in: run)
        #expect(login["status"] as? String == "failed", "\(login)")
        // `auth login` noted the password as accepted: now rejected, it has likely expired.
        #expect(Self.fixActions(login) == ["renew_mail_password"], "\(login)")
        #expect((login["found"] as? String)?.contains("last accepted") == true, "\(login)")
        #expect(try Self.record("imap.folders", in: run)["status"] as? String == "skipped")
        #expect(try Self.record("imap.tls", in: run)["status"] as? String == "ok")
        #expect(try Self.record("smtp.login", in: run)["status"] as? String == "failed")
        #expect(try Self.record("credentials", in: run)["status"] as? String == "ok")
        #expect(!run.stdout.contains("not-the-password"))

        let text = try setup.doctor(json: false)
        #expect(text.stdout.contains("✗ imap.login"))
        #expect(text.stdout.contains("then run `pec auth login --address luca.verdi@pec.sandbox`"), "\(text.stdout)")
    }

    @Test("a certificate for another host: imap.tls fails naming the host, the IMAP checks after it skipped")
    func certificateForAnotherHost() async throws {
        let setup = try Setup()
        defer { setup.sandbox.cleanUp() }
        // The sandbox CA's certificate for localhost only, served on 127.0.0.1.
        let server = try await FakeServer.wrongHostIMAPS(
            certificate: setup.sandbox.directory + "/server-dns-only.pem",
            key: setup.sandbox.directory + "/server.key"
        )
        try setup.editCredentials { text in
            text.replacingOccurrences(of: "\"port\" : \(setup.sandbox.imapsPort)", with: "\"port\" : \(server.port)")
        }
        let run = try setup.doctor()
        await server.close()
        #expect(run.status == 1, "stdout: \(run.stdout)")
        let tls = try Self.record("imap.tls", in: run)
        #expect(tls["status"] as? String == "failed", "\(tls)")
        #expect((tls["found"] as? String)?.contains("not issued for 127.0.0.1: it is for localhost") == true, "\(tls)")
        #expect(Self.fixActions(tls) == ["use_certificate_name"])
        #expect(try Self.record("imap.tcp", in: run)["status"] as? String == "ok")
        for check in ["imap.greeting", "imap.capabilities", "imap.login", "imap.folders"] {
            #expect(try Self.record(check, in: run)["status"] as? String == "skipped", "\(check)")
        }
        #expect(try Self.record("smtp.login", in: run)["status"] as? String == "ok")
    }

    @Test("a certificate that expires in 5 days: imap.tls warns with the date, the checks go on")
    func certificateExpiringSoon() async throws {
        let setup = try Setup()
        defer { setup.sandbox.cleanUp() }
        let certificate = setup.sandbox.configHome.appendingPathComponent("soon.pem").path
        let key = setup.sandbox.configHome.appendingPathComponent("soon.key").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "5", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0)
        let server = try await FakeServer.wrongHostIMAPS(certificate: certificate, key: key)
        try setup.editCredentials { text in
            text.replacingOccurrences(of: "\"port\" : \(setup.sandbox.imapsPort)", with: "\"port\" : \(server.port)")
                .replacingOccurrences(of: setup.sandbox.caFile, with: certificate)
        }
        let run = try setup.sandbox.pec(["doctor", "--json", "--timeout", "3"])
        await server.close()
        let tls = try Self.record("imap.tls", in: run)
        #expect(tls["status"] as? String == "warning", "\(tls)")
        #expect(Self.fixActions(tls) == ["certificate_expires_soon"])
        #expect((tls["found"] as? String)?.contains("expires in less than 14 days") == true)
        #expect(try Self.record("imap.greeting", in: run)["status"] as? String == "ok")
    }

    @Test("a stopped SMTP server: smtp.tcp fails with connection refused and says to check the server")
    func stoppedSMTPServer() throws {
        let setup = try Setup()
        defer { setup.sandbox.cleanUp() }
        let closedPort = try Self.closedLoopbackPort()
        try setup.editCredentials { text in
            text.replacingOccurrences(of: "\"port\" : \(setup.sandbox.smtpsPort)", with: "\"port\" : \(closedPort)")
        }
        let run = try setup.doctor()
        #expect(run.status == 1, "stdout: \(run.stdout)")
        let tcp = try Self.record("smtp.tcp", in: run)
        #expect(tcp["status"] as? String == "failed")
        #expect((tcp["found"] as? String)?.contains("connection refused") == true, "\(tcp)")
        #expect(Self.fixActions(tcp) == ["check_server"])
        for check in ["smtp.tls", "smtp.greeting", "smtp.ehlo", "smtp.login"] {
            #expect(try Self.record(check, in: run)["status"] as? String == "skipped", "\(check)")
        }
        #expect(try Self.record("imap.login", in: run)["status"] as? String == "ok")

        let text = try setup.doctor(json: false)
        #expect(text.stdout.contains("✗ smtp.tcp"))
        #expect(text.stdout.contains("fix: nothing answers at 127.0.0.1:\(closedPort)"))
    }

    @Test("a read-only ledger directory (0500): the ledger check fails even for root")
    func readOnlyLedger() throws {
        let setup = try Setup()
        defer { setup.sandbox.cleanUp() }
        try FileManager.default.createDirectory(at: setup.ledgerDirectory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: setup.ledgerDirectory.path)
        defer {
            try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: setup.ledgerDirectory.path)
        }
        let run = try setup.doctor()
        #expect(run.status == 1, "stdout: \(run.stdout)")
        let ledger = try Self.record("ledger", in: run)
        #expect(ledger["status"] as? String == "failed")
        #expect((ledger["found"] as? String)?.contains("read-only") == true, "\(ledger)")
        #expect(Self.fixActions(ledger) == ["make_writable"])
        #expect(try Self.record("smtp.login", in: run)["status"] as? String == "ok")
    }

    @Test(
        "a PostgreSQL ledger (PEC_LEDGER_URL): checked there, not in the file; a wrong password fails the ledger check",
        .enabled(if: ProcessInfo.processInfo.environment["PEC_TEST_POSTGRES_URL"] != nil, "needs its PostgreSQL")
    )
    func sharedLedger() throws {
        let setup = try Setup()
        defer { setup.sandbox.cleanUp() }
        let url = try #require(ProcessInfo.processInfo.environment["PEC_TEST_POSTGRES_URL"])
        let schema = "doctor_\(UUID().uuidString.prefix(8).lowercased())"
        func doctor(_ ledgerURL: String) throws -> PecRun {
            var environment = setup.sandbox.environment()
            environment["PEC_LEDGER_URL"] = ledgerURL + "?schema=\(schema)"
            return try PecRun.run(["doctor", "--json", "--timeout", "10"], environment: environment)
        }
        let good = try doctor(url)
        #expect(good.status == 0, "stdout: \(good.stdout)")
        let ledger = try Self.record("ledger", in: good)
        #expect((ledger["found"] as? String)?.hasPrefix("postgresql://") == true, "\(ledger)")
        #expect((ledger["found"] as? String)?.contains("schema current") == true, "\(ledger)")
        let password = try #require(URLComponents(string: url)?.password)
        #expect(!good.stdout.contains(password), "the database password is never shown")

        let wrong = try doctor(url.replacingOccurrences(of: ":\(password)@", with: ":not-the-password@"))
        #expect(wrong.status == 1, "stdout: \(wrong.stdout)")
        #expect(try Self.record("ledger", in: wrong)["status"] as? String == "failed")
        #expect(!wrong.stdout.contains("not-the-password"))
    }

    @Test("a password command that fails: credentials fails with its fix, the logins are skipped")
    func failingPasswordCommand() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let passwordFile = sandbox.configHome.appendingPathComponent("password")
        try (sandbox.password + "\n").write(to: passwordFile, atomically: true, encoding: .utf8)
        let login = try sandbox.pec([
            "--json", "auth", "login", "--address", sandbox.address("luca.verdi"), "--imap-host", sandbox.host,
            "--imap-port", "\(sandbox.imapsPort)", "--smtp-host", sandbox.host, "--smtp-port", "\(sandbox.smtpsPort)",
            "--ca-file", sandbox.caFile, "--password-command", "cat \(passwordFile.path)",
        ])
        try #require(login.status == 0, "stderr: \(login.stderr)")
        let good = try sandbox.pec(["doctor", "--json"])
        #expect(good.status == 0, "stdout: \(good.stdout)")
        #expect(
            (try Self.record("credentials", in: good)["found"] as? String)?.contains("password command runs") == true
        )
        #expect(!good.stdout.contains("\"\(sandbox.password)\""))

        try FileManager.default.removeItem(at: passwordFile)
        let run = try sandbox.pec(["doctor", "--json"])
        #expect(run.status == 1)
        let credentials = try Self.record("credentials", in: run)
        #expect(credentials["status"] as? String == "failed", "\(credentials)")
        #expect(Self.fixActions(credentials).contains("fix_password_command"))
        #expect(try Self.record("imap.login", in: run)["status"] as? String == "skipped")
        #expect(try Self.record("smtp.login", in: run)["status"] as? String == "skipped")
    }

    @Test("an IMAP account with STARTTLS: TLS is checked after the upgrade, with its certificate")
    func startTLS() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let port = try #require(ProcessInfo.processInfo.environment["PEC_SANDBOX_IMAP_PORT"])
        let login = try sandbox.login("luca.verdi", extra: ["--imap-port", port, "--imap-security", "starttls"])
        try #require(login.status == 0, "stderr: \(login.stderr)")
        let run = try sandbox.pec(["doctor", "--json"])
        #expect(run.status == 0, "stdout: \(run.stdout)")
        let tls = try Self.record("imap.tls", in: run)
        #expect(tls["status"] as? String == "ok")
        let details = try #require(tls["details"] as? [String: Any])
        #expect((details["certificate"] as? [String: Any])?["subject"] as? String == "CN=localhost", "\(tls)")
        #expect(try Self.record("imap.greeting", in: run)["found"] as? String == "the server greeted before STARTTLS")
    }

    @Test("no saved account: exit 2")
    func noAccount() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let run = try sandbox.pec(["doctor", "--json"])
        #expect(run.status == 2, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
    }

    /// A loopback port nothing listens on: bound, then released.
    static func closedLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
