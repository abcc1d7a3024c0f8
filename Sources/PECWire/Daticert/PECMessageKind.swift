import Foundation

/// What a message is in the PEC system, read from its `X-Ricevuta` / `X-Trasporto` header
/// (pec-standard.md §3–§4), or, for PEC's European successor REM, from its `REM-MessageType` /
/// `REM-EventIdentifier` header (rem.md §1.3). Ordinary mail has no kind. Values nobody documented
/// are kept verbatim in ``other(_:)`` rather than guessed.
public enum PECMessageKind: Hashable, Sendable {
    /// Busta di trasporto: a PEC received, the original inside as postacert.eml.
    case postaCertificata
    /// Busta di anomalia (`X-Trasporto: errore`): a message that failed the recipient provider's checks.
    case anomalia
    case accettazione
    case nonAccettazione
    case presaInCarico
    case avvenutaConsegna
    case erroreConsegna
    case preavvisoErroreConsegna
    case rilevazioneVirus
    /// A REM dispatch: the original inside (`rem_message/original`), like a PEC envelope.
    case remDispatch
    /// A REMS receipt or notification recording `REMEvent`: `rem-content-consignment-failure`.
    case remReceipt(REMEvent)
    case other(String)

    /// The wire value (also the JSON value), lower case: `avvenuta-consegna`, `posta-certificata` …
    public var rawValue: String {
        switch self {
        case .postaCertificata: "posta-certificata"
        case .anomalia: "anomalia"
        case .accettazione: "accettazione"
        case .nonAccettazione: "non-accettazione"
        case .presaInCarico: "presa-in-carico"
        case .avvenutaConsegna: "avvenuta-consegna"
        case .erroreConsegna: "errore-consegna"
        case .preavvisoErroreConsegna: "preavviso-errore-consegna"
        case .rilevazioneVirus: "rilevazione-virus"
        case .remDispatch: "rem-dispatch"
        case .remReceipt(let event): "rem-" + Self.kebab(event.rawValue)
        case .other(let value): value
        }
    }

    public init(rawValue: String) {
        let value = rawValue.trimmingCharacters(in: .whitespaces).lowercased()
        switch value {
        case "posta-certificata": self = .postaCertificata
        case "anomalia": self = .anomalia
        case "accettazione": self = .accettazione
        case "non-accettazione": self = .nonAccettazione
        case "presa-in-carico": self = .presaInCarico
        case "avvenuta-consegna": self = .avvenutaConsegna
        case "errore-consegna": self = .erroreConsegna
        case "preavviso-errore-consegna": self = .preavvisoErroreConsegna
        case "rilevazione-virus": self = .rilevazioneVirus
        case "rem-dispatch": self = .remDispatch
        default:
            if value.hasPrefix("rem-"),
                let event = REMEvent.known.first(where: { "rem-" + Self.kebab($0.rawValue) == value })
            {
                self = .remReceipt(event)
            } else {
                self = .other(value)
            }
        }
    }

    /// `RelayToNonERDSFailure` → `relay-to-non-erds-failure`: a new word at each capital that follows a
    /// lower-case letter, or that starts a word after an acronym.
    static func kebab(_ name: String) -> String {
        let characters = Array(name)
        var result = ""
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                if previous.isLowercase || (previous.isUppercase && next?.isLowercase == true) { result += "-" }
            }
            result += character.lowercased()
        }
        return result
    }

    /// Classifies by headers, never by Subject (pec-standard §15.2): `X-Ricevuta` first, then
    /// `X-Trasporto` (`posta-certificata`, or `errore` for an anomaly envelope), then the REM fields
    /// (``REMHeaders``: a dispatch, else the event of a receipt or notification).
    package init?(headers: HeaderFields) {
        if let receipt = headers.text("X-Ricevuta"), !receipt.isEmpty {
            self.init(rawValue: receipt)
        } else if let transport = headers.text("X-Trasporto")?.lowercased(), !transport.isEmpty {
            self = transport == "errore" ? .anomalia : PECMessageKind(rawValue: transport)
        } else if let rem = REMHeaders(headers: headers) {
            self.init(rem: rem)
        } else {
            return nil
        }
    }

    /// A REM message's kind: what its type and event fields say.
    package init(rem: REMHeaders) {
        switch (rem.messageType, rem.event) {
        case (.dispatch?, _), (.payload?, _): self = .remDispatch
        case (_, let event?): self = .remReceipt(event)
        case (let type?, nil): self = .other("rem-\(type.rawValue)")
        case (nil, nil): self = .other("rem-\(rem.messageTypeValue.map(REMURI.lastSegment) ?? "message")")
        }
    }

    /// A receipt or notice from a provider, as opposed to a message carried in an envelope.
    public var isReceipt: Bool {
        switch self {
        case .postaCertificata, .anomalia, .remDispatch: false
        default: true
        }
    }

    /// A REM (ETSI EN 319 532) message rather than a PEC one.
    public var isREM: Bool {
        switch self {
        case .remDispatch, .remReceipt: true
        case .other(let value): value.hasPrefix("rem-")
        default: false
        }
    }
}

extension PECMessageKind: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
