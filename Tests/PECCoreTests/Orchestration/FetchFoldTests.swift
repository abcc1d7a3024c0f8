import Foundation
import Logging
import Testing

@testable import PECCore
@testable import PECTestSupport

/// The one FETCH fold (``IMAP/FetchAccumulator`` plus ``IMAP/FetchResponse/merging(_:)``) as
/// ``IMAPClient/uidFetch(_:_:)`` uses it, over a scripted server.
@Suite("FETCH fold through the client")
struct FetchFoldTests {
    static func fetch(_ reply: String) async throws -> [IMAP.FetchResponse] {
        var imap = IMAPScript()
        imap.greeting()
        imap.command(startingWith: "UID FETCH", reply.split(separator: "\n").map(String.init))
        imap.logout()
        let connector = ScriptedConnector(imap.steps)
        let result = try await IMAPClient.withConnection(connector.settings(), logger: .init(label: "test")) { client in
            try await client.uidFetch(IMAP.UIDSet([1, 2]), [.uid, .flags, .bodyPeek(.header, range: nil)])
        }
        connector.verify()
        return result
    }

    @Test("NIL sections are NIL, empty ones empty; MODSEQ is kept")
    func nilEmptyAndModSeq() async throws {
        let fetched = try await Self.fetch(
            "* 1 FETCH (UID 1 MODSEQ (12) BODY[HEADER] NIL BODY[1] \"\")\n* 2 FETCH (UID 2 BODY[HEADER] {2}\r\nab)"
        )
        #expect(fetched.map(\.uid) == [1, 2])
        #expect(fetched[0].nilSections == [.header])
        #expect(fetched[0].sections[.header] == nil)
        #expect(fetched[0].sections[IMAP.SectionSpecifier(part: [1])] == [])
        #expect(fetched[0].modSeq?.rawValue == 12)
        #expect(fetched[1].sections[.header] == Array("ab".utf8))
    }

    @Test("split responses merge by UID: later flags and MODSEQ win, first sections stay; others dropped")
    func mergesByUID() async throws {
        let fetched = try await Self.fetch(
            [
                "* 1 FETCH (UID 1 FLAGS () MODSEQ (3) BODY[HEADER] \"h1\")",
                "* 9 FETCH (UID 9 FLAGS (\\Seen))",
                "* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (4) RFC822.SIZE 10 BODY[HEADER] \"other\")",
            ].joined(separator: "\n")
        )
        #expect(fetched.count == 1)
        #expect(fetched[0].flags == [.seen])
        #expect(fetched[0].modSeq?.rawValue == 4)
        #expect(fetched[0].rfc822Size == 10)
        #expect(fetched[0].sections[.header] == Array("h1".utf8))
    }

    @Test func mergingIsPure() {
        let first = IMAP.FetchResponse(sequenceNumber: 1, uid: 5, nilSections: [.header])
        let later = IMAP.FetchResponse(sequenceNumber: 1, uid: 5, sections: [.header: [1]], nilSections: [.text])
        let merged = first.merging(later)
        // Each section's first answer stands, whether bytes or NIL.
        #expect(merged.sections[.header] == nil)
        #expect(merged.nilSections == [.header, .text])
        #expect(merged.uid == 5)
    }
}
