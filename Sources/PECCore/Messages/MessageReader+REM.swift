import Foundation

/// The REM side of ``MessageReader`` (ETSI EN 319 532-3, rem.md §1.3–§1.7): the evidence parts of a
/// REM message, each read and XAdES-checked, and what certifies the message as a REM one.
extension MessageReader {
    /// What the REM parts of one message say.
    struct REMReading {
        var details: REMDetails
        /// The evidence parts, in order (hidden among the attachments like PEC's certification files).
        var evidenceEntities: [MIMEEntity]
        /// The parsed evidence, in the order of ``evidenceEntities``; nil where a part could not be read.
        var evidence: [REMEvidence?]
        /// The `rem_message/original` part of a dispatch.
        var original: MIMEEntity?
        /// Why a REMS does not vouch for it, when something is wrong with the evidence.
        var problem: String?
        var warnings: [String] = []
    }

    static let remSectionHeader = "REM-Section-Type"

    /// Reads the REM parts under `signed` (the REMS's `multipart/signed`; without one, nothing is signed
    /// and the whole message is searched, so that a forged REM message still shows what it claims).
    static func readREM(
        headers: REMHeaders,
        scope: MIMEEntity,
        content: some MessageContent,
        trust: PECTrustStore
    ) -> REMReading {
        var details = REMDetails(
            messageType: headers.messageType,
            event: headers.event,
            reason: headers.reason,
            uaMessageID: headers.uaMessageID,
            evidenceID: headers.evidenceID,
            digest: headers.digestValue,
            digestAlgorithm: headers.digestAlgorithm
        )
        var reading = REMReading(details: details, evidenceEntities: [], evidence: [])
        reading.original = find(in: scope) { entity in
            entity.contentType.isMessage
                && (entity.headers.text(remSectionHeader)?.lowercased() == "rem_message/original"
                    || entity.headers.text(remSectionHeader) == nil)
        }
        var problems: [String] = []
        for entity in evidenceParts(in: scope) {
            let name = entity.filename ?? "evidence.xml"
            guard content.isHeld(entity) else {
                problems.append("its evidence \(name) is too large to be read")
                continue
            }
            let (summary, evidence) = REMEvidenceDetails.read(entity.decodedBody, filename: name, trust: trust)
            reading.evidenceEntities.append(entity)
            reading.evidence.append(evidence)
            details.evidence.append(summary)
            if let error = summary.error {
                problems.append("its evidence \(name) cannot be read (\(error))")
            } else if summary.signature.status != .valid {
                problems.append(
                    "the XAdES signature of its evidence \(name) is \(summary.signature.status.rawValue)"
                        + (summary.signature.reason.map { " (\($0))" } ?? "")
                )
            }
        }

        // The evidence the headers are about: the one recording the same event, else the first.
        let primaryIndex =
            reading.evidence.firstIndex { $0 != nil && $0?.event == headers.event }
            ?? reading.evidence.firstIndex { $0 != nil }
        let primary = primaryIndex.flatMap { reading.evidence[$0] }
        if let primary {
            if let event = headers.event, event != primary.event {
                problems.append(
                    "its REM-EventIdentifier says \(event.rawValue) but its signed evidence says \(primary.event.rawValue)"
                )
            }
            // The signed values win over the header fields, which are only repeated for mail filters.
            details.event = primary.event
            details.reason = primary.reason?.name ?? details.reason
            details.reasonCode = primary.reason?.code
            details.reasonText = primary.reason?.text
            details.remsMessageID = primary.messageIdentifier
            details.recipient = primary.recipient?.identifier
            if let signed = primary.appLayerIdentifier {
                if let header = headers.uaMessageID, header != signed {
                    reading.warnings.append(
                        "REM-UAMessageIdentifier says \(header) but the signed evidence says \(signed)"
                    )
                }
                details.uaMessageID = signed
            }
            if let signed = primary.digestValue {
                if let header = headers.digestValue, header != signed {
                    reading.warnings.append("REM-DigestValue says \(header) but the signed evidence says \(signed)")
                }
                details.digest = signed
            }
            if details.evidenceID == nil { details.evidenceID = primary.evidenceID.map { "<\($0)>" } }
        } else if headers.messageType != .notification, problems.isEmpty {
            // A dispatch or receipt carries 1..N evidence (EN 319 532-3 §4.3); a notification may carry none.
            problems.append("it has no ERDS evidence")
        }
        reading.details = details
        reading.problem = problems.first
        reading.warnings += problems.dropFirst()
        return reading
    }

    /// Why the REMS does not vouch for `reading`, or nil when it does: a valid S/MIME signature by the
    /// address in From, and every evidence read and validly XAdES-signed. PEC's gestore policy OID
    /// is not asked for: REM providers are trusted through their CA (EU trusted lists, `--ca-file`).
    static func remCertificationProblem(
        signature: SignatureCheck?,
        headers: HeaderFields,
        reading: REMReading
    ) -> String? {
        guard let signature, signature.status == .valid else {
            return "its REMS signature is \(signature?.status.rawValue ?? "unchecked")"
        }
        let from = PECAddress.mailboxes(inHeader: headers.text("From") ?? "").first.map(PECAddress.addrSpec)?
            .lowercased()
        guard let signer = signature.signerEmail?.lowercased(), signer == from else {
            return "it is signed by \(signature.signerEmail ?? "an unnamed signer"), not by its From address"
        }
        return reading.problem
    }

    /// The evidence documents: parts marked `rem_message/xml_evidence`, and, since recipients must read
    /// parts without the marking too (EN 319 532-3 §6.2.7), unmarked XML parts that are not daticert.xml.
    /// Never the parts of an enclosed message.
    static func evidenceParts(in root: MIMEEntity) -> [MIMEEntity] {
        var found: [MIMEEntity] = []
        func walk(_ entity: MIMEEntity) {
            if entity.isMultipart {
                entity.children.forEach(walk)
                return
            }
            guard !entity.contentType.isMessage else { return }
            let section = entity.headers.text(remSectionHeader)?.lowercased()
            let type = entity.contentType.mimeType
            if section == "rem_message/xml_evidence"
                || (section == nil && (type == "application/xml" || type == "text/xml")
                    && entity.filename?.lowercased() != "daticert.xml")
            {
                found.append(entity)
            }
        }
        walk(root)
        return found
    }
}

extension MessageReader {
    /// A standalone evidence file (`pec verify FILE.xml`): what it records and its own XAdES check. It is
    /// certified evidence of its event when it is read and its signature holds.
    static func readEvidence(_ bytes: [UInt8], filename: String, trust: PECTrustStore) -> MessageDetails {
        var details = MessageDetails()
        details.standard = .rem
        let (summary, evidence) = REMEvidenceDetails.read(bytes, filename: filename, trust: trust)
        details.signature = summary.signature
        details.date = summary.time
        details.subject = summary.subject
        details.from = summary.sender
        details.to = summary.recipients
        details.rem = REMDetails(
            event: summary.event,
            reason: summary.reason,
            reasonCode: summary.reasonCode,
            reasonText: summary.reasonText,
            uaMessageID: summary.uaMessageID,
            evidenceID: summary.evidenceID,
            remsMessageID: summary.remsMessageID,
            digest: summary.digest,
            digestAlgorithm: evidence?.digestAlgorithm,
            recipient: summary.recipient,
            evidence: [summary]
        )
        if let error = summary.error { details.warnings.append("the evidence cannot be read: \(error)") }
        if let evidence {
            if summary.signature.status == .valid {
                details.pecType = .remReceipt(evidence.event)
            } else {
                details.claimedPECType = .remReceipt(evidence.event)
                details.warnings.append(
                    "claims to be REM \(evidence.event.rawValue) evidence but its XAdES signature is "
                        + "\(summary.signature.status.rawValue)"
                        + (summary.signature.reason.map { " (\($0))" } ?? "") + ": not certified evidence"
                )
            }
        }
        return details
    }

    /// Whether a file's first bytes are XML (an evidence document) rather than a message: a message
    /// starts with a header field name, never with `<`.
    static func looksLikeXML(_ prefix: some Collection<UInt8>) -> Bool {
        var bytes = prefix[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        return bytes.first { ![0x20, 0x09, 0x0D, 0x0A].contains($0) } == UInt8(ascii: "<")
    }
}
