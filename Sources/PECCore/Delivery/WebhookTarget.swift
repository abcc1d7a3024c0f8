import Foundation

/// One `--webhook`: where receipt events are posted, how, and signed with what.
public struct WebhookTarget: Sendable, Equatable {
    /// The body: our own event record, or what genro-mail-proxy's sync protocol posts to a tenant.
    public enum Format: String, Sendable, CaseIterable {
        case pec, genro
    }

    public let url: URL
    public let format: Format
    /// Events per POST (1: one each).
    public let batch: Int
    /// The HMAC-SHA256 key of `PEC-Signature`; never printed or logged.
    let secret: [UInt8]

    public static let maximumBatch = 100

    /// The target's name in the ledger (its cursor, its parked events): the URL, and the format when not ours.
    public var name: String {
        format == .pec ? "webhook:\(url.absoluteString)" : "webhook:\(format.rawValue):\(url.absoluteString)"
    }

    /// Checks the URL (HTTPS, or plain HTTP to this machine only), the batch size and the secret.
    public init(url text: String, format: Format = .pec, batch: Int = 1, secret: [UInt8]) throws(PECError) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty,
            url.user == nil, url.password == nil
        else {
            throw PECError(.invalidInput, "--webhook \(TextFormatter.oneLine(text)) is not an http(s) URL with a host")
        }
        switch scheme {
        case "https": break
        case "http" where Self.isLoopback(host): break
        case "http":
            throw PECError(
                .invalidInput,
                "--webhook \(TextFormatter.oneLine(text)) is plain http to another machine",
                hint: "use https (events carry addresses and errors); plain http is allowed to 127.0.0.1 only"
            )
        default:
            throw PECError(.invalidInput, "--webhook \(TextFormatter.oneLine(text)) is not an http(s) URL")
        }
        guard (1...Self.maximumBatch).contains(batch) else {
            throw PECError(.invalidInput, "--webhook-batch must be 1 to \(Self.maximumBatch), not \(batch)")
        }
        guard !secret.isEmpty else {
            throw PECError(
                .invalidInput,
                "a webhook needs a secret to sign its posts",
                hint: "set PEC_WEBHOOK_SECRET, or give --webhook-secret-file FILE"
            )
        }
        self.url = url
        self.format = format
        self.batch = batch
        self.secret = secret
    }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }

    /// The secret from `--webhook-secret-file` (its first line) or `PEC_WEBHOOK_SECRET`.
    public static func secret(file: String?, environment: [String: String]) throws(PECError) -> [UInt8] {
        if let file {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw PECError(.io, "cannot read the webhook secret file \(file): \(error.localizedDescription)")
            }
            guard data.count <= 4096 else { throw PECError(.invalidInput, "\(file) is too large to be a secret") }
            let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first ?? ""
            return Array(line.utf8)
        }
        return Array((environment["PEC_WEBHOOK_SECRET"] ?? "").utf8)
    }
}
