import Foundation
import Testing

@testable import PECWire

/// Raw server bytes captured from the project's Dovecot sandbox (see Transcripts/README.md): every transcript
/// is parsed end to end (whole, byte by byte and in random chunkings) and specific values are checked.
@Suite("Dovecot transcripts")
struct IMAPTranscriptTests {
    static func load(_ name: String) throws -> [UInt8] {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Transcripts")
        )
        return Array(try Data(contentsOf: url))
    }

    static func events(_ name: String) throws -> [IMAP.Response] {
        try IMAPParserDriver.checkResumable(load(name))
    }

    static func tagged(_ events: [IMAP.Response]) -> [IMAP.TaggedResponse] {
        events.compactMap { if case .tagged(let tagged) = $0 { tagged } else { nil } }
    }

    static func untagged(_ events: [IMAP.Response]) -> [IMAP.UntaggedResponse] {
        events.compactMap { if case .untagged(let untagged) = $0 { untagged } else { nil } }
    }

    static func fetches(_ events: [IMAP.Response]) throws -> [IMAP.FetchResponse] {
        var accumulator = IMAP.FetchAccumulator()
        return try events.compactMap { if case .fetch(let event) = $0 { try accumulator.handle(event) } else { nil } }
    }

    @Test(arguments: [
        "01-capability-login", "02-list", "03-status", "04-select", "05-search", "06-fetch-meta", "07-fetch-body",
        "08-store", "09-move", "10-errors-logout", "11-continuations",
    ])
    func everyTranscriptEndsWithATaggedResponse(_ name: String) throws {
        let events = try Self.events(name)
        #expect(!events.isEmpty)
        guard case .tagged = events.last else {
            Issue.record("\(name) does not end with a tagged response")
            return
        }
        // Nothing was skipped as unknown.
        #expect(!Self.untagged(events).contains { if case .other = $0 { true } else { false } })
    }

    @Test func capabilityAndLogin() throws {
        let events = try Self.events("01-capability-login")
        guard case .untagged(.condition(.ok, let greeting)) = events.first,
            case .capability(let preLogin)? = greeting.code
        else {
            Issue.record("no greeting with capabilities")
            return
        }
        #expect(preLogin.contains(.literalPlus) && preLogin.contains(.saslIR) && preLogin.contains(.auth("PLAIN")))
        #expect(greeting.text == "Dovecot (Debian) ready.")
        let capabilities = Self.untagged(events).compactMap { if case .capability(let c) = $0 { c } else { nil } }
        #expect(capabilities.count == 2)
        let postLogin = Set(capabilities[1])
        for expected: IMAP.Capability in [.move, .uidPlus, .specialUse, .condstore, .esearch, .listStatus, .idle] {
            #expect(postLogin.contains(expected))
        }
        #expect(Self.untagged(events).contains(.enabled([.condstore])))
        #expect(Self.untagged(events).contains(.id(["name": "Dovecot"])))
        #expect(
            Self.untagged(events).contains(
                .namespace(
                    .init(personal: [.init(prefix: [], delimiter: UInt8(ascii: "/"))], otherUsers: [], shared: [])
                )
            )
        )
        #expect(Self.tagged(events).map(\.tag) == ["a1", "a2", "a3", "a4", "a5"])
        #expect(Self.tagged(events).allSatisfy { $0.status == .ok })
    }

    @Test func list() throws {
        let events = try Self.events("02-list")
        let lists = Self.untagged(events).compactMap { if case .list(let entry) = $0 { entry } else { nil } }
        #expect(lists.count == 16)
        let names = lists.prefix(8).map(\.name.displayName)
        #expect(
            names == [
                "Archivio", "Archivio/2026", "日本語", "Posta inviata", "Ricevute già lette", "Sent", "Trash", "INBOX",
            ]
        )
        #expect(lists[0].attributes == [.nonExistent])
        #expect(lists[5].attributes == [.sent])
        #expect(lists[7].name.isInbox)
        #expect(lists.allSatisfy { $0.separator == UInt8(ascii: "/") })
        #expect(lists[8].attributes == [.noselect, .hasChildren])
        #expect(lists[13].attributes == [.hasNoChildren, .sent])
    }

    @Test func status() throws {
        let events = try Self.events("03-status")
        let statuses = Self.untagged(events).compactMap { if case .status(let n, let s) = $0 { (n, s) } else { nil } }
        #expect(statuses.count == 2)
        #expect(statuses[0].0 == .inbox)
        #expect(statuses[0].1.messages == 3 && statuses[0].1.recent == 3 && statuses[0].1.uidNext == 4)
        #expect(statuses[0].1.unseen == 1 && statuses[0].1.highestModSeq == 5 && statuses[0].1.size != nil)
        #expect(statuses[0].1.uidValidity != nil)
        #expect(statuses[1].0.displayName == "Ricevute già lette")
        #expect(statuses[1].1.messages == 0 && statuses[1].1.uidNext == 1 && statuses[1].1.recent == nil)
    }

    @Test func select() throws {
        let events = try Self.events("04-select")
        let untagged = Self.untagged(events)
        #expect(untagged.contains(.flags([.answered, .flagged, .deleted, .seen, .draft, "$Forwarded"])))
        #expect(untagged.contains(.condition(.ok, .init(code: .permanentFlags([]), text: "Read-only mailbox."))))
        #expect(untagged.contains(.exists(3)))
        #expect(untagged.contains(.recent(3)))
        #expect(untagged.contains(.condition(.ok, .init(code: .unseen(2), text: "First unseen."))))
        #expect(untagged.contains(.condition(.ok, .init(code: .uidNext(4), text: "Predicted next UID"))))
        #expect(untagged.contains(.condition(.ok, .init(code: .highestModSeq(5), text: "Highest"))))
        #expect(untagged.contains(.condition(.ok, .init(code: .closed, text: "Previous mailbox closed."))))
        #expect(
            untagged.contains(
                .condition(
                    .ok,
                    .init(
                        code: .permanentFlags([.answered, .flagged, .deleted, .seen, .draft, "$Forwarded", .wildcard]),
                        text: "Flags permitted."
                    )
                )
            )
        )
        let validity = untagged.compactMap {
            if case .condition(.ok, let text) = $0, case .uidValidity(let v)? = text.code { v } else { nil }
        }
        #expect(validity.count == 2 && validity[0] == validity[1])
        #expect(Self.tagged(events).map(\.text.code) == [.readOnly, .readWrite])
    }

    @Test func search() throws {
        let events = try Self.events("05-search")
        let searches = Self.untagged(events).compactMap { if case .search(let n, _) = $0 { n } else { nil } }
        #expect(searches == [[1, 2, 3], [2], [1, 3]])
        #expect(
            Self.untagged(events).contains(
                .esearch(.init(tag: "a16", uid: true, min: 1, max: 3, count: 3, all: [1...3]))
            )
        )
        let last = try #require(Self.tagged(events).last)
        #expect(last.status == .no && last.text.code == .badCharset([]))
    }

    @Test func fetchMetadata() throws {
        let fetches = try Self.fetches(try Self.events("06-fetch-meta"))
        #expect(fetches.map(\.uid) == [1, 2, 3])
        #expect(fetches.map(\.sequenceNumber) == [1, 2, 3])
        #expect(fetches[0].flags == [.seen, .recent])
        #expect(fetches[2].flags == [.seen, .recent, "$Forwarded"])
        #expect(fetches[0].rfc822Size == 1004)
        #expect(fetches.allSatisfy { $0.modSeq == 5 })
        #expect(fetches[0].internalDate?.description == "04-Feb-2026 08:15:00 +0000")

        // Message 2: raw UTF-8 literals inside ENVELOPE and BODYSTRUCTURE.
        let envelope = try #require(fetches[1].envelope)
        #expect(envelope.subjectString == "Fattura però € 12,50 \"urgente\"")
        #expect(envelope.from.first?.nameString == "Niccolò È")
        #expect(envelope.from.first?.emailAddress == "niccolo@pec.sandbox")
        #expect(envelope.to.map(\.emailAddress) == ["anna.bianchi@pec.sandbox", "luca.verdi@pec.sandbox"])
        #expect(
            envelope.cc.count == 2 && envelope.cc[0].mailboxString == "undisclosed-recipients"
                && envelope.cc[0].host == nil
        )
        #expect(envelope.messageIDString == "<m2@pec.sandbox>")
        let structure = try #require(fetches[1].bodyStructure)
        let leaves = structure.leafParts
        #expect(leaves.map(\.path) == [[1], [2]])
        #expect(leaves[1].part.filename == imapBytes("fattura-però-€.pdf"))
        #expect(leaves[1].part.disposition?.kind == "attachment")
        #expect(leaves[0].part.kind == .text(lineCount: 0))

        // Message 3: multipart/signed PEC with a message/rfc822 part.
        let pec = try #require(fetches[2].bodyStructure)
        guard case .multipart(let signed) = pec else {
            Issue.record("not multipart")
            return
        }
        #expect(signed.subtype == "signed")
        #expect(signed.parameters.map(\.name) == ["protocol", "micalg", "boundary"])
        guard case .singlepart(let postacert)? = pec.part([1, 3]),
            case .message(let inner, let innerBody, let lines) = postacert.kind
        else {
            Issue.record("no message/rfc822 at 1.3")
            return
        }
        #expect(inner.subjectString == "Prova semplice")
        #expect(lines == 27)
        #expect(postacert.filename == imapBytes("postacert.eml"))
        guard case .singlepart(let innerText) = innerBody else {
            Issue.record("inner body not single")
            return
        }
        #expect(innerText.mediaType == "text/plain" && innerText.size == 790 && innerText.kind == .text(lineCount: 20))
        #expect(pec.part([1, 3, 1]) == innerBody)
        #expect(pec.leafParts.map(\.path) == [[1, 1, 1], [1, 1, 2], [1, 2], [1, 3], [2]])
        if case .singlepart(let daticert)? = pec.part([1, 2]) {
            #expect(daticert.filename == imapBytes("daticert.xml"))
        } else {
            Issue.record("no daticert")
        }
    }

    @Test func fetchBodies() throws {
        let events = try Self.events("07-fetch-body")
        let fetches = try Self.fetches(events)
        #expect(fetches.count == 6)
        let fields = IMAP.SectionSpecifier(
            kind: .headerFields(["FROM", "TO", "SUBJECT", "DATE", "MESSAGE-ID", "X-TRASPORTO"])
        )
        let header2 = try #require(fetches[1].sections[fields])
        #expect(header2.count == 228)
        #expect(String(decoding: header2, as: UTF8.self).contains("Subject: Fattura però € 12,50 \"urgente\"\r\n"))
        #expect(
            fetches[2].sections[fields].map { String(decoding: $0, as: UTF8.self) }?.contains(
                "X-Trasporto: posta-certificata"
            ) == true
        )
        // BODY.PEEK[1]<0.100> comes back as BODY[1]<0>.
        let partial = try #require(fetches[0].sections[.init(part: [1])])
        #expect(partial.count == 100)
        #expect(partial.starts(with: imapBytes("Riga numero 0 del messaggio di prova.\r\n")))
        #expect(
            events.contains(.fetch(.streamingBegin(section: .init(part: [1]), origin: 0, byteCount: 100)))
        )
        // Nested sections of the message/rfc822 part.
        let nested = fetches[3]
        #expect(nested.sections[.init(part: [1, 3], kind: .header)]?.count == 214)
        #expect(nested.sections[.init(part: [1, 3], kind: .text)] == imapBytes("o 0 del messaggio di"))
        #expect(nested.sections[.init(part: [1, 1], kind: .mime)]?.count == 55)
        #expect(nested.sections[.init(part: [2])]?.count == 76)
        // BODY (the non-extensible structure) and BINARY / RFC822.HEADER.
        guard case .multipart(let multipart)? = fetches[4].bodyStructure else {
            Issue.record("no BODY")
            return
        }
        #expect(multipart.subtype == "mixed" && multipart.parameters.isEmpty && multipart.parts.count == 2)
        #expect(fetches[5].sections[.init(part: [1])] == imapBytes("Ciao, ecco la fattura però."))
        #expect(fetches[5].sections[.header]?.count == 324)
    }

    @Test func store() throws {
        let events = try Self.events("08-store")
        let fetches = try Self.fetches(events)
        #expect(fetches.map(\.uid) == [2, 2])
        #expect(fetches[0].modSeq == 7 && fetches[0].flags == [.flagged, .recent, "$Label1"])
        #expect(fetches[1].modSeq == 8 && fetches[1].flags == nil)
        #expect(Self.tagged(events)[2].text.code == .modified(IMAP.UIDSet([1])))
    }

    @Test func move() throws {
        let events = try Self.events("09-move")
        let tagged = Self.tagged(events)
        guard case .copyUID(_, let source, let destination)? = tagged[0].text.code else {
            Issue.record("no COPYUID")
            return
        }
        #expect(source == [1] && destination == [1])
        let untagged = Self.untagged(events)
        guard case .condition(.ok, let moved)? = untagged.first, case .copyUID(_, [2], [1])? = moved.code else {
            Issue.record("no untagged COPYUID")
            return
        }
        #expect(untagged.dropFirst().elementsEqual([.expunge(2), .recent(2)]))
        #expect(tagged.map(\.status) == [.ok, .ok, .ok])
    }

    @Test func errorsAndLogout() throws {
        let events = try Self.events("10-errors-logout")
        let tagged = Self.tagged(events)
        #expect(tagged.map(\.status) == [.no, .no, .bad, .bad, .ok, .ok, .ok])
        #expect(tagged[0].text.text.hasPrefix("Mailbox doesn't exist: Does Not Exist"))
        #expect(tagged[2].text.text.hasPrefix("Error in IMAP command FOO: Unknown command"))
        let envelope = try #require(try Self.fetches(events).first?.envelope)
        #expect(envelope.subjectString == "Fattura però € 12,50 \"urgente\"")
        #expect(Self.untagged(events).contains(.condition(.bye, .init(text: "Logging out"))))
    }

    @Test func continuationsIdleAndSections() throws {
        let events = try Self.events("11-continuations")
        let continuations = events.compactMap { if case .continuation(let text) = $0 { text } else { nil } }
        #expect(continuations == ["", "OK", "idling"])
        let tagged = Self.tagged(events)
        #expect(tagged.map(\.tag) == ["a1", "a2", "a3", "a4", "a5"])
        guard case .capability(let capabilities)? = tagged[0].text.code else {
            Issue.record("no CAPABILITY after AUTHENTICATE")
            return
        }
        #expect(capabilities.contains(.move))
        let fetch = try #require(try Self.fetches(events).first)
        #expect(fetch.uid == 3)
        #expect(fetch.sections[.init(part: [2])] == imapBytes("MIAG"))
        #expect(fetch.sections[.init(part: [9])] == [])
        let inner = try #require(fetch.sections[.init(part: [1, 3, 1])])
        #expect(inner.count == 790)
        #expect(String(decoding: inner, as: UTF8.self).hasSuffix("Riga numero 19 del messaggio di prova.\r\n"))
        #expect(events.contains(.fetch(.streamingBegin(section: .init(part: [2]), origin: 0, byteCount: 4))))
    }
}
