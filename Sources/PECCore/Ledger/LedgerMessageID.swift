/// Message-IDs are stored with their angle brackets; users may type them with or without.
enum LedgerMessageID {
    /// `<local@domain>` from `local@domain` or `<local@domain>`, surrounding white space ignored.
    static func normalized(_ raw: String) throws(PECError) -> String {
        var core = Substring(raw.trimmingCharacters(in: .whitespacesAndNewlines))
        if core.count >= 2, core.hasPrefix("<"), core.hasSuffix(">") {
            core = core.dropFirst().dropLast()
        }
        guard !core.isEmpty, !core.contains(where: { $0 == "<" || $0 == ">" || $0.isWhitespace }) else {
            throw PECError(
                .invalidInput,
                "\(raw.debugDescription) is not a Message-ID",
                hint: "a Message-ID looks like <…@…>, with or without the angle brackets"
            )
        }
        return "<\(core)>"
    }
}
