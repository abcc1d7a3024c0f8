import Foundation
import Logging
import Testing

@testable import PECCore
@testable import PECTestSupport

/// `* BYE` in answer to the login is a server going away (Dovecot while it restarts), not a
/// refused password (issue 14, defect 6): only a tagged NO means bad credentials.
@Suite("BYE at login over a scripted server")
struct LoginByeTests {
    static var token: String {
        Data("\0\(IMAPScript.username)\0\(IMAPScript.password)".utf8).base64EncodedString()
    }

    /// Greeting, then the login answered with BYE.
    static func byeAtLogin() -> IMAPScript {
        var imap = IMAPScript()
        imap.greeting()
        imap.client("P\(imap.nextTag) AUTHENTICATE PLAIN \(token)")
        _ = imap.takeTag()
        imap.server("* BYE Server shutting down")
        return imap
    }

    static func access(
        _ connector: ScriptedConnector,
        retry: RetryPolicy = RetryPolicy(maxRetries: 0)
    ) -> MailboxAccess {
        // A saved password: a real rejection would be exit 2, "log in again".
        MailboxAccess(
            settings: connector.settings(),
            username: IMAPScript.username,
            password: IMAPScript.password,
            retry: retry,
            passwordIsSaved: true
        )
    }

    @Test("BYE at login: a retryable network error (exit 1), not a rejected saved password (exit 2)")
    func byeIsANetworkError() async throws {
        let connector = ScriptedConnector(Self.byeAtLogin().steps)

        let error = await #expect(throws: PECError.self) {
            try await MailboxService(access: Self.access(connector)).list(ListRequest())
        }

        connector.verify()
        #expect(error?.kind == .network, "\(String(describing: error))")
        #expect(error?.retryable == true)
        #expect(error?.message.contains("Server shutting down") == true)
        #expect(error?.remedies.isEmpty == true, "no “log in again” for a server restart")
    }

    @Test("BYE at login, then the server is back: the retry lists the folder")
    func byeThenRetry() async throws {
        var working = MailboxOrchestrationTests.examined(1)
        working.command("UID SEARCH 1:1", ["* SEARCH 4"])
        working.command(startingWith: "UID FETCH 4 ", ["* 1 FETCH (UID 4 FLAGS () RFC822.SIZE 9)"])
        working.logout()
        let connector = ScriptedConnector(Self.byeAtLogin().steps, working.steps)
        let access = Self.access(connector, retry: RetryPolicy(maxRetries: 1, baseDelay: .milliseconds(1)))

        let summaries = try await MailboxService(access: access).list(ListRequest())

        connector.verify()
        #expect(summaries.map(\.id) == [4])
    }

    @Test("a tagged NO [AUTHENTICATIONFAILED] still means the saved password is rejected")
    func taggedNoIsStillARejection() async throws {
        var imap = IMAPScript()
        imap.greeting()
        imap.command("AUTHENTICATE PLAIN \(Self.token)", completion: "NO [AUTHENTICATIONFAILED] Authentication failed.")
        let connector = ScriptedConnector(imap.steps)

        let error = await #expect(throws: PECError.self) {
            try await MailboxService(access: Self.access(connector)).list(ListRequest())
        }

        connector.verify()
        #expect(error?.kind == .notAuthenticated)
    }

    @Test(
        "watch: BYE at login, then a session, then BYE in IDLE: it reconnects each time; only a rejected login ends it"
    )
    func watchReconnectsAfterBye() async throws {
        let receipts = try ReceiptLedger()
        // A session that works: the first sync of INBOX finds nothing, then IDLE, ended by a BYE.
        var working = Orchestration.examined(0)
        working.search("UID 1:*", found: [])
        working.client("P\(working.nextTag) IDLE")
        _ = working.takeTag()
        working.server("+ idling")
        working.server("* BYE Server shutting down")
        // The last connection refuses the login: that, and only that, ends the watch.
        var refused = IMAPScript()
        refused.greeting()
        refused.command(
            "AUTHENTICATE PLAIN \(Self.token)",
            completion: "NO [AUTHENTICATIONFAILED] Authentication failed."
        )
        let connector = ScriptedConnector(Self.byeAtLogin().steps, working.steps, refused.steps)
        let service = try receipts.service(connector)
        let request = WatchRequest(ledgerPoll: .seconds(60), maximumBackoff: .milliseconds(5))

        let error = await #expect(throws: PECError.self) {
            try await service.watch(request) { _ in }
        }

        connector.verify()
        #expect(connector.opened.count == 3)
        #expect(error?.kind == .authenticationFailed, "\(String(describing: error))")
    }
}
