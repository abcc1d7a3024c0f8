/// The `REM-*` header fields of a REM message (ETSI EN 319 532-3 Tables 2–3, rem.md §1.3): how a REM
/// message is recognised (never by its Subject) and the keys that tie it to a sent message. They are
/// outside the S/MIME signature's reach only in part (the REMS signs the whole message), but the
/// evidence inside is what is individually signed, so readers compare the two.
package struct REMHeaders: Sendable, Equatable {
    package var messageType: REMMessageType?
    /// `REM-MessageType` as written, when it names no known type.
    package var messageTypeValue: String?
    package var event: REMEvent?
    /// `REM-ReasonIdentifier`'s last segment: `MessageNotConsignedForQuota`.
    package var reason: String?
    /// `REM-UAMessageIdentifier`: the sender user agent's own Message-ID, with angle brackets.
    package var uaMessageID: String?
    /// `REM-Evidence-ID`, with angle brackets as written.
    package var evidenceID: String?
    package var digestAlgorithm: String?
    /// `REM-DigestValue`: base64 digest of the original message as submitted.
    package var digestValue: String?

    /// Nil unless the message says it is REM: a `REM-MessageType` or `REM-EventIdentifier` field. A lone
    /// `REM-UAMessageIdentifier` (an original message the REMS rewrote) does not make a REM message.
    package init?(headers: HeaderFields) {
        func value(_ name: String) -> String? {
            headers.text(name).flatMap { $0.isEmpty ? nil : $0 }
        }
        let type = value("REM-MessageType")
        let event = value("REM-EventIdentifier")
        guard type != nil || event != nil else { return nil }
        if let type {
            let name = REMURI.lastSegment(type).lowercased()
            messageType = REMMessageType(rawValue: name)
            if messageType == nil { messageTypeValue = type }
        }
        self.event = event.map(REMEvent.init(rawValue:))
        reason = value("REM-ReasonIdentifier").map(REMURI.lastSegment)
        uaMessageID = value("REM-UAMessageIdentifier")
        evidenceID = value("REM-Evidence-ID")
        digestAlgorithm = value("REM-DigestAlgorithm")
        digestValue = value("REM-DigestValue")
    }

    /// The header fields that recognise a REM message and correlate it, for IMAP header fetches.
    package static let fieldNames = [
        "REM-MessageType", "REM-EventIdentifier", "REM-ReasonIdentifier", "REM-UAMessageIdentifier",
        "REM-Evidence-ID", "REM-DigestAlgorithm", "REM-DigestValue",
    ]
}
