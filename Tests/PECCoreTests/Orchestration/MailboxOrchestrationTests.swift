import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

/// `list`, `folders` and `get` over a scripted IMAP server: the whole use-case (session, login,
/// EXAMINE, SEARCH, FETCH, the fold, the reading) without Dovecot.
@Suite("Mailbox use-cases over a scripted server")
struct MailboxOrchestrationTests {
    static let fields = "HEADER.FIELDS (\(MessageSummary.headerFields.map { $0.uppercased() }.joined(separator: " ")))"
    static let listHeaders = "BODY.PEEK[\(fields)]"

    static func examined(_ count: Int) -> IMAPScript {
        Orchestration.examined(count, uidValidity: 1_700_000_000, uidNext: 10)
    }

    @Test func listReadsTheNewestSummaries() async throws {
        var imap = Self.examined(3)
        imap.command("UID SEARCH 2:3", ["* SEARCH 7 9"], completion: "OK Search completed.")
        let header7 = Orchestration.headers([
            "Date: Mon, 2 Feb 2026 10:00:00 +0100", "From: anna@pec.example.it", "Subject: Fattura",
        ])
        let header9 = Orchestration.headers([
            "Subject: ACCETTAZIONE: Fattura", "X-Ricevuta: accettazione", "From: posta-certificata@pec.example.it",
        ])
        let structure = "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL)"
        var fetch = Array(
            ("* 2 FETCH (UID 7 FLAGS (\\Seen) INTERNALDATE \"02-Feb-2026 09:00:00 +0000\" RFC822.SIZE 1004 "
                + "BODYSTRUCTURE \(structure) BODY[\(Self.fields)] ").utf8
        )
        fetch += Orchestration.literal(header7) + Array(")\r\n".utf8)
        // Split over two responses, as servers may: the fold merges them by UID.
        fetch += Array("* 3 FETCH (UID 9 FLAGS () RFC822.SIZE 2262)\r\n".utf8)
        fetch += Array("* 3 FETCH (UID 9 BODY[\(Self.fields)] ".utf8)
        fetch += Orchestration.literal(header9) + Array(")\r\n".utf8)
        // Unsolicited, for a UID not asked for: ignored.
        fetch += Array("* 1 FETCH (UID 2 FLAGS (\\Seen))\r\n".utf8)
        imap.client(
            "P\(imap.nextTag) UID FETCH 7,9 (UID FLAGS INTERNALDATE RFC822.SIZE BODYSTRUCTURE \(Self.listHeaders))"
        )
        imap.server(bytes: fetch + Array("\(imap.takeTag()) OK Fetch completed.\r\n".utf8))
        imap.logout()
        let connector = ScriptedConnector(imap.steps)

        let summaries = try await Orchestration.mailbox(connector).list(ListRequest(limit: 2))

        connector.verify()
        #expect(summaries.map(\.id) == [9, 7])
        #expect(summaries[0].pecType == .accettazione)
        #expect(summaries[0].unread)
        #expect(summaries[0].size == 2262)
        #expect(summaries[1].subject == "Fattura")
        #expect(summaries[1].from == "anna@pec.example.it")
        #expect(summaries[1].unread == false)
        #expect(summaries[1].date == "2026-02-02T10:00:00+01:00")
    }

    @Test func foldersReplayDovecotsListTranscript() async throws {
        let transcript = try ServerTranscript.named("02-list")
        var imap = IMAPScript()
        imap.greeting(capabilities: IMAPScript.capabilities + " SPECIAL-USE LIST-EXTENDED")
        imap.login(capabilities: IMAPScript.capabilities + " SPECIAL-USE LIST-EXTENDED")
        imap.command("LIST \"\" \"*\" RETURN (SPECIAL-USE)", replay: transcript.responses[0])
        imap.logout()
        let connector = ScriptedConnector(imap.steps)

        let folders = try await Orchestration.mailbox(connector).folders(counts: false)

        connector.verify()
        #expect(folders.first?.name == "INBOX")
        #expect(folders.contains { $0.name == "Ricevute già lette" })
        #expect(folders.contains { $0.name == "Archivio/2026" })
    }

    @Test(
        "get --verify of a real Aruba delivery receipt: streamed, classified, signature valid through the AgID CA",
        .enabled(if: SignatureFixtures.corpusAvailable, "shared fixtures (shared/fixtures/pec) not found")
    )
    func getVerifiesARealReceipt() async throws {
        let receipt = try SignatureFixtures.corpus("OCA_l10n-italy_CONSEGNA_IT03339130126_00009.eml")
        var imap = Self.examined(1)
        imap.command("UID SEARCH UID 5", ["* SEARCH 5"])
        imap.client("P\(imap.nextTag) UID FETCH 5 (UID BODY.PEEK[])")
        imap.server(
            bytes: Orchestration.wholeMessage(receipt, uid: 5) + Array("\(imap.takeTag()) OK Fetch completed.\r\n".utf8)
        )
        imap.logout()
        // Small reads, so the literal arrives in many pieces as it does from a real server.
        let stream = ScriptedStream(imap.steps, readSize: 4096)
        let connector = ScriptedConnector([stream])

        let details = try await Orchestration.mailbox(connector).get(
            GetRequest(id: 5, options: MessageReader.Options(certification: true, signature: true))
        )

        connector.verify()
        #expect(details.id == 5)
        #expect(details.pecType == .avvenutaConsegna)
        #expect(details.signature?.status == .valid)
        #expect(details.pecCert?.identificativo != nil)
    }

    @Test func getOfAMissingMessageIsNotFound() async throws {
        var imap = Self.examined(1)
        imap.command("UID SEARCH UID 42", ["* SEARCH"])
        // A use-case that fails leaves without LOGOUT: the connection is just closed.
        let connector = ScriptedConnector(imap.steps)

        let error = await #expect(throws: PECError.self) {
            try await Orchestration.mailbox(connector).get(GetRequest(id: 42))
        }

        connector.verify()
        #expect(error?.kind == .notFound)
    }
}
