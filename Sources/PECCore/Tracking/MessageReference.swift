import Foundation

/// A sent message as a user, a receipt or the ledger names it: its Message-ID, or the identificativo
/// its gestore gave it. The one place a typed or received id is checked and normalised (`trace`,
/// `status`, the ledger, the receipt reader).
public enum MessageReference: Sendable, Hashable {
    /// A Message-ID, always with its angle brackets: `<local@domain>`.
    case messageID(String)
    /// A PEC identificativo (`opec…`), without angle brackets.
    case identificativo(String)

    /// From what a user typed: `<…>` optional, surrounding white space ignored. Gestori number their
    /// messages `opec…` (Aruba, and the sandbox); anything else is taken as a Message-ID (the ledger
    /// maps the identificativi it knows).
    public init(_ text: String) throws(PECError) {
        let bare = try Self.bare(text)
        self = bare.lowercased().hasPrefix("opec") ? .identificativo(bare) : .messageID("<\(bare)>")
    }

    /// The text itself: the Message-ID with brackets, or the identificativo.
    public var text: String {
        switch self {
        case .messageID(let value), .identificativo(let value): value
        }
    }

    /// `<local@domain>` from `local@domain` or `<local@domain>`: how Message-IDs are stored and compared.
    public static func normalizedMessageID(_ text: String) throws(PECError) -> String {
        "<\(try bare(text))>"
    }

    /// Without surrounding space and angle brackets; at most 998 characters (a header line), no
    /// control characters, no white space and no `<`, `>` or `"` inside.
    static func bare(_ text: String) throws(PECError) -> String {
        var value = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if value.count >= 2, value.hasPrefix("<"), value.hasSuffix(">") {
            value = value.dropFirst().dropLast()
        }
        let forbidden = value.unicodeScalars.contains {
            $0.value < 0x21 || $0.value == 0x7F || $0.properties.isWhitespace || "<>\"".unicodeScalars.contains($0)
        }
        guard !value.isEmpty, value.count <= 998, !forbidden else {
            throw PECError(
                .invalidInput,
                "\(text.debugDescription) is not a Message-ID or a PEC identificativo",
                hint: "give the id `pec send` printed, e.g. <…@…>, or an identificativo like opec…"
            )
        }
        return String(value)
    }
}
