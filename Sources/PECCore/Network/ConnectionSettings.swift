/// Everything needed to open one connection to a mail server: where, how TLS starts, whom to
/// trust and how long to wait. Hostname verification is always on; there is no switch for it.
public struct ConnectionSettings: Sendable, Equatable {
    public static let defaultTimeout: Duration = .seconds(30)

    public var endpoint: ServerEndpoint
    /// A PEM file of extra trust anchors (a private CA, the sandbox's), trusted besides the system store.
    public var caFile: String?
    /// Applies to connecting, to the TLS handshake and to every response from the server, which
    /// must be complete within it plus 1 s for every 4 KiB it carries (see ``ResponseDeadline``).
    public var timeout: Duration
    /// How connections are opened: the network, or in tests a scripted server.
    package var connector: any MailConnector = NetworkConnector()

    public init(endpoint: ServerEndpoint, caFile: String? = nil, timeout: Duration = Self.defaultTimeout) {
        self.endpoint = endpoint
        self.caFile = caFile
        self.timeout = timeout
    }

    /// The same server, trust and timeout (the connector is how, not where).
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.endpoint == rhs.endpoint && lhs.caFile == rhs.caFile && lhs.timeout == rhs.timeout
    }

    /// `host:port`, for messages.
    public var address: String { "\(endpoint.host):\(endpoint.port)" }
}
