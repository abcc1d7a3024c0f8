import Foundation

/// One part of a message held in memory: headers, type, exact raw byte ranges, children.
/// `rawBytes` and `rawBody` are slices of the message's bytes (no copy).
public struct MIMEEntity: Sendable {
    /// IMAP-style part number (see `MIMEStreamEvent`).
    package var path: [Int]
    package var headers: HeaderFields
    package var contentType: MIMEContentType
    package var disposition: MIMEContentDisposition?
    package var transferEncoding: MIMETransferEncoding
    /// Header lines and the empty line, as offsets in the whole message.
    package var headerRange: Range<Int>
    /// The body as sent (still transfer-encoded), as offsets in the whole message.
    package var bodyRange: Range<Int>
    /// Parts of a multipart; for message/rfc822 the one embedded message.
    package var children: [MIMEEntity]
    /// Header block and body, exactly as sent (what an S/MIME signature covers).
    package var rawBytes: ArraySlice<UInt8>
    package var rawBody: ArraySlice<UInt8>

    /// Header block and body: `headerRange.lowerBound ..< bodyRange.upperBound`.
    package var rawRange: Range<Int> { headerRange.lowerBound..<bodyRange.upperBound }
    package var isMultipart: Bool { contentType.isMultipart }
    package var isAttachment: Bool { disposition?.isAttachment ?? false }
    /// The decoded file name: Content-Disposition `filename`, else Content-Type `name`.
    package var filename: String? { disposition?.filename ?? contentType.name }

    /// The body with its transfer encoding undone.
    package var decodedBody: [UInt8] { MIMEBodyDecoder.decode(rawBody, transferEncoding: transferEncoding) }
    /// Decoded size in bytes.
    package var decodedSize: Int { isMultipart ? 0 : decodedBody.count }

    /// The text of a text part in its charset. Without a charset (or with an unknown one) the bytes
    /// are read as UTF-8 when valid, else as ISO-8859-1 — never turned into U+FFFD. Nil for
    /// non-text parts.
    package var text: String? {
        guard contentType.isText else { return nil }
        return Self.decodeText(decodedBody, charset: contentType.charset)
    }

    static func decodeText(_ bytes: [UInt8], charset: String?) -> String {
        guard let charset, let text = Charset.decode(bytes, charset: charset) else {
            return Charset.decodeUnlabelled(bytes)
        }
        return text
    }

    /// This part and every part inside it, depth first.
    package var allEntities: [MIMEEntity] {
        var result = [self]
        for child in children { result += child.allEntities }
        return result
    }

    /// The first entity (depth first) with this path; for an embedded multipart message the
    /// message/rfc822 part comes before the message.
    package func entity(at path: [Int]) -> MIMEEntity? {
        allEntities.first { $0.path == path }
    }

    package func first(where predicate: (MIMEEntity) -> Bool) -> MIMEEntity? {
        allEntities.first(where: predicate)
    }
}

/// A message held in memory, parsed with `MIMEStreamParser` into a tree of `MIMEEntity`.
public struct MIMEMessage: Sendable {
    package let raw: [UInt8]
    package let root: MIMEEntity

    package init(parsing raw: [UInt8], options: MIMEStreamParser.Options = MIMEStreamParser.Options()) throws {
        self.raw = raw
        var parser = MIMEStreamParser(options: options)
        try parser.append(raw)
        parser.finish()
        // Open entities, innermost last.
        var stack: [MIMEEntity] = []
        var root: MIMEEntity?
        while let event = try parser.next() {
            switch event {
            case .partStart(let path, let headers, let headerRange):
                stack.append(
                    MIMEEntity(
                        path: path,
                        headers: headers,
                        contentType: MIMEContentType(
                            headers: headers,
                            defaultType: Self.isDigest(stack.last) ? .messageRFC822 : .textPlain
                        ),
                        disposition: MIMEContentDisposition(headers: headers),
                        transferEncoding: MIMETransferEncoding(headers: headers),
                        headerRange: headerRange,
                        bodyRange: headerRange.upperBound..<headerRange.upperBound,
                        children: [],
                        rawBytes: [],
                        rawBody: []
                    )
                )
            case .bodyBytes:
                break
            case .partEnd(_, let bodyRange):
                guard var entity = stack.popLast() else { break }
                entity.bodyRange = bodyRange
                entity.rawBody = raw[bodyRange]
                entity.rawBytes = raw[entity.rawRange]
                if stack.isEmpty {
                    root = entity
                } else {
                    stack[stack.count - 1].children.append(entity)
                }
            case .end:
                break
            }
        }
        self.root =
            root
            ?? MIMEEntity(
                path: [],
                headers: HeaderFields(fields: []),
                contentType: .textPlain,
                disposition: nil,
                transferEncoding: .sevenBit,
                headerRange: 0..<0,
                bodyRange: 0..<0,
                children: [],
                rawBytes: [],
                rawBody: []
            )
    }

    private static func isDigest(_ parent: MIMEEntity?) -> Bool {
        parent.map { $0.contentType.isMultipart && $0.contentType.subtype == "digest" } ?? false
    }

    package var headers: HeaderFields { root.headers }
    package var allEntities: [MIMEEntity] { root.allEntities }
    package func entity(at path: [Int]) -> MIMEEntity? { root.entity(at: path) }
    /// The first part whose decoded file name is `filename` (exact match).
    package func entity(filename: String) -> MIMEEntity? { root.first { $0.filename == filename } }
}

extension MIMEStreamParser {
    /// Streams the input through a parser and decodes the body of the first leaf part that
    /// `select` accepts into `sink`, chunk by chunk (never the whole body in memory). Returns the
    /// decoded size in bytes, or nil when no part was selected.
    package static func decodeBody<Chunks: Sequence>(
        from chunks: Chunks,
        options: Options = Options(),
        selecting select: ([Int], HeaderFields) -> Bool,
        to sink: (ArraySlice<UInt8>) throws -> Void
    ) throws -> Int? where Chunks.Element: Collection<UInt8> {
        var parser = MIMEStreamParser(options: options)
        var target: (path: [Int], depth: Int, decoder: MIMEBodyDecoder)?
        var depth = 0
        func drain() throws -> Int? {
            while let event = try parser.next() {
                switch event {
                case .partStart(let path, let headers, _):
                    depth += 1
                    let type = MIMEContentType(headers: headers)
                    if target == nil, !type.isMultipart, !type.isMessage, select(path, headers) {
                        target = (
                            path, depth, MIMEBodyDecoder(transferEncoding: MIMETransferEncoding(headers: headers))
                        )
                    }
                case .bodyBytes(let path, let bytes):
                    if target?.path == path, target?.depth == depth { try target?.decoder.decode(bytes, to: sink) }
                case .partEnd(let path, _):
                    if var current = target, current.path == path, current.depth == depth {
                        try current.decoder.finish(to: sink)
                        return current.decoder.decodedByteCount
                    }
                    depth -= 1
                case .end:
                    return nil
                }
            }
            return -1
        }
        for chunk in chunks {
            try parser.append(chunk)
            if let result = try drain(), result >= 0 { return result }
        }
        parser.finish()
        let result = try drain()
        return result.flatMap { $0 >= 0 ? $0 : nil }
    }

    /// `decodeBody` for the leaf part at `path`; throws `MIMEError.partNotFound` when there is none.
    package static func decodeBody<Chunks: Sequence>(
        ofPartAt path: [Int],
        from chunks: Chunks,
        options: Options = Options(),
        to sink: (ArraySlice<UInt8>) throws -> Void
    ) throws -> Int where Chunks.Element: Collection<UInt8> {
        guard
            let size = try decodeBody(
                from: chunks,
                options: options,
                selecting: { candidate, _ in candidate == path },
                to: sink
            )
        else { throw MIMEError.partNotFound(path: path) }
        return size
    }

    /// Reads a message file in chunks of `chunkSize` bytes.
    package static func fileChunks(_ url: URL, chunkSize: Int = 64 * 1024) throws -> MIMEFileChunks {
        MIMEFileChunks(handle: try FileHandle(forReadingFrom: url), chunkSize: chunkSize)
    }
}

/// A file read in fixed-size chunks, for `MIMEStreamParser.decodeBody`.
package struct MIMEFileChunks: Sequence, IteratorProtocol {
    let handle: FileHandle
    let chunkSize: Int

    package mutating func next() -> [UInt8]? {
        guard let data = try? handle.read(upToCount: chunkSize), !data.isEmpty else {
            try? handle.close()
            return nil
        }
        return [UInt8](data)
    }
}
