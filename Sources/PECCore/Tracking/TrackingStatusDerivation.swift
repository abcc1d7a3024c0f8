import Foundation

/// Derives statuses from events: pure, so `status`, `sync` and `watch` agree and it is tested alone.
///
/// Only trusted events (signed by a PEC gestore) count; the others are shown, never believed.
/// Deadlines are computed from `now`, never stored over the message: a later receipt simply wins.
public struct TrackingStatusDerivation: Sendable {
    public var settings: TrackingSettings
    public var now: Date

    public init(settings: TrackingSettings, now: Date) {
        self.settings = settings
        self.now = now
    }

    /// One message's standing. `send` is the ledger's record (nil for a message pec did not send);
    /// `events` are that message's events in any order.
    public func message(
        _ messageID: String,
        send: LedgerSend?,
        events: [TrackingEvent],
        includeEvents: Bool
    ) -> TrackedMessage {
        let facts = Facts(events: events)
        let sentAt = send.map(\.lastAttemptAt)
        let recipients = recipientAddresses(send: send, facts: facts).map { recipient($0, sentAt: sentAt, facts) }
        let acceptanceDeadline = sentAt.map { $0.addingTimeInterval(settings.acceptanceTimeout) }
        let acceptanceOverdue =
            facts.acceptance == nil && facts.nonAcceptance == nil
            && acceptanceDeadline.map { now >= $0 } == true
        var overdue: [TrackingDeadline] = acceptanceOverdue ? [.acceptance] : []
        for deadline in [TrackingDeadline.deliveryWarning, .deliveryFailure]
        where recipients.contains(where: { $0.overdue == deadline }) {
            overdue.append(deadline)
        }
        var tracked = TrackedMessage(
            messageID: messageID,
            account: send?.account ?? events.first?.account,
            subject: send?.subject,
            sentAt: sentAt,
            sendStatus: send?.status,
            identificativo: send?.identificativo ?? facts.trusted.compactMap(\.identificativo).first,
            status: messageStatus(facts: facts, recipients: recipients, acceptanceOverdue: acceptanceOverdue),
            overdue: overdue,
            acceptanceDeadline: facts.acceptance == nil && facts.nonAcceptance == nil ? acceptanceDeadline : nil,
            recipients: recipients,
            events: includeEvents ? events.sorted { $0.seq < $1.seq } : nil,
            untrustedEvents: events.count { !$0.trusted && $0.kind != .timeout }
        )
        tracked.ref = send?.ref ?? events.lazy.compactMap(\.ref).first
        return tracked
    }

    /// The deadlines of `tracked` that have passed, as the timeout events `watch` and `sync` record.
    public func passedDeadlines(_ tracked: TrackedMessage, acceptedAt: Date?) -> [PassedDeadline] {
        var passed: [PassedDeadline] = []
        if tracked.overdue.contains(.acceptance), let deadline = tracked.sentAt {
            passed.append(
                PassedDeadline(
                    messageID: tracked.messageID,
                    recipient: nil,
                    deadline: .acceptance,
                    at: deadline.addingTimeInterval(settings.acceptanceTimeout)
                )
            )
        }
        guard let acceptedAt else { return passed }
        for recipient in tracked.recipients {
            // The failure window passed also means the warning window did: both are reported, in order.
            let deadlines: [TrackingDeadline] =
                switch recipient.overdue {
                case .deliveryFailure?: [.deliveryWarning, .deliveryFailure]
                case .deliveryWarning?: [.deliveryWarning]
                default: []
                }
            for deadline in deadlines {
                passed.append(
                    PassedDeadline(
                        messageID: tracked.messageID,
                        recipient: recipient.address,
                        deadline: deadline,
                        at: acceptedAt.addingTimeInterval(settings.interval(deadline))
                    )
                )
            }
        }
        return passed
    }

    /// When the next deadline of this message falls after `now`, if one can.
    public func nextDeadline(_ tracked: TrackedMessage, acceptedAt: Date?) -> Date? {
        if let deadline = tracked.acceptanceDeadline, deadline > now { return deadline }
        guard let acceptedAt else { return nil }
        let waiting = tracked.recipients.contains { !$0.status.isFinal && !$0.external && $0.status != .timedOut }
        guard waiting else { return nil }
        return [TrackingDeadline.deliveryWarning, .deliveryFailure]
            .map { acceptedAt.addingTimeInterval(settings.interval($0)) }
            .first { $0 > now }
    }

    // MARK: - Rules

    /// The trusted events that decide, picked out once.
    struct Facts {
        var trusted: [TrackingEvent]
        var acceptance: TrackingEvent?
        var nonAcceptance: TrackingEvent?
        var external: Set<String>

        init(events: [TrackingEvent]) {
            trusted = events.filter { $0.trusted && $0.kind != .timeout }.sorted { ($0.at, $0.seq) < ($1.at, $1.seq) }
            acceptance = trusted.first { $0.kind == .acceptance }
            nonAcceptance = trusted.first { $0.kind == .nonAcceptance }
            external = Set(trusted.flatMap { $0.externalRecipients ?? [] }.map { $0.lowercased() })
        }

        func last(_ kind: ReceiptEventKind, for address: String) -> TrackingEvent? {
            trusted.last { $0.kind == kind && $0.recipient?.lowercased() == address.lowercased() }
        }

        /// A relay or virus notice names its recipients only sometimes; without one it is about all of them.
        func last(_ kind: ReceiptEventKind, aboutOrAll address: String) -> TrackingEvent? {
            trusted.last {
                $0.kind == kind && ($0.recipient == nil || $0.recipient?.lowercased() == address.lowercased())
            }
        }
    }

    /// The ledger's recipients first, in their order; then anyone a receipt names.
    func recipientAddresses(send: LedgerSend?, facts: Facts) -> [String] {
        var addresses: [String] = []
        var seen: Set<String> = []
        let named = facts.trusted.filter { $0.kind != .acceptance && $0.kind != .nonAcceptance }.compactMap(\.recipient)
        for address in (send?.recipients.map(\.address) ?? []) + named where seen.insert(address.lowercased()).inserted
        {
            addresses.append(address)
        }
        return addresses
    }

    func recipient(_ address: String, sentAt: Date?, _ facts: Facts) -> TrackedRecipient {
        let external = facts.external.contains(address.lowercased())
        var result = TrackedRecipient(address: address, status: .pending, external: external)
        func settle(_ status: TrackingStatus, _ event: TrackingEvent) -> TrackedRecipient {
            result.status = status
            result.at = event.at
            result.errore = event.errore
            result.erroreEsteso = event.erroreEsteso
            return result
        }
        if let refused = facts.nonAcceptance { return settle(.failed, refused) }
        if let delivered = facts.last(.delivery, for: address) { return settle(.delivered, delivered) }
        // REM ContentHandover: retrieved by the recipient, which implies the consignment before it.
        if let handedOver = facts.last(.handover, for: address) { return settle(.delivered, handedOver) }
        if let failed = facts.last(.deliveryError, for: address) { return settle(.failed, failed) }
        if let virus = facts.last(.virus, aboutOrAll: address) { return settle(.failed, virus) }
        guard let acceptance = facts.acceptance else {
            if let sentAt, now >= sentAt.addingTimeInterval(settings.acceptanceTimeout) {
                result.status = .timedOut
                result.at = sentAt.addingTimeInterval(settings.acceptanceTimeout)
            }
            return result
        }
        result = settle(.accepted, acceptance)
        if let relay = facts.last(.relay, aboutOrAll: address) { result = settle(.relayed, relay) }
        guard !external else { return result }
        let waited = now.timeIntervalSince(acceptance.at)
        if waited >= settings.deliveryFailure {
            result.status = .timedOut
            result.at = acceptance.at.addingTimeInterval(settings.deliveryFailure)
            result.overdue = .deliveryFailure
        } else if waited >= settings.deliveryWarning || facts.last(.deliveryWarning, for: address) != nil {
            result.overdue = .deliveryWarning
        }
        return result
    }

    /// Failed wins (someone must act), then timed out, then delivered when everyone was; otherwise the
    /// least advanced of the recipients still on their way.
    func messageStatus(facts: Facts, recipients: [TrackedRecipient], acceptanceOverdue: Bool) -> TrackingStatus {
        if facts.nonAcceptance != nil { return .failed }
        let statuses = recipients.map(\.status)
        if statuses.contains(.failed) { return .failed }
        if acceptanceOverdue || statuses.contains(.timedOut) { return .timedOut }
        if !statuses.isEmpty, statuses.allSatisfy({ $0 == .delivered }) { return .delivered }
        let order: [TrackingStatus] = [.pending, .accepted, .relayed]
        if let least = order.first(where: statuses.contains) { return least }
        return facts.acceptance == nil ? .pending : .accepted
    }
}
