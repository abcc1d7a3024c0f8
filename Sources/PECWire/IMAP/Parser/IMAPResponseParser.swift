extension IMAP {
    /// A pure, resumable IMAP response parser: append bytes as they arrive, then call ``next()`` until it returns
    /// `nil` (it needs more bytes).
    ///
    /// Feeding the same bytes in any chunking (byte by byte included) yields the same events; only the body
    /// chunks of a streamed section may be cut differently. FETCH body literals are never buffered whole: their
    /// bytes are handed out as ``FetchEvent/streamingBytes(_:)`` as they arrive, so memory stays within
    /// about ``Options/bufferLimit`` plus what the caller appends at once.
    ///
    /// ### Example
    ///     var parser = IMAP.ResponseParser()
    ///     parser.append(Array("* 3 EXISTS\r\na1 OK done\r\n".utf8))
    ///     while let response = try parser.next() { … }   // .untagged(.exists(3)), .tagged(…)
    ///
    /// Design (after apple/swift-nio-imap): a framing-aware driver keeps the bytes and a mode (between responses,
    /// inside FETCH attributes, inside a streamed literal), and runs the ``GrammarParser`` on a ``ParseBuffer``.
    /// When the grammar runs out of bytes it throws the internal ``IncompleteMessage``; the driver restores its
    /// state, returns `nil` and does not try again before a line feed (or the announced literal bytes) arrives,
    /// so byte-by-byte input does not cost quadratic time.
    package struct ResponseParser: Sendable {
        /// Limits against hostile or broken servers.
        package struct Options: Hashable, Sendable {
            /// Maximum bytes of one non-streamed line, its non-body literals included (one FETCH item at a time).
            package var bufferLimit: Int
            /// Maximum size of a literal that is not a streamed body section (ENVELOPE, BODYSTRUCTURE, names…).
            package var literalSizeLimit: Int
            /// Maximum bytes of one ``FetchEvent/streamingBytes(_:)`` event.
            package var streamingChunkSize: Int
            /// Maximum nesting of bodies and parenthesized lists.
            package var maxNesting: Int
            /// Maximum number of UIDs a COPYUID uid-set may expand to (beyond it the code is reported as `.other`).
            package var maxSetExpansion: Int

            package init(
                bufferLimit: Int = 1 << 20,
                literalSizeLimit: Int = 1 << 20,
                streamingChunkSize: Int = 64 << 10,
                maxNesting: Int = 100,
                maxSetExpansion: Int = 1_000_000
            ) {
                self.bufferLimit = bufferLimit
                self.literalSizeLimit = literalSizeLimit
                self.streamingChunkSize = max(1, streamingChunkSize)
                self.maxNesting = maxNesting
                self.maxSetExpansion = maxSetExpansion
            }
        }

        enum Mode: Hashable {
            /// Between responses.
            case response
            /// Inside `* n FETCH (`, before the next attribute or the closing ")".
            case fetchAttributes
            /// Inside a streamed body literal with `remaining` bytes to go.
            case streaming(remaining: Int)
        }

        /// When the last attempt ran out of bytes: what must arrive before trying again.
        enum Wait: Hashable {
            case nothing
            /// A line feed at or after this index.
            case lineFeed(from: Int)
            /// The buffer must reach this index (a literal's payload).
            case bytes(end: Int)
        }

        package let options: Options
        private var buffer: [UInt8] = []
        private var readIndex = 0
        private(set) var mode = Mode.response
        private var wait = Wait.nothing
        private var pending: [Response] = []
        private var failure: ParserError?

        package init(options: Options = .init()) {
            self.options = options
        }

        /// Bytes the parser holds right now (including consumed bytes not yet compacted away); for tests.
        var bufferedByteCount: Int { buffer.count }

        /// Bytes received but not consumed yet.
        package var unconsumedByteCount: Int { buffer.count - readIndex }

        package mutating func append(_ bytes: [UInt8]) {
            buffer.append(contentsOf: bytes)
        }

        package mutating func append(_ bytes: ArraySlice<UInt8>) {
            buffer.append(contentsOf: bytes)
        }

        package mutating func append(_ bytes: some Sequence<UInt8>) {
            buffer.append(contentsOf: bytes)
        }

        /// The next response or FETCH event; `nil` when more bytes are needed.
        ///
        /// - Throws: ``ParserError`` on bytes that break the grammar or a limit; the error is sticky.
        package mutating func next() throws(ParserError) -> Response? {
            if let failure { throw failure }
            if !pending.isEmpty { return pending.removeFirst() }
            if case .streaming(let remaining) = mode {
                return nextStreamingEvent(remaining: remaining)
            }
            guard readIndex < buffer.count, try readyToParse() else { return nil }
            wait = .nothing
            do {
                let (response, newIndex) = try parseStep()
                readIndex = newIndex
                compact()
                return response
            } catch let incomplete as IncompleteMessage {
                if let end = incomplete.requiredEnd {
                    wait = .bytes(end: end)
                } else {
                    wait = .lineFeed(from: buffer.count)
                }
                try checkBufferLimit()
                return nil
            } catch let error as ParserError {
                throw fail(error)
            } catch {
                throw fail(ParserError(hint: "unexpected error \(error)"))
            }
        }

        private mutating func nextStreamingEvent(remaining: Int) -> Response? {
            if remaining == 0 {
                mode = .fetchAttributes
                return .fetch(.streamingEnd)
            }
            let available = buffer.count - readIndex
            guard available > 0 else { return nil }
            let count = min(remaining, available, max(1, options.streamingChunkSize))
            let chunk = Array(buffer[readIndex..<(readIndex + count)])
            readIndex += count
            mode = .streaming(remaining: remaining - count)
            compact()
            return .fetch(.streamingBytes(chunk))
        }

        /// Whether the bytes that arrived since the last incomplete attempt can make a difference.
        private mutating func readyToParse() throws(ParserError) -> Bool {
            switch wait {
            case .nothing:
                return true
            case .bytes(let end):
                if buffer.count >= end { return true }
            case .lineFeed(let from):
                let start = max(from, readIndex)
                if start < buffer.count, buffer[start...].contains(UInt8(ascii: "\n")) { return true }
                wait = .lineFeed(from: buffer.count)
            }
            try checkBufferLimit()
            return false
        }

        private mutating func checkBufferLimit() throws(ParserError) {
            guard buffer.count - readIndex > options.bufferLimit else { return }
            throw fail(
                ParserError(
                    kind: .bufferLimitExceeded,
                    hint: "a response line grew past \(options.bufferLimit) bytes without ending"
                )
            )
        }

        /// One grammar step in the current mode; returns the event and the index after it. The ParseBuffer
        /// (which shares `buffer`) is gone when this returns, so `buffer` can then be mutated without a copy.
        private mutating func parseStep() throws -> (Response, Int) {
            var parseBuffer = ParseBuffer(bytes: buffer, index: readIndex, endIndex: buffer.count, options: options)
            let tracker = StackTracker(limit: options.maxNesting)
            switch mode {
            case .response, .streaming:
                switch try GrammarParser.parseResponse(&parseBuffer, tracker) {
                case .response(let response):
                    return (response, parseBuffer.index)
                case .fetchStart(let number):
                    mode = .fetchAttributes
                    return (.fetch(.start(number)), parseBuffer.index)
                }
            case .fetchAttributes:
                switch try GrammarParser.parseFetchStep(&parseBuffer, tracker) {
                case .attribute(let attribute):
                    return (.fetch(.attribute(attribute)), parseBuffer.index)
                case .streamingLiteral(let section, let origin, let byteCount):
                    mode = .streaming(remaining: byteCount)
                    return (
                        .fetch(.streamingBegin(section: section, origin: origin, byteCount: byteCount)),
                        parseBuffer.index
                    )
                case .quotedBody(let section, let origin, let bytes):
                    if !bytes.isEmpty { pending.append(.fetch(.streamingBytes(bytes))) }
                    pending.append(.fetch(.streamingEnd))
                    return (
                        .fetch(.streamingBegin(section: section, origin: origin, byteCount: bytes.count)),
                        parseBuffer.index
                    )
                case .finish:
                    mode = .response
                    return (.fetch(.finish), parseBuffer.index)
                }
            }
        }

        /// Drops consumed bytes: all of them when everything was read, else when they are the larger half.
        private mutating func compact() {
            if readIndex == buffer.count {
                buffer.removeAll(keepingCapacity: buffer.capacity <= 4 * options.bufferLimit)
                readIndex = 0
            } else if readIndex >= 4096 && readIndex * 2 >= buffer.count {
                buffer.removeFirst(readIndex)
                readIndex = 0
            }
        }

        private mutating func fail(_ error: ParserError) -> ParserError {
            var error = error
            error.line = excerpt()
            failure = error
            pending.removeAll()
            return error
        }

        /// Up to 80 bytes of the response being parsed, printable ASCII only.
        private func excerpt() -> String {
            let end = min(buffer.count, readIndex + 80)
            var text = ""
            for byte in buffer[readIndex..<end] {
                switch byte {
                case 0x20...0x7E: text.append(Character(Unicode.Scalar(byte)))
                case UInt8(ascii: "\r"): text.append("\\r")
                case UInt8(ascii: "\n"): text.append("\\n")
                default: text.append("\u{00B7}")
                }
            }
            if buffer.count - readIndex > 80 { text.append("…") }
            return text
        }
    }
}
