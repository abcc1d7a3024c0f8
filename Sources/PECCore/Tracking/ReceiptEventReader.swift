import Foundation

/// Reads one raw receipt into the events it records, with the same reader `pec get --verify` and
/// `pec trace --verify` use: classification by headers and daticert, gestore signature, trust.
struct ReceiptEventReader: Sendable {
    let reader: MessageReader

    init(trust: PECTrustStore) {
        reader = MessageReader(trust: trust, options: .init(certification: true, signature: true))
    }

    /// What one receipt says, before it is tied to a sent message.
    struct Reading: Sendable {
        /// The events, with `messageID` set to ``reference`` (empty when there is none).
        var events: [TrackingEvent]
        /// The original's Message-ID: from the signed daticert when there is one (the outer
        /// X-Riferimento-Message-ID header is outside the signature), else from that header.
        var reference: String?
        var identificativo: String?
    }

    /// Nil when the message is not a receipt (an envelope, ordinary mail).
    func read(_ content: some MessageContent, account: String, evidence: ReceiptEvidence, now: Date) throws
        -> Reading?
    {
        let details = try reader.read(content).details
        guard let claimed = details.pecType ?? details.claimedPECType, let kind = ReceiptEventKind(claimed) else {
            return nil
        }
        let headers = content.message.headers
        let trusted = details.pecType != nil
        let daticert = details.pecCert
        var warnings = details.warnings
        let header = headers.text("X-Riferimento-Message-ID").flatMap { try? LedgerMessageID.normalized($0) }
        let signed = daticert?.msgid.flatMap { try? LedgerMessageID.normalized($0) }
        if let header, let signed, header != signed {
            warnings.append("X-Riferimento-Message-ID says \(header) but the signed daticert.xml says \(signed)")
        }
        let reference = signed ?? header
        let at =
            daticert?.data.date ?? headers.text("Date").flatMap(MailDate.init(parsing:))?.date ?? now
        let recipients: [String?] =
            switch kind {
            case .relay: daticert.map { $0.ricezione.isEmpty ? [nil] : $0.ricezione.map { Optional($0) } } ?? [nil]
            case .acceptance, .nonAcceptance: [nil]
            default: [daticert?.consegna]
            }
        let external = kind == .acceptance ? daticert?.destinatari.filter(\.isExternal).map(\.address) : nil
        let events = recipients.map { recipient in
            TrackingEvent(
                kind: kind,
                messageID: reference ?? "",
                account: account,
                recipient: recipient,
                at: at,
                recordedAt: now,
                gestore: daticert?.gestoreEmittente,
                identificativo: daticert?.identificativo,
                errore: daticert.flatMap { $0.errore.lowercased() == "nessuno" ? nil : $0.errore },
                erroreEsteso: daticert?.erroreEsteso,
                trusted: trusted,
                signature: details.signature,
                externalRecipients: external.flatMap { $0.isEmpty ? nil : $0 },
                evidence: evidence,
                warnings: warnings.isEmpty ? nil : warnings
            )
        }
        return Reading(events: events, reference: reference, identificativo: daticert?.identificativo)
    }
}
