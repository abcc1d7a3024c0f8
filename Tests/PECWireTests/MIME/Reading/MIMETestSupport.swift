import Foundation

@testable import PECTestSupport
@testable import PECWire

enum MIMETestSupport {
    /// A parser event with body bytes copied, consecutive body chunks of one part joined, so that
    /// different chunkings compare equal.
    enum Event: Equatable, CustomStringConvertible {
        case start([Int], [String], Range<Int>)
        case body([Int], [UInt8])
        case end([Int], Range<Int>)
        case finished

        var description: String {
            switch self {
            case .start(let path, let names, let range): return "start \(path) \(names.count) fields \(range)"
            case .body(let path, let bytes): return "body \(path) \(bytes.count) bytes"
            case .end(let path, let range): return "end \(path) \(range)"
            case .finished: return "finished"
            }
        }
    }

    /// Feeds `raw` in chunks of the given sizes (cycled), collecting normalised events.
    static func events(
        _ raw: [UInt8],
        chunkSizes: [Int],
        options: MIMEStreamParser.Options = MIMEStreamParser.Options()
    ) throws -> [Event] {
        var parser = MIMEStreamParser(options: options)
        var events: [Event] = []
        func drain() throws {
            while let event = try parser.next() {
                switch event {
                case .partStart(let path, let headers, let range):
                    events.append(.start(path, headers.fields.map(\.name), range))
                case .bodyBytes(let path, let bytes):
                    if case .body(let last, let previous) = events.last, last == path {
                        events[events.count - 1] = .body(path, previous + bytes)
                    } else {
                        events.append(.body(path, Array(bytes)))
                    }
                case .partEnd(let path, let range):
                    events.append(.end(path, range))
                case .end:
                    events.append(.finished)
                }
            }
        }
        var offset = 0
        var index = 0
        while offset < raw.count {
            let size = max(1, chunkSizes[index % chunkSizes.count])
            let next = min(raw.count, offset + size)
            try parser.append(raw[offset..<next])
            try drain()
            offset = next
            index += 1
        }
        parser.finish()
        try drain()
        return events
    }

    /// FNV-1a 64-bit, a digest good enough to compare large payloads.
    struct Digest {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        var count = 0
        mutating func update(_ bytes: some Collection<UInt8>) {
            for byte in bytes {
                value = (value ^ UInt64(byte)) &* 0x100_0000_01b3
            }
            count += bytes.count
        }
    }
}

extension MIMETestSupport {
    /// The fuzzer's invariants (Fuzz/MIMEFuzzer.swift), as messages instead of traps: body bytes are
    /// the input bytes at the reported offsets, parts nest, the stream and the tree agree on failure.
    static func invariantViolations(_ input: [UInt8], chunk: Int, options: MIMEStreamParser.Options) -> [String] {
        var violations: [String] = []
        var parser = MIMEStreamParser(options: options)
        var open: [(path: [Int], cursor: Int, streamed: Bool)] = []
        var failed = false
        func drain() throws {
            while let event = try parser.next() {
                switch event {
                case .partStart(let path, _, let range):
                    if range.upperBound > input.count { violations.append("header range \(range) past the end") }
                    open.append((path, range.upperBound, false))
                case .bodyBytes(let path, let slice):
                    guard let last = open.last else {
                        violations.append("body bytes outside a part")
                        continue
                    }
                    if last.path != path { violations.append("body bytes for \(path) inside \(last.path)") }
                    let cursor = last.cursor
                    if slice.isEmpty || cursor + slice.count > input.count
                        || !input[cursor..<(cursor + slice.count)].elementsEqual(slice)
                    {
                        violations.append("body bytes of \(path) at \(cursor) differ from the input")
                    }
                    open[open.count - 1] = (path, cursor + slice.count, true)
                case .partEnd(let path, let range):
                    guard let part = open.popLast() else {
                        violations.append("partEnd \(path) without partStart")
                        continue
                    }
                    if part.path != path { violations.append("partEnd \(path) closes \(part.path)") }
                    if part.streamed, range.upperBound != part.cursor {
                        violations.append("part \(path) ends at \(range.upperBound), streamed up to \(part.cursor)")
                    }
                case .end:
                    if !open.isEmpty { violations.append("end with \(open.count) parts open") }
                }
            }
        }
        do {
            var offset = 0
            while offset < input.count {
                try parser.append(input[offset..<min(input.count, offset + chunk)])
                try drain()
                offset += chunk
            }
            parser.finish()
            try drain()
        } catch {
            failed = true
        }
        do {
            let message = try MIMEMessage(parsing: input, options: options)
            if failed { violations.append("the stream failed, the tree did not") }
            for entity in message.allEntities where entity.headerRange.upperBound != entity.bodyRange.lowerBound {
                violations.append("part \(entity.path): body does not start after the headers")
            }
        } catch {
            if !failed { violations.append("the tree failed, the stream did not") }
        }
        return violations
    }

    /// The limits the fuzzer runs with.
    static var fuzzOptions: MIMEStreamParser.Options {
        var options = MIMEStreamParser.Options()
        options.maxDepth = 12
        options.maxParts = 200
        options.maxHeaderBytes = 2048
        options.maxHeaderFields = 100
        return options
    }
}
