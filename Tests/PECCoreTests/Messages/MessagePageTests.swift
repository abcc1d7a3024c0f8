import Testing

@testable import PECCore

@Suite("Pages of messages and bodies cut for a model's context")
struct MessagePageTests {
    func summaries(_ ids: [UInt32]) -> [MessageSummary] {
        ids.map { MessageSummary(id: $0, unread: false, hasAttachments: false) }
    }

    @Test("one more than the limit was fetched: the page keeps the limit and points below its last id")
    func page() {
        let full = MessagePage(summaries([9, 7, 4]), limit: 2)
        #expect(full.messages.map(\.id) == [9, 7])
        #expect(full.nextBeforeID == 7)
        let last = MessagePage(summaries([3, 1]), limit: 2)
        #expect(last.messages.map(\.id) == [3, 1])
        #expect(last.nextBeforeID == nil)
        #expect(MessagePage(summaries([5, 4, 3]), limit: 0).nextBeforeID == nil)
    }

    @Test("before_id bounds the UIDs searched")
    func beforeID() throws {
        #expect(try MailboxService.uidsBefore(nil) == nil)
        #expect(try MailboxService.uidsBefore(1)?.ranges.isEmpty == true)
        #expect(try MailboxService.uidsBefore(10)?.description == "1:9")
        #expect(throws: PECError.self) { try MailboxService.uidsBefore(0) }
    }

    @Test("limitBody cuts text and HTML at the limit, in Unicode scalars, and says how long it was")
    func limitBody() {
        var details = MessageDetails()
        details.body = "ciao\r\nè così" + String(repeating: "x", count: 100)
        details.bodyHTML = "<p>" + String(repeating: "y", count: 10) + "</p>"
        details.limitBody(to: 12)
        #expect(details.body == "ciao\r\nè così")
        #expect(details.bodyHTML == "<p>yyyyyyyyy")
        #expect(details.bodyTruncated == true)
        #expect(details.bodyLength == 112)
        var short = MessageDetails()
        short.body = "breve"
        short.limitBody(to: 12)
        #expect(short.body == "breve" && short.bodyTruncated == nil && short.bodyLength == nil)
    }

    @Test("folders come INBOX first, then by name, whatever order the server listed them in")
    func folderOrder() {
        let names = ["Trash", "archivio/2025", "INBOX", "Sent", "Archivio"]
        let folders = names.map { Folder(name: $0, specialUse: nil, selectable: true) }
        #expect(MailboxService.ordered(folders).map(\.name) == ["INBOX", "Archivio", "archivio/2025", "Sent", "Trash"])
        #expect(MailboxService.ordered(folders.reversed()).map(\.name) == MailboxService.ordered(folders).map(\.name))
    }

    @Test("the kept IMAP session is closed after errors that leave it in an unknown state only")
    func sessionSurvives() {
        #expect(IMAPSessionKeeper.sessionSurvives(PECError(.notFound, "no message")))
        #expect(IMAPSessionKeeper.sessionSurvives(PECError(.server, "NO")))
        #expect(!IMAPSessionKeeper.sessionSurvives(PECError(.server, "BYE", retryable: true)))
        #expect(!IMAPSessionKeeper.sessionSurvives(PECError(.network, "reset", retryable: true)))
        #expect(!IMAPSessionKeeper.sessionSurvives(PECError(.timeout, "slow")))
        #expect(!IMAPSessionKeeper.sessionSurvives(PECError(.malformed, "garbage")))
        #expect(!IMAPSessionKeeper.sessionSurvives(CancellationError()))
    }
}
