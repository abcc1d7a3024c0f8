import Foundation

/// Reads one raw receipt into the events it records, with the same reader `pec get --verify` uses:
/// classification by headers and daticert, gestore signature, trust. `sync`, `watch` and `trace`
/// all read receipts here, so they agree on what a receipt says and whether it is believed.
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
        /// A REM receipt's `REM-DigestValue` / evidence digest (base64 SHA-256 of the original as
        /// submitted), checked against the ledger's digest of the sent bytes when it has one.
        var remDigest: String?
        /// What the receipt is, as certified (nil when it is not): `avvenuta-consegna`, `rem-content-consignment`.
        var certifiedKind: PECMessageKind? = nil
        var standard: CertifiedMailStandard = .pec
        /// A PEC delivery receipt's `ricevuta/@tipo`: `completa`, `breve`, `sintetica`.
        var receiptType: String? = nil
        /// ``reference`` comes from the signed daticert or evidence, not from an outer header.
        var referenceIsSigned = false
        /// The recipients and the sender as the signed daticert (or evidence) names them.
        var signedRecipients: [String] = []
        var signedSender: String? = nil
    }

    /// Nil when the message is not a receipt (an envelope, ordinary mail).
    func read(_ content: some MessageContent, account: String, evidence: ReceiptEvidence, now: Date) throws
        -> Reading?
    {
        let details = try reader.read(content).details
        guard let claimed = details.pecType ?? details.claimedPECType, let kind = ReceiptEventKind(claimed) else {
            return nil
        }
        var reading = try readDetails(
            details,
            kind: kind,
            content: content,
            account: account,
            evidence: evidence,
            now: now
        )
        reading.certifiedKind = details.pecType
        reading.standard = details.standard
        reading.receiptType = kind == .delivery ? details.pecCert?.ricevutaTipo : nil
        return reading
    }

    private func readDetails(
        _ details: MessageDetails,
        kind: ReceiptEventKind,
        content: some MessageContent,
        account: String,
        evidence: ReceiptEvidence,
        now: Date
    ) throws -> Reading {
        if let rem = details.rem {
            return Self.remReading(
                kind,
                rem: rem,
                headers: content.message.headers,
                trusted: details.pecType != nil,
                signature: details.signature,
                warnings: details.warnings,
                account: account,
                evidence: evidence,
                now: now
            )
        }
        return Self.reading(
            kind,
            headers: content.message.headers,
            daticert: details.pecCert,
            trusted: details.pecType != nil,
            signature: details.signature,
            warnings: details.warnings,
            account: account,
            evidence: evidence,
            now: now
        )
    }

    /// `trace --no-verify`: what a receipt's headers and daticert.xml claim, without its bytes or
    /// signature. Never trusted, so it never changes a status. Nil when it claims no receipt kind.
    static func glance(
        headers: HeaderFields,
        daticert: Daticert?,
        account: String,
        evidence: ReceiptEvidence,
        now: Date
    ) -> Reading? {
        guard let claimed = PECClassification(headers: headers, daticert: daticert).kind,
            let kind = ReceiptEventKind(claimed)
        else { return nil }
        if let rem = REMHeaders(headers: headers), claimed.isREM {
            return remReading(
                kind,
                rem: REMDetails(
                    messageType: rem.messageType,
                    event: rem.event,
                    reason: rem.reason,
                    uaMessageID: rem.uaMessageID,
                    evidenceID: rem.evidenceID,
                    digest: rem.digestValue
                ),
                headers: headers,
                trusted: false,
                signature: nil,
                warnings: ["not verified: only the headers were read (--no-verify)"],
                account: account,
                evidence: evidence,
                now: now
            )
        }
        return reading(
            kind,
            headers: headers,
            daticert: daticert,
            trusted: false,
            signature: nil,
            warnings: ["not verified: only the headers and daticert.xml were read (--no-verify)"],
            account: account,
            evidence: evidence,
            now: now
        )
    }

    private static func reading(
        _ kind: ReceiptEventKind,
        headers: HeaderFields,
        daticert: Daticert?,
        trusted: Bool,
        signature: SignatureCheck?,
        warnings: [String],
        account: String,
        evidence: ReceiptEvidence,
        now: Date
    ) -> Reading {
        var warnings = warnings
        let header = headers.text("X-Riferimento-Message-ID").flatMap {
            try? MessageReference.normalizedMessageID($0)
        }
        let signed = daticert?.msgid.flatMap { try? MessageReference.normalizedMessageID($0) }
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
                errore: daticert?.failure,
                erroreEsteso: daticert?.erroreEsteso,
                trusted: trusted,
                signature: signature,
                externalRecipients: external.flatMap { $0.isEmpty ? nil : $0 },
                evidence: evidence,
                warnings: warnings.isEmpty ? nil : warnings
            )
        }
        var reading = Reading(events: events, reference: reference, identificativo: daticert?.identificativo)
        reading.referenceIsSigned = signed != nil
        reading.signedRecipients = daticert?.destinatari.map(\.address) ?? []
        reading.signedSender = daticert?.mittente
        return reading
    }

    /// A REM receipt's events (rem.md §1.6): tied to the sent message by the signed evidence's
    /// `AppLayerIdentifier` (else `REM-UAMessageIdentifier`), about the recipient the evidence's
    /// `EvidenceRefersToRecipient` designates, else every recipient it lists; the reason code and
    /// text of a failure in `errore` / `errore_esteso`.
    private static func remReading(
        _ kind: ReceiptEventKind,
        rem: REMDetails,
        headers: HeaderFields,
        trusted: Bool,
        signature: SignatureCheck?,
        warnings: [String],
        account: String,
        evidence: ReceiptEvidence,
        now: Date
    ) -> Reading {
        let reference = rem.uaMessageID.flatMap { try? MessageReference.normalizedMessageID($0) }
        let primary = rem.evidence.first { $0.event == rem.event } ?? rem.evidence.first
        let at =
            primary?.time.flatMap(Self.isoDate) ?? headers.text("Date").flatMap(MailDate.init(parsing:))?.date ?? now
        let recipients: [String?] =
            switch kind {
            case .acceptance, .nonAcceptance: [nil]
            default:
                if let one = rem.recipient {
                    [one]
                } else if kind == .relay {
                    [nil]  // about all recipients, as a PEC presa in carico without ricezione
                } else if let all = primary?.recipients, !all.isEmpty {
                    all.map { Optional($0) }
                } else {
                    [nil]
                }
            }
        let failed = rem.event?.isFailure == true
        let from = PECAddress.mailboxes(inHeader: headers.text("From") ?? "").first.map(PECAddress.addrSpec)
        let events = recipients.map { recipient in
            TrackingEvent(
                kind: kind,
                messageID: reference ?? "",
                account: account,
                recipient: recipient,
                at: at,
                recordedAt: now,
                gestore: from,
                identificativo: rem.remsMessageID,
                errore: failed ? rem.reasonCode ?? rem.reason : nil,
                erroreEsteso: failed ? rem.reasonText ?? rem.reason : nil,
                trusted: trusted,
                signature: signature,
                remEvent: rem.event,
                evidence: evidence,
                warnings: warnings.isEmpty ? nil : warnings
            )
        }
        var reading = Reading(
            events: events,
            reference: reference,
            identificativo: rem.remsMessageID,
            remDigest: rem.digest
        )
        reading.referenceIsSigned = rem.evidence.contains {
            $0.uaMessageID.flatMap { try? MessageReference.normalizedMessageID($0) } == reference && reference != nil
        }
        reading.signedRecipients = primary?.recipients ?? []
        reading.signedSender = primary?.sender
        return reading
    }

    private static func isoDate(_ text: String) -> Date? {
        ISO8601DateFormatter().date(from: text)
    }
}
