import Foundation
import NIOConcurrencyHelpers

/// One-time confirmation tokens for clients that cannot ask their user (no elicitation): the first
/// `pec_send` gets a token bound to the exact message, and only a second call presenting it with the
/// same message sends. This proves a deliberate second call with identical content, not a human's
/// consent (elicitation is the stronger path).
final class SendApprovals: Sendable {
    static let validity: TimeInterval = 600

    private struct Pending {
        var binding: String
        var expires: Date
    }

    private let pending = NIOLockedValueBox([String: Pending]())
    private let now: @Sendable () -> Date

    init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// What an approval is bound to: the message's content fingerprint and whether it is a resend.
    static func binding(contentFingerprint: String, resend: Bool) -> String {
        "\(contentFingerprint)|resend=\(resend)"
    }

    /// A new token for `binding`, valid for ``validity`` seconds, and when it expires.
    func issue(for binding: String) -> (token: String, expires: Date) {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<4).map { _ in String(format: "%08x", generator.next() as UInt32) }.joined()
        let expires = now().addingTimeInterval(Self.validity)
        pending.withLockedValue { tokens in
            let current = now()
            tokens = tokens.filter { $0.value.expires > current }
            tokens[token] = Pending(binding: binding, expires: expires)
        }
        return (token, expires)
    }

    /// Whether `token` was issued for `binding` and has not expired. A token is spent on its first
    /// presentation, whether it matched or not: a guessed or mismatched token cannot be retried.
    func redeem(_ token: String, for binding: String) -> Bool {
        let current = now()
        return pending.withLockedValue { tokens in
            guard let entry = tokens.removeValue(forKey: token) else { return false }
            return entry.binding == binding && entry.expires > current
        }
    }
}
