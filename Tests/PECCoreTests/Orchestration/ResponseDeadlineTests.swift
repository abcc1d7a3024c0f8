import Foundation
import Logging
import Testing

@testable import PECCore
@testable import PECTestSupport

/// A server that drips its answer cannot hold a command past its timeout (issue 14, defect 4),
/// while a large answer arriving steadily is never cut off.
@Suite("Response deadlines over a scripted server")
struct ResponseDeadlineTests {
    /// Scripted streams with a short timeout: the drips below really wait.
    static func settings(_ connector: ScriptedConnector, timeout: Duration) -> ConnectionSettings {
        var base = ScriptedStream.defaultSettings
        base.timeout = timeout
        return connector.settings(base)
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    @Test("the deadline: the timeout, plus 1 s for every 4 KiB received")
    func arithmetic() {
        let start = ContinuousClock.now
        var deadline = ResponseDeadline(.seconds(2), from: start)
        #expect(deadline.remaining(at: start + .milliseconds(500)) == .milliseconds(1500))
        #expect(deadline.remaining(at: start + .seconds(2)) == nil)
        deadline.received(ResponseDeadline.minimumRate)
        #expect(deadline.remaining(at: start + .seconds(2)) == .seconds(1))
        deadline.received(ResponseDeadline.minimumRate / 2)
        #expect(deadline.remaining(at: start + .seconds(3)) == .milliseconds(500))
        #expect(deadline.remaining(at: start + .milliseconds(3500)) == nil)
        #expect(deadline.receivedByteCount == ResponseDeadline.minimumRate * 3 / 2)
    }

    @Test("bytes that came in time are read even when the reading task resumes after the deadline")
    func lateResumeIsNotASlowServer() async throws {
        // 40 bytes, 4 every 10 ms: all of it arrives within 100 ms, well inside the 200 ms deadline.
        let payload = Array(String(repeating: "0123456789", count: 4).utf8)
        let stream = ScriptedStream([.drip(payload, chunk: 4, every: .milliseconds(10))])
        var deadline = ResponseDeadline(.milliseconds(200))
        var read = Array(try await stream.read(before: &deadline).readableBytesView)
        // The task is busy elsewhere (a loaded process) until long after the deadline.
        try await Task.sleep(for: .milliseconds(400))
        #expect(deadline.remaining() == nil)
        while read.count < payload.count {
            read += try await stream.read(before: &deadline).readableBytesView
        }
        #expect(read == payload)
    }

    @Test("an IMAP server dripping a FETCH one byte at a time: a retryable timeout after about the timeout")
    func imapDrip() async throws {
        var imap = Orchestration.examined(1)
        imap.command("UID SEARCH 1:1", ["* SEARCH 4"])
        imap.step(.clientLine(prefix: Array("\(imap.takeTag()) UID FETCH 4 ".utf8)))
        // Every byte well within the timeout of each read, but the response never completes:
        // 12 000 bytes at 10 ms would hold a per-read timeout for 2 minutes.
        let endless =
            Array("* 1 FETCH (UID 4 FLAGS () RFC822.SIZE 9 ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 12_000)
        imap.step(.drip(endless, chunk: 1, every: .milliseconds(10)))
        let connector = ScriptedConnector(imap.steps)
        let access = MailboxAccess(
            settings: Self.settings(connector, timeout: .milliseconds(500)),
            username: IMAPScript.username,
            password: IMAPScript.password,
            retry: RetryPolicy(maxRetries: 0),
            passwordIsSaved: false
        )

        let started = ContinuousClock.now
        let error = await #expect(throws: PECError.self) {
            try await MailboxService(access: access).list(ListRequest())
        }
        let elapsed = Self.seconds(since: started)

        #expect(error?.kind == .timeout, "\(String(describing: error))")
        #expect(error?.retryable == true)
        #expect(error?.message.contains("did not finish its answer") == true, "\(String(describing: error))")
        #expect(elapsed < 60, "took \(elapsed) s")
        #expect(connector.opened.first?.mismatches == [])
    }

    @Test("an SMTP server dripping its EHLO reply: a retryable timeout after about the timeout")
    func smtpDrip() async throws {
        var smtp = SMTPScript()
        smtp.server("220 smtp.pec.sandbox ESMTP ready")
        smtp.client("EHLO localhost")
        let endless = Array("250-smtp.pec.sandbox\r\n250-".utf8) + Array(repeating: UInt8(ascii: "x"), count: 12_000)
        smtp.step(.drip(endless, chunk: 1, every: .milliseconds(10)))
        let connector = ScriptedConnector(smtp.steps)
        let settings = Self.settings(connector, timeout: .milliseconds(500))

        let started = ContinuousClock.now
        let error = await #expect(throws: PECError.self) {
            try await SMTPClient.withConnection(settings, logger: Logger(label: "test")) { _ in }
        }
        let elapsed = Self.seconds(since: started)

        #expect(error?.kind == .timeout, "\(String(describing: error))")
        #expect(error?.retryable == true)
        #expect(elapsed < 60, "took \(elapsed) s")
        #expect(connector.opened.first?.mismatches == [])
    }

    @Test("a message far larger than the timeout allows at once, arriving steadily: read whole")
    func steadyLargeBody() async throws {
        // 1 MiB: the first 64 KiB at once, then 64 KiB every 100 ms (640 KiB/s), 1.5 s in all,
        // past the 1 s timeout; each read allows 16 s more, so a loaded machine does not matter.
        let body = Array(
            ("From: a@pec.example.it\r\nSubject: grande\r\n\r\n" + String(repeating: "riga di testo\r\n", count: 69_905))
                .utf8
        )
        var imap = Orchestration.examined(1)
        imap.command("UID SEARCH UID 5", ["* SEARCH 5"])
        imap.client("P\(imap.nextTag) UID FETCH 5 (UID BODY.PEEK[])")
        let response =
            Orchestration.wholeMessage(body, uid: 5) + Array("\(imap.takeTag()) OK Fetch completed.\r\n".utf8)
        imap.server(bytes: Array(response[..<65_536]))
        imap.step(.drip(Array(response[65_536...]), chunk: 65_536, every: .milliseconds(100)))
        imap.logout()
        let connector = ScriptedConnector(imap.steps)
        let access = MailboxAccess(
            settings: Self.settings(connector, timeout: .seconds(1)),
            username: IMAPScript.username,
            password: IMAPScript.password,
            retry: RetryPolicy(maxRetries: 0),
            passwordIsSaved: false
        )

        let details = try await MailboxService(access: access).get(GetRequest(id: 5))

        connector.verify()
        #expect(details.subject == "grande")
        #expect(details.body?.contains("riga di testo") == true)
    }
}
