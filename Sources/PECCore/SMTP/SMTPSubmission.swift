/// What to submit: the envelope of one message (RFC 5321 §2.3.1), separate from its content.
public struct SMTPEnvelope: Sendable, Hashable {
    /// The reverse path (MAIL FROM); for a PEC, the logged-in user's address.
    public var from: String
    /// The forward paths (RCPT TO), in order.
    public var recipients: [String]
    /// The size of the content in bytes, as it will be sent (CRLF line ends): compared with the
    /// server's SIZE limit before anything is sent, and announced with `SIZE=`.
    public var size: Int
    /// The content has 8-bit bytes: `BODY=8BITMIME`.
    public var eightBit: Bool
    /// Addresses or headers in UTF-8: `SMTPUTF8`.
    public var smtpUTF8: Bool

    public init(from: String, recipients: [String], size: Int, eightBit: Bool = false, smtpUTF8: Bool = false) {
        self.from = from
        self.recipients = recipients
        self.size = size
        self.eightBit = eightBit
        self.smtpUTF8 = smtpUTF8
    }
}

/// The server's answer to one RCPT TO.
public struct SMTPRecipientResult: Sendable, Hashable, Codable {
    public var address: String
    public var accepted: Bool
    public var code: Int
    /// RFC 3463 `x.y.z`, when the server gave one.
    public var enhancedCode: String?
    public var text: String

    public init(address: String, accepted: Bool, code: Int, enhancedCode: String? = nil, text: String) {
        self.address = address
        self.accepted = accepted
        self.code = code
        self.enhancedCode = enhancedCode
        self.text = text
    }

    init(address: String, reply: SMTPReply) {
        self.init(
            address: address,
            accepted: reply.isPositive,
            code: reply.code,
            enhancedCode: reply.enhancedCode?.description,
            text: reply.text
        )
    }
}

/// A message the server took responsibility for (250 after the end of data).
public struct SMTPSendReceipt: Sendable, Hashable, Codable {
    public var recipients: [SMTPRecipientResult]
    public var code: Int
    public var enhancedCode: String?
    /// The server's final reply text; it often carries its queue id.
    public var text: String

    public init(recipients: [SMTPRecipientResult], code: Int, enhancedCode: String? = nil, text: String) {
        self.recipients = recipients
        self.code = code
        self.enhancedCode = enhancedCode
        self.text = text
    }
}

/// At least one recipient was refused at RCPT TO, so nothing was sent (the transaction was reset):
/// a PEC is never sent to only some of its recipients. ``results`` has every recipient's answer.
public struct SMTPRecipientsRefused: Error, Sendable, Hashable, CustomStringConvertible {
    public var results: [SMTPRecipientResult]

    public init(results: [SMTPRecipientResult]) {
        self.results = results
    }

    public var refused: [SMTPRecipientResult] { results.filter { !$0.accepted } }

    /// Every refusal was temporary (4xx): the same send may succeed later.
    public var retryable: Bool { !refused.isEmpty && refused.allSatisfy { (400..<500).contains($0.code) } }

    public var description: String { pecError.message }

    /// The same, as the one error type `pec` reports.
    public var pecError: PECError {
        let list = refused.map { result in
            ([result.address, "\(result.code)"] + [result.enhancedCode, result.text].compactMap { $0 })
                .joined(separator: " ")
        }
        return PECError(
            .server,
            "nothing was sent: the server refused \(refused.count) of \(results.count) recipients ("
                + list.joined(separator: "; ") + ")",
            hint: retryable ? "the refusal is temporary: try again later" : "check the refused addresses",
            retryable: retryable
        )
    }
}

/// The connection broke (or the server went quiet) after the end of the message was sent and
/// before the server's answer arrived: the server may have accepted the message or not. A PEC
/// has legal effect, so this must never be retried automatically: the acceptance receipt (or its
/// absence) tells.
public struct SMTPDeliveryUncertain: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong on the connection.
    public var underlying: PECError
    public var recipients: [String]

    public init(underlying: PECError, recipients: [String]) {
        self.underlying = underlying
        self.recipients = recipients
    }

    public var description: String { pecError.description }

    /// The same, as the one error type `pec` reports; never retryable.
    public var pecError: PECError {
        PECError(
            .network,
            "the message may or may not have been sent: \(underlying.message)",
            hint: "do not send it again before checking for its ricevuta di accettazione",
            retryable: false
        )
    }
}

/// Where ``SMTPClient/send(_:content:)`` takes the message content: each write is dot-stuffed and
/// line ends made CRLF (``SMTPDataEncoder``), and small writes are gathered into ~64 KiB writes.
/// Usable only while the `content` closure runs.
final class SMTPContentWriter {
    static let bufferSize = 64 * 1024

    private let stream: any MailByteStream
    private(set) var encoder = SMTPDataEncoder()
    private var buffer: [UInt8] = []
    private(set) var isOpen = true

    init(stream: any MailByteStream) {
        self.stream = stream
        buffer.reserveCapacity(Self.bufferSize + Self.bufferSize / 8)
    }

    func write(_ bytes: [UInt8]) async throws {
        guard isOpen else {
            throw PECError(.internal, "message content was written after the message was ended")
        }
        // In slices, so one large write does not become one large buffer.
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = min(start + Self.bufferSize, bytes.endIndex)
            encoder.encode(bytes[start..<end], into: &buffer)
            start = end
            if buffer.count >= Self.bufferSize { try await flush() }
        }
    }

    func flush() async throws {
        guard !buffer.isEmpty else { return }
        let chunk = buffer
        buffer.removeAll(keepingCapacity: true)
        try await stream.write(chunk)
    }

    /// Ends the writer and returns the end-of-data terminator; nothing can be written after.
    func end() -> [UInt8] {
        isOpen = false
        return encoder.finish()
    }

    func abandon() {
        isOpen = false
        buffer = []
    }
}
