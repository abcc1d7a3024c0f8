import Foundation

/// Why a message was refused. Limits protect against messages built to explode.
package enum MIMEError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A header block (of the message or of a part) is longer than the limit.
    case headerTooLarge(offset: Int, limit: Int)
    /// A header block has more fields than the limit.
    case tooManyHeaderFields(offset: Int, limit: Int)
    /// Multiparts / embedded messages nested deeper than the limit.
    case nestingTooDeep(offset: Int, limit: Int)
    /// More parts than the limit.
    case tooManyParts(offset: Int, limit: Int)
    /// No part has the requested path.
    case partNotFound(path: [Int])
    /// `append` after `finish`.
    case appendAfterFinish

    package var description: String {
        switch self {
        case .headerTooLarge(let offset, let limit):
            return "MIME: header block at byte \(offset) is larger than the limit of \(limit) bytes"
        case .tooManyHeaderFields(let offset, let limit):
            return "MIME: header block at byte \(offset) has more than \(limit) fields"
        case .nestingTooDeep(let offset, let limit):
            return "MIME: parts nested deeper than \(limit) levels (at byte \(offset))"
        case .tooManyParts(let offset, let limit):
            return "MIME: message has more than \(limit) parts (at byte \(offset))"
        case .partNotFound(let path):
            return "MIME: no part \(path.isEmpty ? "[]" : path.map(String.init).joined(separator: "."))"
        case .appendAfterFinish:
            return "MIME: bytes appended after the end of input"
        }
    }
}

/// What the streaming parser reports. Offsets are absolute byte offsets in the whole input.
///
/// Part paths follow IMAP numbering: `[]` is the message itself, `[1, 2]` the second child of the
/// first child. The message inside a `message/rfc822` part at path P gets path P when it is a
/// multipart (its children are P.1, P.2, ...) and P.1 when it is a single part — so for embedded
/// multiparts two nested `partStart`s carry the same path: the message/rfc822 part, then its message.
package enum MIMEStreamEvent: Sendable, Equatable {
    /// A part's header block is complete. `headerRange` covers the header lines and the empty line.
    case partStart(path: [Int], headers: HeaderFields, headerRange: Range<Int>)
    /// Raw body bytes of a leaf part (still transfer-encoded), in order, as they arrive.
    case bodyBytes(path: [Int], bytes: ArraySlice<UInt8>)
    /// A part is complete. `bodyRange` is its body (without the line end that belongs to the next
    /// boundary); the exact raw part is `headerRange.lowerBound ..< bodyRange.upperBound`.
    case partEnd(path: [Int], bodyRange: Range<Int>)
    /// The input is finished and every part was closed.
    case end
}

/// A push parser for MIME messages (RFC 5322 + RFC 2045/2046): append bytes in any chunking, pull
/// events with `next()`. Memory stays bounded by a header block plus a boundary-length tail: body
/// bytes are handed out as soon as they cannot be the start of a boundary line.
///
/// Lenient as real mail needs: CRLF or bare LF line ends, transport padding after boundaries,
/// preamble and epilogue ignored, missing close boundaries (a boundary of an enclosing multipart or
/// the end of input closes whatever is open), parts without headers.
public struct MIMEStreamParser: Sendable {
    public struct Options: Sendable {
        package var maxHeaderBytes = 256 * 1024
        package var maxHeaderFields = 2000
        package var maxDepth = 32
        package var maxParts = 5000
        public init() {}
    }

    package let options: Options

    private enum Phase: Sendable {
        /// Collecting the header block; `scan` is the next line start to look at.
        case headers(scan: Int, fields: Int)
        case leaf
        case multipart(boundary: [UInt8], children: Int, inEpilogue: Bool)
        /// message/rfc822: its single child is the embedded message.
        case message
    }

    private struct Frame: Sendable {
        var path: [Int]
        var headerStart: Int
        var bodyStart: Int
        var phase: Phase
        /// Child of a message/rfc822 part: its path depends on whether it is a multipart.
        var embeddedIn: [Int]?
        /// Children of multipart/digest default to message/rfc822.
        var inDigest: Bool
        /// A multipart/digest: its children default to message/rfc822.
        var isDigest = false
    }

    private var buffer: [UInt8] = []
    /// Absolute offset of `buffer[0]`.
    private var base = 0
    /// Absolute offset of the first byte not yet handed out or skipped.
    private var position = 0
    private var inputFinished = false
    private var frames: [Frame] = []
    private var events: [MIMEStreamEvent] = []
    private var eventIndex = 0
    private var partCount = 0
    private var done = false
    private var failure: MIMEError?
    /// `position` is at a line start not yet checked for a boundary.
    private var atLineStart = true
    /// In a header block: no LF before this offset on the current line.
    private var headerSearchedUpTo = 0
    /// Discarding the rest of a boundary line (transport padding).
    private var skippingLine = false
    /// "--" + boundary of every multipart still looking for its boundaries, outermost first.
    private var activeBoundaries: [(frame: Int, marker: [UInt8])] = []

    package init(options: Options = Options()) {
        self.options = options
        frames = [Frame(path: [], headerStart: 0, bodyStart: 0, phase: .headers(scan: 0, fields: 0), inDigest: false)]
    }

    /// Bytes held by the parser, not yet handed out (for tests of bounded buffering).
    var bufferedByteCount: Int { buffer.count - (position - base) }
    /// Total bytes appended so far.
    package var inputLength: Int { base + buffer.count }

    package mutating func append(_ bytes: some Collection<UInt8>) throws {
        if let failure { throw failure }
        guard !inputFinished else { throw MIMEError.appendAfterFinish }
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// No more input: what is open is closed at the end.
    package mutating func finish() {
        inputFinished = true
    }

    /// The next event, or nil when more input is needed (or after `.end`).
    package mutating func next() throws -> MIMEStreamEvent? {
        if let failure { throw failure }
        while eventIndex == events.count {
            events.removeAll(keepingCapacity: true)
            eventIndex = 0
            if done { return nil }
            do {
                guard try step() else { return nil }
            } catch let error as MIMEError {
                failure = error
                throw error
            }
        }
        let event = events[eventIndex]
        events[eventIndex] = .end
        eventIndex += 1
        return event
    }

    private mutating func compact() {
        let consumed = position - base
        guard consumed > 0 else { return }
        // Header blocks are kept whole until complete.
        var keepFrom = position
        if let top = frames.last, case .headers = top.phase, top.headerStart >= 0 {
            keepFrom = min(keepFrom, top.headerStart)
        }
        let drop = keepFrom - base
        guard drop > 0 else { return }
        buffer.removeFirst(drop)
        base += drop
    }

    private var end: Int { base + buffer.count }

    @inline(__always) private func byte(_ absolute: Int) -> UInt8 { buffer[absolute - base] }

    private func findLF(from absolute: Int) -> Int? {
        guard absolute < end else { return nil }
        return buffer.withUnsafeBufferPointer { pointer -> Int? in
            let start = pointer.baseAddress! + (absolute - base)
            guard let found = memchr(start, 0x0A, end - absolute) else { return nil }
            return absolute + (UnsafeRawPointer(found) - UnsafeRawPointer(start))
        }
    }

    private enum Delimiter {
        case none, needMore
        case found(frame: Int, close: Bool, after: Int)
    }

    /// Is there a boundary line of an open multipart at `lineStart`?
    private func delimiter(at lineStart: Int) -> Delimiter {
        guard !activeBoundaries.isEmpty else { return .none }
        let available = end - lineStart
        if available <= 0 { return inputFinished ? .none : .needMore }
        if byte(lineStart) != UInt8(ascii: "-") { return .none }
        var undecided = false
        for (frame, marker) in activeBoundaries.reversed() {
            let compared = min(available, marker.count)
            var matches = true
            for offset in 0..<compared where byte(lineStart + offset) != marker[offset] {
                matches = false
                break
            }
            guard matches else { continue }
            if compared < marker.count {
                if !inputFinished { undecided = true }
                continue
            }
            let after = lineStart + marker.count
            if after >= end {
                if inputFinished { return .found(frame: frame, close: false, after: after) }
                undecided = true
                continue
            }
            let next = byte(after)
            if next == UInt8(ascii: "-") {
                if after + 1 >= end {
                    if inputFinished { continue }
                    undecided = true
                    continue
                }
                if byte(after + 1) == UInt8(ascii: "-") { return .found(frame: frame, close: true, after: after + 2) }
                continue
            }
            if next == 0x20 || next == 0x09 || next == 0x0D || next == 0x0A {
                return .found(frame: frame, close: false, after: after)
            }
        }
        return undecided ? .needMore : .none
    }

    /// Where the line end before `lineStart` begins (it belongs to the boundary), not before `floor`.
    private func lineEndStart(before lineStart: Int, floor: Int) -> Int {
        var start = lineStart
        if start - 1 >= floor, byte(start - 1) == 0x0A { start -= 1 }
        if start - 1 >= floor, byte(start - 1) == 0x0D { start -= 1 }
        return start
    }

    private mutating func rebuildBoundaries() {
        activeBoundaries = []
        for (index, frame) in frames.enumerated() {
            if case .multipart(let boundary, _, let inEpilogue) = frame.phase, !inEpilogue {
                activeBoundaries.append((index, [0x2D, 0x2D] + boundary))
            }
        }
    }

    /// Makes progress; false when more input is needed.
    private mutating func step() throws -> Bool {
        if skippingLine {
            if let lf = findLF(from: position) {
                position = lf + 1
                skippingLine = false
                atLineStart = true
                if let top = frames.indices.last, frames[top].headerStart < 0 {
                    frames[top].headerStart = position
                    frames[top].phase = .headers(scan: position, fields: 0)
                }
            } else {
                position = end
                guard inputFinished else { return false }
                skippingLine = false
                if let top = frames.indices.last, frames[top].headerStart < 0 {
                    frames[top].headerStart = position
                    frames[top].phase = .headers(scan: position, fields: 0)
                }
            }
            return true
        }
        guard let top = frames.indices.last else {
            events.append(.end)
            done = true
            return true
        }
        switch frames[top].phase {
        case .headers(let scan, let fields):
            return try scanHeaders(top: top, scan: scan, fields: fields)
        case .leaf:
            return try scanBody(emitting: true)
        case .multipart:
            return try scanBody(emitting: false)
        case .message:
            // Never left on top: its child is pushed with it.
            closeAll(at: position)
            return true
        }
    }

    private mutating func scanHeaders(top: Int, scan: Int, fields: Int) throws -> Bool {
        let headerStart = frames[top].headerStart
        var lineStart = scan
        var fields = fields
        while true {
            // A boundary of an enclosing multipart ends a header block that has no empty line.
            switch delimiter(at: lineStart) {
            case .needMore:
                frames[top].phase = .headers(scan: lineStart, fields: fields)
                return false
            case .found(let frame, let close, let after):
                let bodyStart = lineEndStart(before: lineStart, floor: headerStart)
                try completeHeaders(top: top, bodyStart: bodyStart, headerEnd: bodyStart)
                try handleDelimiter(frame: frame, close: close, delimiterStart: bodyStart, after: after)
                return true
            case .none:
                break
            }
            if lineStart >= end {
                if inputFinished {
                    try completeHeaders(top: top, bodyStart: end, headerEnd: end)
                    return true
                }
                frames[top].phase = .headers(scan: lineStart, fields: fields)
                return false
            }
            let first = byte(lineStart)
            if first == 0x0A || (first == 0x0D && lineStart + 1 < end && byte(lineStart + 1) == 0x0A) {
                let bodyStart = lineStart + (first == 0x0A ? 1 : 2)
                try completeHeaders(top: top, bodyStart: bodyStart, headerEnd: bodyStart)
                return true
            }
            if first == 0x0D && lineStart + 1 >= end && !inputFinished {
                frames[top].phase = .headers(scan: lineStart, fields: fields)
                return false
            }
            if first != 0x20 && first != 0x09 {
                fields += 1
                if fields > options.maxHeaderFields {
                    throw MIMEError.tooManyHeaderFields(offset: headerStart, limit: options.maxHeaderFields)
                }
            }
            // A long header line arriving in small chunks is searched once, not from its start each time.
            guard let lf = findLF(from: max(lineStart, headerSearchedUpTo)) else {
                headerSearchedUpTo = end
                if end - headerStart > options.maxHeaderBytes {
                    throw MIMEError.headerTooLarge(offset: headerStart, limit: options.maxHeaderBytes)
                }
                if inputFinished {
                    try completeHeaders(top: top, bodyStart: end, headerEnd: end)
                    return true
                }
                frames[top].phase = .headers(scan: lineStart, fields: fields - (first != 0x20 && first != 0x09 ? 1 : 0))
                return false
            }
            if lf + 1 - headerStart > options.maxHeaderBytes {
                throw MIMEError.headerTooLarge(offset: headerStart, limit: options.maxHeaderBytes)
            }
            lineStart = lf + 1
            headerSearchedUpTo = lineStart
        }
    }

    private mutating func completeHeaders(top: Int, bodyStart: Int, headerEnd: Int) throws {
        var frame = frames[top]
        let headerRange = frame.headerStart..<headerEnd
        let headers = HeaderFields(parsing: buffer[(frame.headerStart - base)..<(headerEnd - base)])
        let defaultType: MIMEContentType = frame.inDigest ? .messageRFC822 : .textPlain
        let contentType = MIMEContentType(headers: headers, defaultType: defaultType)
        if let container = frame.embeddedIn {
            frame.path = contentType.isMultipart ? container : container + [1]
        }
        frame.bodyStart = bodyStart
        partCount += 1
        if partCount > options.maxParts {
            throw MIMEError.tooManyParts(offset: frame.headerStart, limit: options.maxParts)
        }
        events.append(.partStart(path: frame.path, headers: headers, headerRange: headerRange))
        position = bodyStart
        atLineStart = true
        if contentType.isMultipart, let boundary = contentType.boundary {
            frame.phase = .multipart(boundary: boundary, children: 0, inEpilogue: false)
            frame.isDigest = contentType.subtype == "digest"
            frames[top] = frame
            rebuildBoundaries()
        } else if contentType.isMessage, MIMETransferEncoding(headers: headers).isIdentity {
            frame.phase = .message
            frames[top] = frame
            try push(
                Frame(
                    path: frame.path,
                    headerStart: bodyStart,
                    bodyStart: bodyStart,
                    phase: .headers(scan: bodyStart, fields: 0),
                    embeddedIn: frame.path,
                    inDigest: false
                )
            )
        } else {
            frame.phase = .leaf
            frames[top] = frame
        }
    }

    private mutating func push(_ frame: Frame) throws {
        if frames.count >= options.maxDepth {
            throw MIMEError.nestingTooDeep(offset: max(frame.headerStart, position), limit: options.maxDepth)
        }
        frames.append(frame)
    }

    /// Body of a leaf (bytes handed out), or preamble / epilogue of a multipart (skipped).
    private mutating func scanBody(emitting: Bool) throws -> Bool {
        let path = frames[frames.count - 1].path
        func emit(_ upTo: Int) {
            if upTo > position {
                if emitting { events.append(.bodyBytes(path: path, bytes: buffer[(position - base)..<(upTo - base)])) }
                position = upTo
            }
        }
        if atLineStart {
            switch delimiter(at: position) {
            case .needMore:
                return false
            case .found(let frame, let close, let after):
                try handleDelimiter(frame: frame, close: close, delimiterStart: position, after: after)
                return true
            case .none:
                atLineStart = false
            }
        }
        if activeBoundaries.isEmpty {
            emit(end)
            if inputFinished { closeAll(at: end) }
            return inputFinished || !events.isEmpty
        }
        var search = position
        while true {
            guard let lf = findLF(from: search) else {
                if inputFinished {
                    emit(end)
                    closeAll(at: end)
                    return true
                }
                // Hold back a final CR: it may start the line end before a boundary.
                emit(end > position && byte(end - 1) == 0x0D ? end - 1 : end)
                return !events.isEmpty
            }
            switch delimiter(at: lf + 1) {
            case .none:
                search = lf + 1
            case .needMore:
                emit(lineEndStart(before: lf + 1, floor: position))
                return !events.isEmpty
            case .found(let frame, let close, let after):
                let delimiterStart = lineEndStart(before: lf + 1, floor: position)
                emit(delimiterStart)
                try handleDelimiter(frame: frame, close: close, delimiterStart: delimiterStart, after: after)
                return true
            }
        }
    }

    private mutating func handleDelimiter(frame index: Int, close: Bool, delimiterStart: Int, after: Int) throws {
        while frames.count - 1 > index {
            let frame = frames.removeLast()
            // A part whose header block never started (an embedded message cut off at once) is dropped.
            if case .headers = frame.phase { continue }
            events.append(.partEnd(path: frame.path, bodyRange: frame.bodyStart..<max(frame.bodyStart, delimiterStart)))
        }
        guard case .multipart(let boundary, let children, _) = frames[index].phase else { return }
        position = after
        skippingLine = true
        atLineStart = false
        if close {
            frames[index].phase = .multipart(boundary: boundary, children: children, inEpilogue: true)
        } else {
            frames[index].phase = .multipart(boundary: boundary, children: children + 1, inEpilogue: false)
            let child = Frame(
                path: frames[index].path + [children + 1],
                headerStart: -1,
                bodyStart: -1,
                phase: .headers(scan: after, fields: 0),
                embeddedIn: nil,
                inDigest: frames[index].isDigest
            )
            try push(child)
        }
        rebuildBoundaries()
    }

    private mutating func closeAll(at offset: Int) {
        while let frame = frames.popLast() {
            if case .headers = frame.phase { continue }
            events.append(.partEnd(path: frame.path, bodyRange: frame.bodyStart..<max(frame.bodyStart, offset)))
        }
        activeBoundaries = []
        events.append(.end)
        done = true
    }
}
