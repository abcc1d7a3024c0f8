import Testing

@testable import PECTestSupport
@testable import PECWire

@Suite("Streaming and limits")
struct IMAPStreamingAndLimitsTests {
    @Test func fiveMegabyteBodyIsStreamedWithBoundedMemory() throws {
        let size = 5 * 1024 * 1024
        var message: [UInt8] = []
        message.reserveCapacity(size + 200)
        message += imapBytes("* 1 FETCH (UID 42 BODY[] {\(size)}\r\n")
        for index in 0..<size { message.append(UInt8(truncatingIfNeeded: index % 251)) }
        message += imapBytes(" FLAGS (\\Seen))\r\na1 OK done\r\n")

        var parser = IMAP.ResponseParser()
        var events: [IMAP.Response] = []
        var received = 0
        var checksumOK = true
        var maxBuffered = 0
        var index = 0
        while index < message.count {
            let end = min(index + 1024, message.count)
            parser.append(message[index..<end])
            index = end
            while let event = try parser.next() {
                if case .fetch(.streamingBytes(let chunk)) = event {
                    for byte in chunk {
                        if byte != UInt8(truncatingIfNeeded: received % 251) { checksumOK = false }
                        received += 1
                    }
                } else {
                    events.append(event)
                }
            }
            maxBuffered = max(maxBuffered, parser.bufferedByteCount)
        }
        #expect(received == size)
        #expect(checksumOK)
        #expect(maxBuffered <= 1024 + 64, "the parser held \(maxBuffered) bytes")
        #expect(
            events == [
                .fetch(.start(1)), .fetch(.attribute(.uid(42))),
                .fetch(.streamingBegin(section: .complete, origin: nil, byteCount: size)), .fetch(.streamingEnd),
                .fetch(.attribute(.flags([.seen]))), .fetch(.finish),
                .tagged(.init(tag: "a1", status: .ok, text: .init(text: "done"))),
            ]
        )
    }

    @Test func bodyChunksNeverExceedTheChunkSizeOrTheLiteral() throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 300_000)
        let message = imapBytes("* 1 FETCH (BODY[1] {300000}\r\n") + body + imapBytes(")\r\n* 2 EXISTS\r\n")
        var options = IMAP.ResponseParser.Options()
        options.streamingChunkSize = 65_536
        var parser = IMAP.ResponseParser(options: options)
        parser.append(message)
        var chunks: [Int] = []
        var others: [IMAP.Response] = []
        while let event = try parser.next() {
            if case .fetch(.streamingBytes(let chunk)) = event {
                chunks.append(chunk.count)
            } else {
                others.append(event)
            }
        }
        #expect(chunks.allSatisfy { $0 <= 65_536 })
        #expect(chunks.reduce(0, +) == 300_000)
        #expect(others.last == .untagged(.exists(2)))
    }

    @Test func truncatedInputNeedsMore() throws {
        let full =
            "* 1 FETCH (UID 7 ENVELOPE (\"d\" {4}\r\nSubj NIL NIL NIL NIL NIL NIL NIL NIL) BODY[] {3}\r\nabc)\r\n"
        let data = imapBytes(full)
        for length in 0..<data.count {
            var parser = IMAP.ResponseParser()
            parser.append(data[..<length])
            var events: [IMAP.Response] = []
            while let event = try parser.next() { events.append(event) }
            #expect(events.last != .fetch(.finish), "finished early at \(length)")
        }
    }

    static func firstError(_ input: [UInt8], options: IMAP.ResponseParser.Options = .init()) -> IMAP.ParserError? {
        var parser = IMAP.ResponseParser(options: options)
        parser.append(input)
        do {
            while try parser.next() != nil {}
            return nil
        } catch {
            return error
        }
    }

    @Test(
        "hostile input is an error",
        arguments: [
            ("* 1 FETCH (ENVELOPE (\"d\" {2000000}\r\n", IMAP.ParserError.Kind.literalSizeLimitExceeded),
            ("* 1 FETCH (BODY[] {99999999999999999999}\r\n", .numberOverflow),
            ("* LIST () \"/\" {99999999999999999999}\r\n", .numberOverflow),
            ("* 99999999999 EXISTS\r\n", .numberOverflow),
            ("* 1 FETCH (BODYSTRUCTURE " + String(repeating: "(", count: 10_000) + "\r\n", .tooMuchNesting),
            ("* 1 FETCH (X-UNKNOWN " + String(repeating: "(", count: 10_000) + ")\r\n", .tooMuchNesting),
            ("garbage\r\n", .syntax),
            ("* 1 FETCH (UID x)\r\n", .syntax),
            ("\r\n", .syntax),
            ("* 0 EXPUNGE\r\n", .syntax),
        ]
    )
    func hostile(_ input: String, _ kind: IMAP.ParserError.Kind) {
        let error = Self.firstError(imapBytes(input))
        #expect(error?.kind == kind)
        #expect(error?.hint.isEmpty == false)
        #expect(error?.line.isEmpty == false)
    }

    @Test func nestingAtTheLimitStillParses() throws {
        // 99 nested multiparts around one text part: 100 body levels, exactly maxNesting.
        let leaf = "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)"
        var body = leaf
        for _ in 0..<99 { body = "(" + body + " \"mixed\")" }
        let events = try IMAPParserDriver.parse(
            "* 1 FETCH (BODYSTRUCTURE \(body) X-EXT " + String(repeating: "(", count: 99)
                + String(repeating: ")", count: 99) + ")\r\n"
        )
        guard case .fetch(.attribute(.bodyStructure(let structure)))? = events.dropFirst().first else {
            Issue.record("no body structure")
            return
        }
        #expect(structure.part(Array(repeating: 1, count: 99)) != nil)
        #expect(events.last == .fetch(.finish))
        // One more level is refused.
        let tooDeep = "* 1 FETCH (BODYSTRUCTURE (" + body + " \"mixed\"))\r\n"
        #expect(Self.firstError(imapBytes(tooDeep))?.kind == .tooMuchNesting)
    }

    @Test func deepNestingByteByByteDoesNotCrash() throws {
        let input = imapBytes("* 1 FETCH (BODYSTRUCTURE " + String(repeating: "(", count: 10_000) + "\r\n")
        var parser = IMAP.ResponseParser()
        var thrown: IMAP.ParserError?
        for byte in input {
            parser.append([byte])
            do {
                while try parser.next() != nil {}
            } catch {
                thrown = error
                break
            }
        }
        #expect(thrown?.kind == .tooMuchNesting)
    }

    @Test func endlessLineHitsTheBufferLimit() {
        var options = IMAP.ResponseParser.Options()
        options.bufferLimit = 10_000
        var parser = IMAP.ResponseParser(options: options)
        var thrown: IMAP.ParserError?
        parser.append(imapBytes("* OK "))
        outer: for _ in 0..<200 {
            parser.append([UInt8](repeating: UInt8(ascii: "a"), count: 100))
            do {
                while try parser.next() != nil {}
            } catch {
                thrown = error
                break outer
            }
        }
        #expect(thrown?.kind == .bufferLimitExceeded)
        #expect(parser.unconsumedByteCount <= 10_000 + 100)
    }

    @Test func errorsAreStickyAndCarryAnExcerpt() throws {
        var parser = IMAP.ResponseParser()
        parser.append(imapBytes("* 1 EXISTS\r\nBOGUS LINE\r\n* 2 EXISTS\r\n"))
        #expect(try parser.next() == .untagged(.exists(1)))
        var first: IMAP.ParserError?
        do { _ = try parser.next() } catch { first = error }
        #expect(first?.line.hasPrefix("BOGUS LINE\\r\\n") == true)
        #expect(first?.description.contains("expected OK, NO or BAD") == true)
        #expect(throws: IMAP.ParserError.self) { try parser.next() }
    }

    @Test func randomGarbageNeverCrashes() {
        var generator = SplitMix64(seed: 7)
        let alphabet = imapBytes("* 1FETCH(BODY[]{}\r\n\"\\NIL)~+ 0123456789ENVELOPEUID<>.")
        for _ in 0..<2000 {
            let length = Int.random(in: 0...200, using: &generator)
            let input = (0..<length).map { _ in
                Bool.random(using: &generator)
                    ? alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
                    : UInt8.random(in: 0...255, using: &generator)
            }
            var parser = IMAP.ResponseParser()
            parser.append(input)
            var steps = 0
            do {
                while try parser.next() != nil {
                    steps += 1
                    if steps > 10_000 {
                        Issue.record("parser does not make progress on \(input)")
                        break
                    }
                }
            } catch {}
        }
    }

    @Test func byteByByteLongLineIsLinear() throws {
        // 200 KB of SEARCH results fed one byte at a time: gating on line feeds keeps this fast.
        var line = "* SEARCH"
        for number in 1...30_000 { line += " \(number)" }
        line += "\r\n"
        let events = try IMAPParserDriver.parse(imapBytes(line), chunkSizes: [1])
        guard case .untagged(.search(let numbers, _))? = events.first else {
            Issue.record("no search")
            return
        }
        #expect(numbers.count == 30_000)
    }
}
