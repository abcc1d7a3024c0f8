import Foundation

/// When each address last logged in with its saved password: an empty file per address in
/// `$XDG_STATE_HOME/pec/logins/`, whose modification time is the last accepted login.
///
/// It turns "the password was rejected" into "the password that worked until 3 September was
/// rejected": providers with two-factor webmail expire the password for mail programs every few
/// months, and that is by far the likeliest reason. A stamp costs one `utimensat` per login, and a
/// lost one only makes that message less precise, so every write is best effort.
public struct LoginHistory: Sendable {
    public var directory: URL

    public init(environment: [String: String]) {
        directory = SendLedger.stateDirectory(environment: environment)
            .appendingPathComponent("logins", isDirectory: true)
    }

    /// Notes that the server accepted the saved password of `address` now.
    public func recordAccepted(_ address: String) {
        let path = file(for: address).path
        if utimensat(AT_FDCWD, path, nil, 0) == 0 { return }
        try? SecureFiles.ensureDirectory(directory)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if descriptor >= 0 { close(descriptor) }
    }

    /// When the server last accepted the saved password of `address`; nil when never (as far as we know).
    public func lastAccepted(_ address: String) -> Date? {
        var info = stat()
        guard lstat(file(for: address).path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
    }

    /// Forgets `address` (`pec auth logout`).
    public func forget(_ address: String) {
        unlink(file(for: address).path)
    }

    /// The error for a saved password the server now rejects: when it worked before, the message says
    /// since when, and the remedy names the likely cause (an expired password for mail programs).
    public static func rejection(
        of error: PECError,
        address: String,
        server: ServerEndpoint.MailProtocol,
        lastAccepted: Date?,
        now: Date = Date()
    ) -> PECError {
        let service = server.rawValue.uppercased()
        guard let last = lastAccepted else {
            return PECError(
                .notAuthenticated,
                "the \(service) server no longer accepts the saved password for \(address): \(error.message)",
                remedy: .login(address: address)
            )
        }
        let days = Int(now.timeIntervalSince(last) / 86_400)
        let ago = days < 1 ? "less than a day ago" : days == 1 ? "1 day ago" : "\(days) days ago"
        return PECError(
            .notAuthenticated,
            "the \(service) server rejected the saved password for \(address), which it last accepted on "
                + "\(Self.format(last)) (\(ago)): \(error.message)",
            remedy: .renewMailPassword(address: address)
        )
    }

    private func file(for address: String) -> URL {
        directory.appendingPathComponent(Self.fileName(for: address), isDirectory: false)
    }

    /// A file name for per-address state: the address in lower case, anything unusual %-encoded.
    static func fileName(for address: String) -> String {
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789.-_+@")
        let name = address.lowercased().addingPercentEncoding(withAllowedCharacters: safe) ?? "account"
        return name.hasPrefix(".") ? "%2E" + name.dropFirst() : name
    }

    /// "2026-09-03 10:22 UTC": an instant a user can read, in the zone the message says.
    static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)) UTC"
    }
}
