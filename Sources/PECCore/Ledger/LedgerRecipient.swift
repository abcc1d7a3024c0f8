/// One recipient of a ledgered send, with the server's answer to its `RCPT TO` once known.
public struct LedgerRecipient: Codable, Sendable, Equatable {
    /// Whether the address was in To or in Cc.
    public enum Role: String, Codable, Sendable, CaseIterable {
        case to
        case cc
    }

    public var address: String
    public var role: Role
    /// nil until the outcome of the attempt is recorded.
    public var accepted: Bool?
    public var smtpCode: Int?
    public var smtpText: String?

    public init(address: String, role: Role, accepted: Bool? = nil, smtpCode: Int? = nil, smtpText: String? = nil) {
        self.address = address
        self.role = role
        self.accepted = accepted
        self.smtpCode = smtpCode
        self.smtpText = smtpText
    }

    private enum CodingKeys: String, CodingKey {
        case address, role, accepted
        case smtpCode = "smtp_code"
        case smtpText = "smtp_text"
    }
}
