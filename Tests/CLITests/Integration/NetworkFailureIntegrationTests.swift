import Foundation
import Testing

@testable import PECTestSupport

/// Servers that misbehave: the right error, in bounded time, and no retry where a retry is pointless.
@Suite("network failures", .enabled(if: SandboxHarness.isAnnounced, "run through `make test`"))
struct NetworkFailureIntegrationTests {
    @Test("a server that never answers: a timeout error, after the retries, within the limit")
    func blackHole() async throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let server = try await FakeServer.blackHole()
        let started = Date()
        let run = try sandbox.pec(
            [
                "auth", "login", "--json", "--verbose", "--address", "x@pec.sandbox", "--imap-host", "127.0.0.1",
                "--imap-port", "\(server.port)", "--smtp-host", "127.0.0.1", "--ca-file", sandbox.caFile,
                "--timeout", "1", "--password-stdin",
            ],
            stdin: "secret\n",
            timeout: 40
        )
        let elapsed = Date().timeIntervalSince(started)
        await server.close()
        #expect(run.status == 1)
        let error = try run.errorObject()
        #expect(error["kind"] as? String == "timeout")
        #expect(error["retryable"] as? Bool == true)
        // 4 attempts of 1 s plus backoff 1 + 2 + 4 s.
        #expect(elapsed < 20, "took \(elapsed) s")
        #expect(elapsed >= 7, "the retries should have waited 1 + 2 + 4 s, took \(elapsed) s")
        #expect(run.stderr.contains("retry 3 of 3"))
        #expect(!run.stderr.contains("secret"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.credentialsFile.path))
    }

    /// An IMAPS server on 127.0.0.1 that logs anyone in and then drips its SEARCH answer, a byte
    /// every 100 ms, for a minute, never ending the line.
    static func drippingIMAP(_ sandbox: SandboxHarness) async throws -> FakeServer {
        try await FakeServer.dripping(
            certificate: sandbox.directory + "/server.pem",
            key: sandbox.directory + "/server.key",
            greeting: .say("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] fake\r\n")
        ) { line in
            let words = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard words.count >= 2 else { return nil }
            let tag = words[0]
            switch words[1].uppercased() {
            case "AUTHENTICATE", "LOGIN":
                return .say("\(tag) OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] logged in\r\n")
            case "EXAMINE", "SELECT":
                return .say(
                    "* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 5] ok\r\n\(tag) OK [READ-ONLY] done\r\n"
                )
            case "UID":
                return .drip("* SEARCH " + String(repeating: "1 ", count: 300), every: .milliseconds(100))
            case "LOGOUT":
                return .say("* BYE bye\r\n\(tag) OK done\r\n")
            default:
                return .say("\(tag) OK done\r\n")
            }
        }
    }

    @Test("an IMAP server dripping a byte at a time: pec list --timeout 1 gives up after the retries, not never")
    func drippingIMAPServer() async throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let server = try await Self.drippingIMAP(sandbox)
        let login = try sandbox.pec(
            [
                "auth", "login", "--json", "--address", "x@pec.sandbox", "--imap-host", "127.0.0.1",
                "--imap-port", "\(server.port)", "--smtp-host", "127.0.0.1", "--ca-file", sandbox.caFile,
                "--password-stdin",
            ],
            stdin: "secret\n",
            timeout: 30
        )
        try #require(login.status == 0, "login failed: \(login.stderr)")
        let started = Date()
        let run = try sandbox.pec(["list", "--json", "--verbose", "--timeout", "1"], timeout: 90)
        let elapsed = Date().timeIntervalSince(started)
        await server.close()
        #expect(run.status == 1, "stderr: \(run.stderr)")
        let error = try run.errorObject()
        #expect(error["kind"] as? String == "timeout")
        #expect(error["retryable"] as? Bool == true)
        // 4 attempts of about 1 s plus backoff 1 + 2 + 4 s; a per-read timeout waited a minute each.
        #expect(elapsed < 30, "took \(elapsed) s")
        #expect(run.stderr.contains("retry 3 of 3"))
    }

    @Test("an SMTP server dripping its greeting: pec send --timeout 1 gives up in bounded time")
    func drippingSMTPServer() async throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let imap = try await Self.drippingIMAP(sandbox)
        let smtp = try await FakeServer.dripping(
            certificate: sandbox.directory + "/server.pem",
            key: sandbox.directory + "/server.key",
            greeting: .drip("220-" + String(repeating: "x", count: 600), every: .milliseconds(100))
        ) { _ in nil }
        let login = try sandbox.pec(
            [
                "auth", "login", "--json", "--address", "x@pec.sandbox", "--imap-host", "127.0.0.1",
                "--imap-port", "\(imap.port)", "--smtp-host", "127.0.0.1", "--smtp-port", "\(smtp.port)",
                "--ca-file", sandbox.caFile, "--password-stdin",
            ],
            stdin: "secret\n",
            timeout: 30
        )
        try #require(login.status == 0, "login failed: \(login.stderr)")
        let started = Date()
        let run = try sandbox.pec(
            [
                "--json", "send", "--to", "anna.bianchi@pec.sandbox", "--subject", "goccia", "--body", "x", "--yes",
                "--timeout", "1",
            ],
            timeout: 90
        )
        let elapsed = Date().timeIntervalSince(started)
        await smtp.close()
        await imap.close()
        #expect(run.status == 1, "stderr: \(run.stderr)")
        let error = try run.errorObject()
        #expect(error["kind"] as? String == "timeout", "stderr: \(run.stderr)")
        #expect(elapsed < 30, "took \(elapsed) s")
    }

    @Test("a certificate for another host: a TLS error at once, no retry")
    func wrongHost() async throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let server = try await FakeServer.wrongHostIMAPS(
            certificate: sandbox.directory + "/server-dns-only.pem",
            key: sandbox.directory + "/server.key"
        )
        let started = Date()
        let run = try sandbox.pec(
            [
                "auth", "login", "--json", "--verbose", "--address", "x@pec.sandbox", "--imap-host", "127.0.0.1",
                "--imap-port", "\(server.port)", "--smtp-host", "127.0.0.1", "--ca-file", sandbox.caFile,
                "--password-stdin",
            ],
            stdin: "secret\n",
            timeout: 30
        )
        let elapsed = Date().timeIntervalSince(started)
        await server.close()
        #expect(run.status == 1)
        let error = try run.errorObject()
        #expect(error["kind"] as? String == "tls")
        #expect(error["retryable"] as? Bool == false)
        #expect((error["message"] as? String)?.contains("certificate") == true)
        #expect(!run.stderr.contains("retry"))
        #expect(elapsed < 5, "took \(elapsed) s")
    }

    @Test("the sandbox certificate without its CA: refused as untrusted, no retry")
    func untrusted() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let run = try sandbox.pec(
            [
                "auth", "login", "--json", "--address", sandbox.address("luca.verdi"), "--imap-host", sandbox.host,
                "--imap-port", "\(sandbox.imapsPort)", "--smtp-host", sandbox.host, "--password-stdin",
            ],
            stdin: sandbox.password + "\n"
        )
        #expect(run.status == 1)
        #expect(try run.errorObject()["kind"] as? String == "tls")
        #expect(run.stderr.contains("--ca-file"))
    }

    @Test("connection refused: a network error naming host and port, not retried")
    func refused() throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let run = try sandbox.pec(
            [
                "auth", "login", "--json", "--address", "x@pec.sandbox", "--imap-host", "127.0.0.1", "--imap-port",
                "1", "--smtp-host", "127.0.0.1", "--password-stdin",
            ],
            stdin: "secret\n",
            timeout: 30
        )
        #expect(run.status == 1)
        let error = try run.errorObject()
        #expect(error["kind"] as? String == "network")
        #expect(error["retryable"] as? Bool == false)
        #expect((error["message"] as? String)?.contains("127.0.0.1:1") == true)
    }

    func loginArguments(port: Int, _ sandbox: SandboxHarness) -> [String] {
        [
            "auth", "login", "--json", "--address", "x@pec.sandbox", "--imap-host", "127.0.0.1", "--imap-port",
            "\(port)", "--imap-security", "starttls", "--smtp-host", "127.0.0.1", "--ca-file", sandbox.caFile,
            "--password-stdin",
        ]
    }

    @Test("STARTTLS: bytes injected after the server's OK are refused, not read as if encrypted")
    func startTLSInjection() async throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let server = try await FakeServer.plainIMAP(greeting: "* OK [CAPABILITY IMAP4rev1 STARTTLS] fake\r\n") {
            $0.hasSuffix("STARTTLS") ? "S0 OK go ahead\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN injected\r\n" : nil
        }
        let run = try sandbox.pec(loginArguments(port: server.port, sandbox), stdin: "secret\n", timeout: 30)
        await server.close()
        #expect(run.status == 1)
        let error = try run.errorObject()
        #expect(error["kind"] as? String == "tls")
        #expect((error["message"] as? String)?.contains("after agreeing to STARTTLS") == true)
    }

    @Test("STARTTLS: a cleartext PREAUTH greeting and a refused STARTTLS are TLS errors")
    func startTLSRefusals() async throws {
        let sandbox = try SandboxHarness()
        defer { sandbox.cleanUp() }
        let preauth = try await FakeServer.plainIMAP(greeting: "* PREAUTH welcome\r\n") { _ in nil }
        let first = try sandbox.pec(loginArguments(port: preauth.port, sandbox), stdin: "secret\n", timeout: 30)
        await preauth.close()
        #expect(first.status == 1)
        #expect(try first.errorObject()["kind"] as? String == "tls")

        let refusing = try await FakeServer.plainIMAP(greeting: "* OK no tls here\r\n") {
            $0.hasSuffix("STARTTLS") ? "S0 BAD unknown command\r\n" : nil
        }
        let second = try sandbox.pec(loginArguments(port: refusing.port, sandbox), stdin: "secret\n", timeout: 30)
        await refusing.close()
        #expect(second.status == 1)
        let error = try second.errorObject()
        #expect(error["kind"] as? String == "tls")
        #expect((error["message"] as? String)?.contains("refused STARTTLS") == true)
    }
}
