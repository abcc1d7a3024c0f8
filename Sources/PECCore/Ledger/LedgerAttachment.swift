/// An attachment of a ledgered send: enough to recognise the file later, not its content.
/// Its position is its index in ``LedgerSend/attachments``.
public struct LedgerAttachment: Codable, Sendable, Equatable {
    public var filename: String
    public var contentType: String
    /// Bytes before transfer encoding.
    public var size: Int
    /// Lowercase hexadecimal SHA-256 of the content.
    public var sha256: String

    public init(filename: String, contentType: String, size: Int, sha256: String) {
        self.filename = filename
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
    }

    private enum CodingKeys: String, CodingKey {
        case filename
        case contentType = "content_type"
        case size, sha256
    }
}
