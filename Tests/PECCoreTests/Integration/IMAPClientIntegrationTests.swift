import Foundation
import Logging
import Testing

@testable import PECCore
@testable import PECTestSupport

/// The IMAP client itself against the sandbox's Dovecot: streaming a message, IDLE.
@Suite("IMAP client against the sandbox", .enabled(if: SandboxHarness.isAnnounced, "run through `make test`"))
struct IMAPClientIntegrationTests {
    let sandbox: SandboxHarness
    let corpus: CorpusManifest

    init() throws {
        sandbox = try SandboxHarness()
        corpus = try CorpusManifest.load(user: "archivio", sandbox: sandbox)
    }

    func access(_ user: String) -> MailboxAccess {
        MailboxAccess(
            settings: ConnectionSettings(
                endpoint: ServerEndpoint(host: sandbox.host, port: sandbox.imapsPort),
                caFile: sandbox.caFile,
                timeout: .seconds(10)
            ),
            username: sandbox.address(user),
            password: sandbox.password
        )
    }

    @Test("a whole message streams to a file: exactly RFC822.SIZE bytes, chunk by chunk, not marked read")
    func streamToFile() async throws {
        defer { sandbox.cleanUp() }
        let target = try #require(corpus.messages(in: "INBOX").filter(\.unread).max { $0.size < $1.size })
        let file = sandbox.configHome.appendingPathComponent("message.eml")
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        let (written, chunks) = try await access("archivio").withSession(logger: Logger(label: "test")) { client in
            try await client.open(.inbox, readOnly: true)
            var chunks = 0
            let written = try await client.streamSection(
                uid: IMAP.UID(rawValue: target.uid),
                section: IMAP.SectionSpecifier(part: [], kind: .complete)
            ) { bytes in
                chunks += 1
                try handle.write(contentsOf: bytes)
            }
            return (written, chunks)
        }
        try handle.close()
        #expect(written == target.size)
        #expect(try Data(contentsOf: file).count == target.size)
        #expect(chunks >= 1)
        let still = try sandbox.login("archivio")
        #expect(still.status == 0)
        let row = try sandbox.pec(["list", "--json", "--limit", "0"]).jsonLines().first {
            ($0["id"] as? NSNumber)?.uint32Value == target.uid
        }
        #expect(row?["unread"] as? Bool == true, "streaming must use BODY.PEEK")
    }

    @Test("IDLE ends on time by itself, and early when the server reports a change")
    func idle() async throws {
        defer { sandbox.cleanUp() }
        let logger = Logger(label: "test")
        // Quiet mailbox: IDLE returns after its maximum, through DONE.
        let (quiet, elapsed) = try await access("luca.verdi").withSession(logger: logger) { client in
            try await client.open(.inbox, readOnly: false)
            let started = ContinuousClock.now
            let responses = try await client.idle(maximum: .seconds(1))
            return (responses, ContinuousClock.now - started)
        }
        #expect(quiet.allSatisfy { if case .untagged(.condition(.bye, _)) = $0 { false } else { true } })
        #expect(elapsed >= .seconds(1) && elapsed < .seconds(8), "took \(elapsed)")

        // A flag change made by another session wakes the idling one. `casella` is the mailbox
        // tests may change; this message is touched by no other test (and is put back).
        let casella = try CorpusManifest.load(user: "casella", sandbox: sandbox)
        let inbox = casella.messages(in: "INBOX")
        let target = try #require(
            inbox.dropFirst().dropLast().first { !$0.unread && $0.uid != inbox.first(where: \.unread)?.uid }
        )
        let login = try sandbox.login("casella")
        try #require(login.status == 0)
        let woke = try await access("casella").withSession(logger: logger) { client in
            try await client.open(.inbox, readOnly: false)
            let toggler = Task.detached { [sandbox] in
                try await Task.sleep(for: .milliseconds(300))
                let flag = target.unread ? "mark-read" : "mark-unread"
                let undo = target.unread ? "mark-unread" : "mark-read"
                _ = try sandbox.pec([flag, "\(target.uid)"])
                _ = try sandbox.pec([undo, "\(target.uid)"])
            }
            let startedIdle = ContinuousClock.now
            let responses = try await client.idle(maximum: .seconds(20)) {
                if case .fetch = $0 { true } else { false }
            }
            try await toggler.value
            return (responses, ContinuousClock.now - startedIdle)
        }
        #expect(woke.0.contains { if case .fetch = $0 { true } else { false } })
        #expect(woke.1 < .seconds(15), "IDLE should have ended at the first change, took \(woke.1)")
    }
}
