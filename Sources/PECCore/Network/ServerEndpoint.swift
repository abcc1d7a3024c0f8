/// A server `pec` talks to: host, port and how TLS is started.
public struct ServerEndpoint: Sendable, Equatable, Codable {
    public enum Security: String, Sendable, Codable, CaseIterable {
        /// TLS from the first byte (IMAPS 993, SMTPS 465): what every PEC provider uses.
        case implicitTLS = "tls"
        /// Plain connection upgraded with STARTTLS before anything else is sent.
        case startTLS = "starttls"
    }

    /// Which of an account's two servers: for errors that say which one to change.
    public enum MailProtocol: String, Sendable, Codable {
        case imap, smtp

        /// The implicit-TLS port PEC providers use.
        public var implicitTLSPort: Int { self == .imap ? 993 : 465 }
    }

    public var host: String
    public var port: Int
    public var security: Security

    public init(host: String, port: Int, security: Security = .implicitTLS) {
        self.host = host
        self.port = port
        self.security = security
    }
}
