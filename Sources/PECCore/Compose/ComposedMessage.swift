import Foundation

/// An attachment as composed: what was read from the file when the message was prepared.
public struct ComposedAttachment: Sendable, Equatable, Codable {
    /// The local file; it is read again by `ComposedMessage.write`.
    public let url: URL
    /// The name shown to the recipient: the file's last path component, Unicode NFC.
    public let filename: String
    /// `type/subtype` from the extension (`AttachmentContentType`).
    public let contentType: String
    /// Size of the file in bytes (before base64).
    public let size: Int
    /// SHA-256 of the file, 64 lowercase hex digits. With `breve` receipts the provider returns
    /// hashes instead of attachments; this is what the sender keeps to match them.
    public let sha256: String
}

/// A message ready to submit: its identity and exact size are known, its bytes are produced on
/// demand by `write(to:)` so that attachments are never held whole in memory.
public struct ComposedMessage: Sendable {
    /// `<…@domain>`, angle brackets included (see `MessageComposer` for how it is derived).
    public let messageID: String
    /// SHA-256 (64 hex digits) of what makes this the same letter as another send, whatever the
    /// minute: see ``MessageComposer/contentDigest(_:attachments:)``. How a repeated send is
    /// recognised, and what an approval is bound to.
    public let contentFingerprint: String
    /// The `Date` header's instant.
    public let date: Date
    /// The SMTP MAIL FROM address (equal to the From header).
    public let from: String
    /// The SMTP RCPT list: To then Cc.
    public let recipients: [String]
    public let attachments: [ComposedAttachment]
    /// Exactly the number of bytes `write(to:)` hands to its sink; computed from the header and
    /// text bytes and the attachments' base64 sizes, without encoding them.
    public let size: Int

    /// The message as a sequence of in-memory bytes and attachment bodies streamed from disk.
    enum Segment: Sendable {
        case bytes([UInt8])
        /// The base64 body of `attachments[index]`, no line break after its last line.
        case attachment(Int)
    }

    let segments: [Segment]

    init(
        messageID: String,
        contentFingerprint: String,
        date: Date,
        from: String,
        recipients: [String],
        attachments: [ComposedAttachment],
        segments: [Segment]
    ) {
        self.messageID = messageID
        self.contentFingerprint = contentFingerprint
        self.date = date
        self.from = from
        self.recipients = recipients
        self.attachments = attachments
        self.segments = segments
        self.size = segments.reduce(0) { total, segment in
            switch segment {
            case .bytes(let bytes):
                return total + bytes.count
            case .attachment(let index):
                let byteCount = attachments.indices.contains(index) ? attachments[index].size : 0
                return total + Base64LineEncoder.encodedSize(byteCount: byteCount)
            }
        }
    }

    /// Streams the whole message to `sink`, in order, as ASCII bytes with CRLF line ends (no SMTP
    /// dot-stuffing: that is the transport's job). Chunks are headers and text in one piece, then
    /// about 64 KiB of base64 per 48 KiB read from each attachment.
    ///
    /// Each attachment is hashed again while it is sent. If its size or SHA-256 differ from
    /// compose time, this throws `PECError(.io, "<file> changed since the message was prepared")`
    /// before the last bytes of that part reach the sink, so the transport can abort the DATA
    /// phase and nothing different from what was prepared is ever submitted. Any error of `sink`
    /// is rethrown as is.
    ///
    /// Can be called again (an SMTP retry) and then produces the same bytes. `nonisolated(nonsending)`:
    /// it runs on the caller's executor, so `sink` may use the caller's isolated state; the file
    /// reads are short blocking reads of local files.
    nonisolated(nonsending) public func write(to sink: (ArraySlice<UInt8>) async throws -> Void) async throws {
        for segment in segments {
            switch segment {
            case .bytes(let bytes):
                if !bytes.isEmpty { try await sink(bytes[...]) }
            case .attachment(let index):
                guard attachments.indices.contains(index) else {
                    throw PECError(.internal, "composed message refers to a missing attachment")
                }
                try await writeAttachment(attachments[index], to: sink)
            }
        }
    }

    nonisolated(nonsending) private func writeAttachment(
        _ attachment: ComposedAttachment,
        to sink: (ArraySlice<UInt8>) async throws -> Void
    ) async throws {
        let path = attachment.url.path
        let changed = PECError(
            .io,
            "\(path) changed since the message was prepared",
            hint: "Nothing was submitted. Prepare the message again to send the file as it is now."
        )
        let reader: AttachmentFileReader
        do {
            reader = try AttachmentFileReader(path: path)
        } catch let error as PECError {
            throw PECError(.io, "\(path) changed since the message was prepared: \(error.message)", hint: changed.hint)
        }
        let digest = try SHA256Digest()
        var encoder = Base64LineEncoder()
        var buffer = [UInt8](repeating: 0, count: AttachmentFileReader.chunkSize)
        // The encoded form of the latest chunk, held back until the next read shows whether the
        // file is complete and unchanged: the part's final bytes go out only after that check.
        var held: [UInt8] = []
        var bytesRead = 0
        // Bounded: stops at end of file, or as soon as more bytes than the composed size were read.
        while true {
            let count = try reader.readChunk(into: &buffer)
            if count == 0 { break }
            bytesRead += count
            guard bytesRead <= attachment.size else { throw changed }
            digest.update(buffer[..<count])
            if !held.isEmpty { try await sink(held[...]) }
            held.removeAll(keepingCapacity: true)
            encoder.encode(buffer[..<count], into: &held)
        }
        guard bytesRead == attachment.size, try digest.finalizeHex() == attachment.sha256 else { throw changed }
        encoder.finish(into: &held)
        if !held.isEmpty { try await sink(held[...]) }
    }
}
