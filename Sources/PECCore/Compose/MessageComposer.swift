import Foundation

/// Turns an `OutgoingMessage` into the RFC 5322 + MIME message submitted over SMTP.
///
/// The output is 7-bit with CRLF line ends and no line over 998 octets:
/// - no attachments: one `text/plain; charset=UTF-8` quoted-printable body;
/// - attachments: `multipart/mixed`, the text part first, then one base64 part per file in the
///   order given.
///
/// Composing reads every attachment once (size and SHA-256) but keeps none in memory; the bytes
/// are produced by `ComposedMessage.write`, which checks that the files did not change meanwhile.
/// Composing does blocking file I/O: call it off any latency-sensitive executor.
///
/// **Deterministic Message-ID.** `<h@d>` where `d` is the domain of From (lowercased) and `h` is
/// the first 32 hex digits of SHA-256 over, in this order, each field as an 8-byte big-endian
/// length followed by its bytes, each list as an 8-byte count followed by its fields:
/// a version tag, From (lowercased), the To list and the Cc list (each address lowercased, in the
/// given order), Subject (UTF-8), body (UTF-8 as given), the attachments (for each: file name,
/// SHA-256 in hex and size), the receipt type ("" when none), and the UTC minute of `date`
/// (`yyyyMMddHHmm`). The same content composed again in the same minute — a retry after a crash
/// or a lost connection — gets the same Message-ID, so the provider's receipts and our journal
/// can recognise it; a change to any field, or the next minute, gives another one. The length
/// prefixes make the encoding unambiguous (no two different messages hash the same input).
/// A deliberate second send of the same content (`pec send --resend`) adds a `resend` field last,
/// so it gets an id of its own.
public enum MessageComposer {
    public static func compose(_ message: OutgoingMessage, date: Date, resend: String? = nil) throws -> ComposedMessage
    {
        try message.validate()

        var attachments: [ComposedAttachment] = []
        for url in message.attachments {
            attachments.append(try fingerprint(url))
        }

        let digest = try messageDigest(message, attachments: attachments, date: date, resend: resend)
        let digestHex = SHA256Digest.hex(digest)
        let domain = try PECAddress(message.from).domain.lowercased()  // valid: checked above
        let messageID = "<" + digestHex.prefix(32) + "@" + domain + ">"
        // Boundary: from the same hash (other digits), so the same content gives the same bytes.
        // It can never appear at the start of a line inside the message:
        // - quoted-printable writes "=" only as "=XX" (hex digits) or as a soft line break, and
        //   base64 only as final padding, so neither body can contain "=_";
        // - header lines start with a field name, folded lines with a space: never "--".
        let boundary = "=_pec_" + digestHex.dropFirst(32).prefix(24)

        var head = ""
        head += "Date: " + HeaderEncoding.rfc5322Date(date) + "\r\n"
        head += "From: " + message.from + "\r\n"
        head += HeaderEncoding.structuredField("To", atoms: addressAtoms(message.to))
        if !message.cc.isEmpty {
            head += HeaderEncoding.structuredField("Cc", atoms: addressAtoms(message.cc))
        }
        head += subjectField(message.subject)
        head += "Message-ID: " + messageID + "\r\n"
        head += "MIME-Version: 1.0\r\n"
        if let receipt = message.receipt {
            head += "X-TipoRicevuta: " + receipt.rawValue + "\r\n"
        }

        let textHeaders = "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
        let text = QuotedPrintableEncoder.encode(message.body)

        var segments: [ComposedMessage.Segment] = []
        if attachments.isEmpty {
            segments.append(.bytes(Array((head + textHeaders + "\r\n").utf8) + text))
        } else {
            head += HeaderEncoding.structuredField(
                "Content-Type",
                atoms: ["multipart/mixed;", "boundary=" + HeaderEncoding.quoted(boundary)]
            )
            var pending = Array((head + "\r\n--" + boundary + "\r\n" + textHeaders + "\r\n").utf8) + text
            for (index, attachment) in attachments.enumerated() {
                pending += Array(("\r\n--" + boundary + "\r\n" + partHeaders(attachment) + "\r\n").utf8)
                segments.append(.bytes(pending))
                segments.append(.attachment(index))
                pending = []
            }
            segments.append(.bytes(Array(("\r\n--" + boundary + "--\r\n").utf8)))
        }

        return ComposedMessage(
            messageID: messageID,
            contentFingerprint: SHA256Digest.hex(try contentDigest(message, attachments: attachments)),
            date: date,
            from: message.from,
            recipients: message.recipients,
            attachments: attachments,
            segments: segments
        )
    }

    // MARK: - Attachments

    /// Reads the file once for its size and SHA-256.
    static func fingerprint(_ url: URL) throws -> ComposedAttachment {
        let reader = try AttachmentFileReader(path: url.path)
        let digest = try SHA256Digest()
        var buffer = [UInt8](repeating: 0, count: AttachmentFileReader.chunkSize)
        var size = 0
        // Bounded by the size at open: a file growing while it is read is refused.
        while true {
            let count = try reader.readChunk(into: &buffer)
            if count == 0 { break }
            size += count
            guard size <= reader.sizeAtOpen else { throw changedWhileReading(url.path) }
            digest.update(buffer[..<count])
        }
        guard size == reader.sizeAtOpen else { throw changedWhileReading(url.path) }
        // NFC: macOS file names are decomposed, and some readers show "e" + combining accent badly.
        let filename = url.lastPathComponent.precomposedStringWithCanonicalMapping
        return ComposedAttachment(
            url: url,
            filename: filename,
            contentType: AttachmentContentType.forFilename(filename),
            size: size,
            sha256: SHA256Digest.hex(try digest.finalize())
        )
    }

    private static func changedWhileReading(_ path: String) -> PECError {
        PECError(
            .io,
            "attachment \(path) changed while it was being read",
            hint: "Wait until the file is completely written, then try again.",
            retryable: true
        )
    }

    /// Headers of one attachment part, each line ending in CRLF.
    static func partHeaders(_ attachment: ComposedAttachment) -> String {
        let filename = attachment.filename
        // Quoted as is when it is printable ASCII and the parameter fits on one folded line.
        let isPlain =
            filename.utf8.allSatisfy { (0x20...0x7E).contains($0) } && !filename.contains("=?")
            && HeaderEncoding.quoted(filename).utf8.count + "filename=".utf8.count < HeaderEncoding.preferredLineLength

        var nameAtoms: [String]
        var filenameAtoms: [String]
        if isPlain {
            nameAtoms = ["name=" + HeaderEncoding.quoted(filename)]
            filenameAtoms = ["filename=" + HeaderEncoding.quoted(filename)]
        } else {
            // RFC 2231 for readers that follow it; an RFC 2047 `name` (not standard inside a
            // parameter, but what Outlook and older clients read) for the others.
            filenameAtoms = HeaderEncoding.extendedParameter("filename", value: filename)
            // Room on a line of 76 for ` name="` before the first word and a closing `"`.
            nameAtoms = HeaderEncoding.encodedWords(filename, firstWordLength: 68, laterWordLength: 74)
            nameAtoms[0] = "name=\"" + nameAtoms[0]
            nameAtoms[nameAtoms.count - 1] += "\""
        }
        return HeaderEncoding.structuredField("Content-Type", atoms: [attachment.contentType + ";"] + nameAtoms)
            + HeaderEncoding.structuredField("Content-Disposition", atoms: ["attachment;"] + filenameAtoms)
            + "Content-Transfer-Encoding: base64\r\n"
    }

    // MARK: - Headers

    private static func addressAtoms(_ addresses: [String]) -> [String] {
        addresses.enumerated().map { index, address in index < addresses.count - 1 ? address + "," : address }
    }

    /// Longest run without whitespace kept as plain text; longer ones are encoded, since an
    /// encoded subject can be folded anywhere and a plain one only at whitespace.
    static let maximumPlainSubjectWord = 900

    static func subjectField(_ subject: String) -> String {
        if HeaderEncoding.isPlainHeaderText(subject, maximumWordLength: maximumPlainSubjectWord) {
            return HeaderEncoding.unstructuredField("Subject", asciiValue: subject)
        }
        // "Subject: " takes 9 of the 76 columns of the first line.
        let words = HeaderEncoding.encodedWords(
            subject,
            firstWordLength: HeaderEncoding.encodedWordLineLength - 9,
            laterWordLength: HeaderEncoding.maximumEncodedWordLength
        )
        return HeaderEncoding.structuredField(
            "Subject",
            atoms: words,
            lineLength: HeaderEncoding.encodedWordLineLength
        )
    }

    // MARK: - Message-ID and content fingerprint

    /// See the type's documentation for what goes in and why.
    static func messageDigest(
        _ message: OutgoingMessage,
        attachments: [ComposedAttachment],
        date: Date,
        resend: String? = nil
    ) throws -> [UInt8] {
        let digest = try SHA256Digest()
        func field(_ bytes: some Collection<UInt8>) {
            count(bytes.count)
            digest.update(bytes)
        }
        func field(_ text: String) { field(Array(text.utf8)) }
        func count(_ value: Int) {
            digest.update(withUnsafeBytes(of: UInt64(value).bigEndian) { Array($0) })
        }
        field("pec-message-id/1")
        field(message.from.lowercased())
        count(message.to.count)
        for address in message.to { field(address.lowercased()) }
        count(message.cc.count)
        for address in message.cc { field(address.lowercased()) }
        field(message.subject)
        field(message.body)
        count(attachments.count)
        for attachment in attachments {
            field(attachment.filename)
            field(attachment.sha256)
            count(attachment.size)
        }
        field(message.receipt?.rawValue ?? "")
        field(HeaderEncoding.utcMinute(date))
        if let resend { field("resend:" + resend) }
        return try digest.finalize()
    }

    /// What makes two sends the same letter, whatever the minute they were composed in: From
    /// (lowercased), the recipients as a set (To and Cc together, lowercased, sorted: moving
    /// someone from To to Cc still sends them the same PEC), Subject, body, the attachments as a
    /// set of (file name, SHA-256), and the receipt type. Same length-prefixed encoding as
    /// ``messageDigest(_:attachments:date:resend:)``, with a tag of its own.
    static func contentDigest(_ message: OutgoingMessage, attachments: [ComposedAttachment]) throws -> [UInt8] {
        let digest = try SHA256Digest()
        func field(_ text: String) {
            count(text.utf8.count)
            digest.update(Array(text.utf8))
        }
        func count(_ value: Int) {
            digest.update(withUnsafeBytes(of: UInt64(value).bigEndian) { Array($0) })
        }
        field("pec-content/1")
        field(message.from.lowercased())
        let recipients = Set(message.recipients.map { $0.lowercased() }).sorted()
        count(recipients.count)
        for address in recipients { field(address) }
        field(message.subject)
        field(message.body)
        let files = Set(attachments.map { [$0.filename, $0.sha256] }).sorted { $0.lexicographicallyPrecedes($1) }
        count(files.count)
        for file in files {
            field(file[0])
            field(file[1])
        }
        field(message.receipt?.rawValue ?? "")
        return try digest.finalize()
    }
}
