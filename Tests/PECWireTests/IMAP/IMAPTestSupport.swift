import Foundation
import Testing

@testable import PECTestSupport
@testable import PECWire

/// A grammar fixture after apple/swift-nio-imap's `IMAPParseFixture`: input, terminator (what must be left
/// unconsumed), expected outcome, and the grammar function under test.
struct IMAPParseFixture<T: Equatable & Sendable>: Sendable, CustomTestStringConvertible {
    enum Expected: Sendable {
        case success(T)
        case incomplete
        case failure
    }

    typealias Parser = @Sendable (inout IMAP.ParseBuffer, IMAP.StackTracker) throws -> T

    var input: [UInt8]
    var terminator: [UInt8]
    var expected: Expected
    var parser: Parser
    var options = IMAP.ResponseParser.Options()
    var sourceLocation: SourceLocation

    init(
        _ input: String,
        _ terminator: String = "\r\n",
        expected: Expected,
        parser: @escaping Parser,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        self.init(
            bytes: Array(input.utf8),
            terminator,
            expected: expected,
            parser: parser,
            sourceLocation: sourceLocation
        )
    }

    init(
        bytes: [UInt8],
        _ terminator: String = "\r\n",
        expected: Expected,
        parser: @escaping Parser,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        self.input = bytes
        self.terminator = Array(terminator.utf8)
        self.expected = expected
        self.parser = parser
        self.sourceLocation = sourceLocation
    }

    var testDescription: String { Self.visible(input) + " ⟂ " + Self.visible(terminator) }

    static func visible(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\r", with: "␍")
            .replacingOccurrences(of: "\n", with: "␊")
    }

    func check() {
        let tracker = IMAP.StackTracker(limit: options.maxNesting)
        switch expected {
        case .success(let value):
            var buffer = IMAP.ParseBuffer(input + terminator, options: options)
            do {
                let parsed = try parser(&buffer, tracker)
                #expect(parsed == value, sourceLocation: sourceLocation)
                #expect(
                    Array(buffer.bytes[buffer.index...]) == terminator,
                    "must stop exactly before the terminator",
                    sourceLocation: sourceLocation
                )
            } catch {
                Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
            }
            // Every strict prefix must be "incomplete" (never a syntax error, never a premature success).
            for length in 0..<input.count {
                var prefix = IMAP.ParseBuffer(Array(input[..<length]), options: options)
                do {
                    let early = try parser(&prefix, tracker)
                    Issue.record("prefix of \(length) bytes parsed early as \(early)", sourceLocation: sourceLocation)
                } catch is IMAP.IncompleteMessage {
                    #expect(prefix.index == 0, "incomplete must restore the buffer", sourceLocation: sourceLocation)
                } catch {
                    Issue.record("prefix of \(length) bytes: \(error)", sourceLocation: sourceLocation)
                }
            }
        case .incomplete:
            var buffer = IMAP.ParseBuffer(input, options: options)
            #expect(throws: IMAP.IncompleteMessage.self, sourceLocation: sourceLocation) {
                try parser(&buffer, tracker)
            }
            #expect(buffer.index == 0, sourceLocation: sourceLocation)
        case .failure:
            var buffer = IMAP.ParseBuffer(input + terminator, options: options)
            #expect(throws: IMAP.ParserError.self, sourceLocation: sourceLocation) {
                try parser(&buffer, tracker)
            }
        }
    }
}

enum IMAPParserDriver {
    /// Feeds `bytes` in the given chunk sizes (cycled), draining the parser after each chunk.
    static func parse(
        _ bytes: [UInt8],
        chunkSizes: [Int] = [Int.max],
        options: IMAP.ResponseParser.Options = .init()
    ) throws -> [IMAP.Response] {
        var parser = IMAP.ResponseParser(options: options)
        var events: [IMAP.Response] = []
        var index = 0
        var chunk = 0
        while index < bytes.count {
            let size = max(1, min(chunkSizes[chunk % chunkSizes.count], bytes.count - index))
            parser.append(bytes[index..<(index + size)])
            index += size
            chunk += 1
            while let event = try parser.next() { events.append(event) }
        }
        while let event = try parser.next() { events.append(event) }
        return events
    }

    static func parse(_ text: String, options: IMAP.ResponseParser.Options = .init()) throws -> [IMAP.Response] {
        try parse(Array(text.utf8), options: options)
    }

    /// Merges consecutive body chunks, so that differently chunked runs compare equal.
    static func normalize(_ events: [IMAP.Response]) -> [IMAP.Response] {
        var result: [IMAP.Response] = []
        for event in events {
            if case .fetch(.streamingBytes(let bytes)) = event,
                case .fetch(.streamingBytes(let previous))? = result.last
            {
                result[result.count - 1] = .fetch(.streamingBytes(previous + bytes))
            } else {
                result.append(event)
            }
        }
        return result
    }

    /// Checks that byte-by-byte and several random chunkings give the same (normalized) events as one chunk.
    static func checkResumable(
        _ bytes: [UInt8],
        options: IMAP.ResponseParser.Options = .init(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [IMAP.Response] {
        let whole = normalize(try parse(bytes, options: options))
        let byteByByte = normalize(try parse(bytes, chunkSizes: [1], options: options))
        #expect(byteByByte == whole, "byte-by-byte differs", sourceLocation: sourceLocation)
        var generator = SplitMix64(seed: UInt64(bytes.count))
        for _ in 0..<5 {
            let sizes = (0..<16).map { _ in Int.random(in: 1...64, using: &generator) }
            let chunked = normalize(try parse(bytes, chunkSizes: sizes, options: options))
            #expect(chunked == whole, "chunking \(sizes) differs", sourceLocation: sourceLocation)
        }
        return whole
    }
}

func imapBytes(_ string: String) -> [UInt8] { Array(string.utf8) }
