import Foundation

/// What to do about a failed or doubtful check. Core says what; each front-end words it (`pec`:
/// commands and flags). In JSON, like a ``PECError/Remedy``: `{"action": "check_server", …}`.
public enum DoctorFix: Sendable, Equatable, Codable {
    /// One of the remedies errors carry (log in again, allow more time, trust the CA …).
    case remedy(PECError.Remedy)
    /// Advice already in words: the hint of the error the check ran into.
    case advice(String)
    /// The host name does not resolve: check it (and the network).
    case checkHostName(ServerEndpoint.MailProtocol, host: String)
    /// Nothing answers at that address: check the port, that the server runs, a firewall.
    case checkServer(ServerEndpoint.MailProtocol, address: String)
    /// The certificate is for other names than the account's host: connect with one of them.
    case useCertificateName(ServerEndpoint.MailProtocol, names: [String])
    /// The certificate expires soon: only the provider can renew it.
    case certificateExpiresSoon(ServerEndpoint.MailProtocol, notAfter: Date)
    /// The server lacks capabilities pec uses; pec works around them, more slowly.
    case missingCapabilities(ServerEndpoint.MailProtocol, [String])
    /// A private file or directory others may read: restrict it to this mode.
    case restrictMode(path: String, mode: String)
    /// A directory pec must write to is read-only for its owner.
    case makeWritable(path: String)
    /// The disk holding this path is (almost) full.
    case freeDiskSpace(path: String)
    /// The account's password command fails or prints nothing: log in with one that works.
    case fixPasswordCommand(address: String)
    /// This computer's clock is off: turn on time synchronisation (NTP).
    case synchronizeClock

    /// The hint and the remedies of `error`, in that order.
    static func from(_ error: PECError) -> [DoctorFix] {
        (error.hint.map { [.advice($0)] } ?? []) + error.remedies.map { .remedy($0) }
    }

    /// The stable name of the action, the `action` of its JSON form.
    public var action: String {
        switch self {
        case .remedy(let remedy): remedy.action
        case .advice: "advice"
        case .checkHostName: "check_host_name"
        case .checkServer: "check_server"
        case .useCertificateName: "use_certificate_name"
        case .certificateExpiresSoon: "certificate_expires_soon"
        case .missingCapabilities: "missing_capabilities"
        case .restrictMode: "restrict_mode"
        case .makeWritable: "make_writable"
        case .freeDiskSpace: "free_disk_space"
        case .fixPasswordCommand: "fix_password_command"
        case .synchronizeClock: "synchronize_clock"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case action, text, host, address, path, mode, capabilities, names
        case mailProtocol = "protocol"
        case notAfter = "not_after"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func mailProtocol() throws -> ServerEndpoint.MailProtocol {
            try c.decode(ServerEndpoint.MailProtocol.self, forKey: .mailProtocol)
        }
        switch try c.decode(String.self, forKey: .action) {
        case "advice": self = .advice(try c.decode(String.self, forKey: .text))
        case "check_host_name":
            self = .checkHostName(try mailProtocol(), host: try c.decode(String.self, forKey: .host))
        case "check_server":
            self = .checkServer(try mailProtocol(), address: try c.decode(String.self, forKey: .address))
        case "use_certificate_name":
            self = .useCertificateName(try mailProtocol(), names: try c.decode([String].self, forKey: .names))
        case "certificate_expires_soon":
            self = .certificateExpiresSoon(try mailProtocol(), notAfter: try c.decode(Date.self, forKey: .notAfter))
        case "missing_capabilities":
            self = .missingCapabilities(try mailProtocol(), try c.decode([String].self, forKey: .capabilities))
        case "restrict_mode":
            self = .restrictMode(
                path: try c.decode(String.self, forKey: .path),
                mode: try c.decode(String.self, forKey: .mode)
            )
        case "make_writable": self = .makeWritable(path: try c.decode(String.self, forKey: .path))
        case "free_disk_space": self = .freeDiskSpace(path: try c.decode(String.self, forKey: .path))
        case "fix_password_command": self = .fixPasswordCommand(address: try c.decode(String.self, forKey: .address))
        case "synchronize_clock": self = .synchronizeClock
        default: self = .remedy(try PECError.Remedy(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if case .remedy(let remedy) = self { return try remedy.encode(to: encoder) }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(action, forKey: .action)
        switch self {
        case .remedy, .synchronizeClock: break
        case .advice(let text): try c.encode(text, forKey: .text)
        case .checkHostName(let service, let host):
            try c.encode(service, forKey: .mailProtocol)
            try c.encode(host, forKey: .host)
        case .checkServer(let service, let address):
            try c.encode(service, forKey: .mailProtocol)
            try c.encode(address, forKey: .address)
        case .useCertificateName(let service, let names):
            try c.encode(service, forKey: .mailProtocol)
            try c.encode(names, forKey: .names)
        case .certificateExpiresSoon(let service, let notAfter):
            try c.encode(service, forKey: .mailProtocol)
            try c.encode(notAfter, forKey: .notAfter)
        case .missingCapabilities(let service, let names):
            try c.encode(service, forKey: .mailProtocol)
            try c.encode(names, forKey: .capabilities)
        case .restrictMode(let path, let mode):
            try c.encode(path, forKey: .path)
            try c.encode(mode, forKey: .mode)
        case .makeWritable(let path), .freeDiskSpace(let path): try c.encode(path, forKey: .path)
        case .fixPasswordCommand(let address): try c.encode(address, forKey: .address)
        }
    }
}
