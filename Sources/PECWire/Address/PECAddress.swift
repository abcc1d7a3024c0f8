/// An e-mail address as PEC uses it: `dot-atom "@" hostname`, ASCII only, within the RFC 5321
/// lengths. The package's one address grammar: the sender and recipients of a message, the address
/// of an account and the entries of an allowed-recipients list are all checked here, and the
/// address headers of a received message are split here.
///
///     dot-atom = 1*atext *("." 1*atext)   ; atext = ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~"
///     hostname = label *("." label)       ; label = ALPHA / DIGIT / "-" (not at either end)
///
/// Quoted local parts and domain literals (`"a b"@x.it`, `a@[10.0.0.1]`) are valid RFC 5322 but
/// never PEC addresses, so they are refused rather than half supported.
package struct PECAddress: Hashable, Sendable, CustomStringConvertible {
    /// What is before the `@`, as given (local parts are case-sensitive in principle).
    package let localPart: String
    /// What is after the `@`, as given.
    package let domain: String

    /// RFC 5321 §4.5.3.1.3: a path is at most 256 octets, angle brackets included.
    package static let maximumLength = 254
    /// RFC 5321 §4.5.3.1.1.
    package static let maximumLocalPartLength = 64
    /// RFC 1035 §2.3.4.
    package static let maximumLabelLength = 63

    package var description: String { localPart + "@" + domain }

    /// Whether the domain has more than one label (`pec.it`, not `localhost`), as a mailbox one logs
    /// in to always has.
    package var hasQualifiedDomain: Bool { domain.contains(".") }

    /// Parses `text`, which must be the bare address: no display name, no angle brackets, no spaces.
    package init(_ text: String) throws(Invalid) {
        let bytes = Array(text.utf8)
        if bytes.isEmpty { throw .empty }
        if bytes.contains(where: { $0 == 0x0D || $0 == 0x0A }) { throw .lineBreak }
        if bytes.contains(0) { throw .nul }
        if bytes.contains(where: { $0 == 0x20 || $0 == 0x09 }) { throw .spaces }
        if bytes.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }) { throw .angleBrackets }
        if bytes.count > Self.maximumLength { throw .tooLong }
        if bytes.contains(where: { $0 >= 0x80 }) { throw .nonASCII }
        let parts = bytes.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
        guard parts.count >= 2 else { throw .noAt }
        guard parts.count == 2 else { throw .severalAts }
        let (local, domain) = (parts[0], parts[1])
        if local.isEmpty { throw .emptyLocalPart }
        if domain.isEmpty { throw .emptyDomain }
        if local.count > Self.maximumLocalPartLength { throw .localPartTooLong }
        for atom in local.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            if atom.isEmpty { throw .emptyLocalAtom }
            if let bad = atom.first(where: { !Self.isAtext($0) }) {
                throw .localCharacter(Character(Unicode.Scalar(bad)))
            }
        }
        try Self.checkHostname(domain)
        localPart = String(decoding: local, as: UTF8.self)
        self.domain = String(decoding: domain, as: UTF8.self)
    }

    /// Whether `text` is a valid address (see ``init(_:)``).
    package static func isValid(_ text: String) -> Bool {
        (try? PECAddress(text)) != nil
    }

    /// Why a text is not an address. ``problem`` completes a sentence that names the address
    /// ("From address "x" …"); ``hint`` is set where the usual advice (a plain address) does not fit.
    package enum Invalid: Error, Sendable, Equatable {
        case empty, lineBreak, nul, spaces, angleBrackets, tooLong, nonASCII, noAt, severalAts
        case emptyLocalPart, emptyDomain, localPartTooLong, emptyLocalAtom, localCharacter(Character)
        case emptyLabel, domainCharacter(Character), hyphenAtLabelEdge, labelTooLong

        package var problem: String {
            switch self {
            case .empty: "is empty"
            case .lineBreak: "contains a line break"
            case .nul: "contains a NUL character"
            case .spaces: "contains spaces"
            case .angleBrackets: "contains < or >"
            case .tooLong: "is longer than \(PECAddress.maximumLength) characters"
            case .nonASCII: "contains non-ASCII characters"
            case .noAt: "has no @"
            case .severalAts: "has more than one @"
            case .emptyLocalPart: "has nothing before the @"
            case .emptyDomain: "has no domain after the @"
            case .localPartTooLong:
                "has a part before the @ longer than \(PECAddress.maximumLocalPartLength) characters"
            case .emptyLocalAtom: "has an empty part between dots before the @"
            case .localCharacter(let bad): "contains \(PECAddress.quoted(String(bad))) before the @"
            case .emptyLabel: "has an empty label in its domain"
            case .domainCharacter(let bad): "contains \(PECAddress.quoted(String(bad))) in its domain"
            case .hyphenAtLabelEdge: "has a domain label starting or ending with -"
            case .labelTooLong: "has a domain label longer than \(PECAddress.maximumLabelLength) characters"
            }
        }

        package var hint: String? {
            switch self {
            case .angleBrackets: "Give the bare address, without a display name or angle brackets."
            case .nonASCII: "PEC addresses are ASCII; write an international domain in its xn-- form."
            default: nil
            }
        }
    }

    // MARK: - Allowed-recipient entries

    /// An entry of an allowed-recipients list: a whole address (`nome@dominio.it`) or every address
    /// of a domain (`@dominio.it`). Either needs a domain of two labels or more, or `localhost`, so a
    /// typo such as `@pec` is refused when the list is read rather than matching nobody.
    package enum RecipientPattern: Hashable, Sendable {
        case address(PECAddress)
        case domain(String)

        /// nil when `entry` is neither form.
        package init?(_ entry: String) {
            let domain: String
            if entry.hasPrefix("@") {
                domain = String(entry.dropFirst())
                guard (try? PECAddress.checkHostname(Array(domain.utf8)[...])) != nil else { return nil }
                self = .domain(domain)
            } else {
                guard let address = try? PECAddress(entry) else { return nil }
                domain = address.domain
                self = .address(address)
            }
            guard domain.contains(".") || domain.lowercased() == "localhost" else { return nil }
        }

        /// Whether `address` is this address, or in this domain (not in a subdomain); case-insensitive.
        package func matches(_ address: String) -> Bool {
            let address = address.lowercased()
            switch self {
            case .address(let allowed): return address == allowed.description.lowercased()
            case .domain(let domain): return address.hasSuffix("@" + domain.lowercased())
            }
        }
    }

    // MARK: - Address headers

    /// The mailboxes of an address header's value (`"Rossi, Mario" <m@x.it>, a@b.it`), split on the
    /// commas outside quotes and angle brackets, trimmed, empty ones dropped. They are not checked:
    /// a received header is shown as the sender wrote it.
    package static func mailboxes(inHeader value: String) -> [String] {
        var result: [String] = []
        var current = ""
        var quoted = false
        var angle = 0
        for character in value {
            switch character {
            case "\"": quoted.toggle()
            case "<": angle += 1
            case ">": angle = max(0, angle - 1)
            case "," where !quoted && angle == 0:
                result.append(current)
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        result.append(current)
        return result.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The addr-spec of a mailbox: `a@b.it` from `"Name" <a@b.it>` or from `a@b.it`.
    package static func addrSpec(ofMailbox mailbox: String) -> String {
        if let open = mailbox.lastIndex(of: "<"), let close = mailbox[open...].firstIndex(of: ">") {
            return String(mailbox[mailbox.index(after: open)..<close]).trimmingCharacters(in: .whitespaces)
        }
        return mailbox.trimmingCharacters(in: .whitespaces)
    }

    // MARK: - Display

    /// `text` in double quotes with control characters, `"` and `\` escaped, so that a bad address
    /// cannot itself break the terminal or the JSON line that reports it.
    package static func quoted(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r": output += "\\r"
            case "\n": output += "\\n"
            case "\t": output += "\\t"
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    output += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output + "\""
    }

    // MARK: - Grammar

    private static func checkHostname(_ domain: ArraySlice<UInt8>) throws(Invalid) {
        if domain.isEmpty { throw .emptyDomain }
        for label in domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            if label.isEmpty { throw .emptyLabel }
            if let bad = label.first(where: { !isAlphanumeric($0) && $0 != UInt8(ascii: "-") }) {
                throw .domainCharacter(Character(Unicode.Scalar(bad)))
            }
            if label.first == UInt8(ascii: "-") || label.last == UInt8(ascii: "-") { throw .hyphenAtLabelEdge }
            if label.count > maximumLabelLength { throw .labelTooLong }
        }
    }

    private static let atextSymbols = Set("!#$%&'*+-/=?^_`{|}~".utf8)

    private static func isAtext(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || atextSymbols.contains(byte)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
