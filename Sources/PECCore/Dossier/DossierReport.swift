import Foundation

/// `report.json` of an evidence dossier (`pec evidence`): what was sent, to whom, and the receipts that
/// prove what became of it, each with its signature check. Versioned: `pec evidence verify` reads every
/// ``version`` up to ``currentVersion``, so a dossier made by an older `pec` stays verifiable.
public struct DossierReport: Codable, Sendable, Equatable {
    public static let formatName = "pec-evidence-dossier"
    public static let currentVersion = 1

    public var format: String = Self.formatName
    public var version: Int = Self.currentVersion
    /// `sent` (the message and its receipts) or `received` (a transport envelope as received).
    public var direction: Direction
    /// `pec 0.1.0`.
    public var tool: String
    /// When the report was made (ISO 8601, UTC).
    public var generatedAt: String
    public var message: Message
    /// Every recipient has a certified delivery or failure receipt in the dossier.
    public var complete: Bool
    public var recipients: [Recipient]
    /// In the order of the files' numbers.
    public var receipts: [Receipt]
    /// For a received message: the transport envelope and its check.
    public var envelope: Envelope? = nil
    public var warnings: [String] = []

    public enum Direction: String, Codable, Sendable {
        case sent, received
    }

    public struct Message: Codable, Sendable, Equatable {
        public var messageID: String
        public var identificativo: String?
        public var from: String?
        public var to: [String] = []
        public var cc: [String] = []
        public var subject: String?
        /// The Date header, as written.
        public var date: String?
        /// The delivery receipt kind the send asked for (`completa`, `breve`, `sintetica`); nil: the provider's default.
        public var receiptType: String?
        /// The file in the dossier (`01-messaggio-inviato.eml`), nil when the message as sent was not kept.
        public var file: String?
        public var size: Int?
        public var sha256: String?
        public var attachments: [Attachment] = []

        enum CodingKeys: String, CodingKey {
            case messageID = "message_id"
            case identificativo, from, to, cc, subject, date
            case receiptType = "receipt_type"
            case file, size, sha256, attachments
        }
    }

    public struct Attachment: Codable, Sendable, Equatable {
        public var filename: String
        public var size: Int?
        public var sha256: String?
    }

    public struct Recipient: Codable, Sendable, Equatable {
        public var address: String
        /// `delivered`, `failed`, or where it stands without a final receipt (`accepted`, `relayed`, `pending`).
        public var status: TrackingStatus
        /// The receipt that proves the status: a file of ``DossierReport/receipts``.
        public var proof: String?
        public var errore: String?
        public var erroreEsteso: String?

        enum CodingKeys: String, CodingKey {
            case address, status, proof, errore
            case erroreEsteso = "errore_esteso"
        }
    }

    public struct Receipt: Codable, Sendable, Equatable {
        public var file: String
        public var kind: ReceiptEventKind
        /// `pec` or `rem`.
        public var standard: CertifiedMailStandard
        /// The signed kind: `avvenuta-consegna`, `rem-content-consignment`.
        public var pecType: String?
        public var recipient: String?
        /// The gestore's time of the event (daticert, or the REM evidence's EventTime).
        public var at: String?
        public var gestore: String?
        public var identificativo: String?
        /// The Message-ID the receipt is about, as it signed it (daticert `msgid`, REM `AppLayerIdentifier`).
        public var refersTo: String?
        public var errore: String?
        public var erroreEsteso: String?
        /// For a delivery receipt: `completa`, `breve` or `sintetica` (daticert `ricevuta/@tipo`).
        public var receiptType: String?
        public var size: Int
        public var sha256: String
        public var signature: SignatureCheck
        /// The signer's certificate, then each issuer up to the trust anchor.
        public var chain: [CertificateSummary] = []

        enum CodingKeys: String, CodingKey {
            case file, kind, standard
            case pecType = "pec_type"
            case recipient, at, gestore, identificativo
            case refersTo = "refers_to"
            case errore
            case erroreEsteso = "errore_esteso"
            case receiptType = "receipt_type"
            case size, sha256, signature, chain
        }
    }

    /// A received message's transport envelope (busta di trasporto) or REM dispatch.
    public struct Envelope: Codable, Sendable, Equatable {
        public var file: String
        public var standard: CertifiedMailStandard
        /// The certified kind (`posta-certificata`, `rem-dispatch`); nil when it is not certified.
        public var pecType: String?
        /// The gestore's time (daticert).
        public var at: String?
        public var gestore: String?
        public var identificativo: String?
        public var size: Int
        public var sha256: String
        public var signature: SignatureCheck
        public var chain: [CertificateSummary] = []

        enum CodingKeys: String, CodingKey {
            case file, standard
            case pecType = "pec_type"
            case at, gestore, identificativo, size, sha256, signature, chain
        }
    }

    enum CodingKeys: String, CodingKey {
        case format, version, direction, tool
        case generatedAt = "generated_at"
        case message, complete, recipients, receipts, envelope, warnings
    }
}

/// One certificate of a signature's chain, as a report shows it.
public struct CertificateSummary: Codable, Sendable, Equatable {
    /// RFC 2253.
    public var subject: String
    public var issuer: String
    /// Hexadecimal, upper case.
    public var serial: String
    public var notBefore: String
    public var notAfter: String

    enum CodingKeys: String, CodingKey {
        case subject, issuer, serial
        case notBefore = "not_before"
        case notAfter = "not_after"
    }
}
