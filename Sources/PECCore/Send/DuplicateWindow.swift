import Foundation

/// How long after a send the same content (``ComposedMessage/contentFingerprint``) is refused
/// again without `--resend`: the Message-ID changes every minute, so a script re-run or an agent's
/// retry a minute later would otherwise send a second PEC. `PEC_DUPLICATE_WINDOW`, 24 hours by default.
public struct DuplicateWindow: Sendable, Equatable {
    /// Seconds; 0 turns the check off.
    public var seconds: TimeInterval

    public static let `default` = DuplicateWindow(seconds: 24 * 3600)
    public static let off = DuplicateWindow(seconds: 0)

    public init(seconds: TimeInterval) {
        self.seconds = seconds
    }

    public var isOff: Bool { seconds <= 0 }

    /// `PEC_DUPLICATE_WINDOW`: a whole number of seconds, or one with a unit (`90s`, `30m`, `24h`,
    /// `7d`); `0` turns the check off; unset or empty is the default.
    public init(environment: [String: String]) throws(PECError) {
        guard let text = environment["PEC_DUPLICATE_WINDOW"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty
        else {
            self = .default
            return
        }
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var digits = Substring(text)
        var unit: TimeInterval = 1
        if let last = digits.last, let multiplier = units[Character(last.lowercased())] {
            unit = multiplier
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
            let count = Int(digits), count <= 3650 * 86400
        else {
            throw PECError(
                .usage,
                "PEC_DUPLICATE_WINDOW must be a whole number of seconds or one with a unit (90s, 30m, 24h, 7d), "
                    + "0 to turn the check off; not \(text.debugDescription)",
                hint: "unset it for the default (24h)"
            )
        }
        self.seconds = TimeInterval(count) * unit
    }
}
