import Foundation

/// What a message is in the PEC system, read from its `X-Ricevuta` / `X-Trasporto` header
/// (pec-standard.md §3–§4). Ordinary mail has no kind. Values nobody documented are kept verbatim
/// in ``other(_:)`` rather than guessed.
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
        default: self = .other(value)
        }
    }

    /// Classifies by headers, never by Subject (pec-standard §15.2): `X-Ricevuta` first, then
    /// `X-Trasporto` (`posta-certificata`, or `errore` for an anomaly envelope).
    package init?(headers: HeaderFields) {
        if let receipt = headers.text("X-Ricevuta"), !receipt.isEmpty {
            self.init(rawValue: receipt)
        } else if let transport = headers.text("X-Trasporto")?.lowercased(), !transport.isEmpty {
            self = transport == "errore" ? .anomalia : PECMessageKind(rawValue: transport)
        } else {
            return nil
        }
    }

    /// A receipt or notice from a provider, as opposed to a message carried in an envelope.
    public var isReceipt: Bool {
        switch self {
        case .postaCertificata, .anomalia: false
        default: true
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
