import Foundation

/// Which sends `pec status` lists.
public enum StatusFilter: String, Codable, Sendable, CaseIterable {
    /// Still waiting for a receipt (pending, accepted or relayed), no deadline passed.
    case pending
    /// Not accepted, not delivered to someone, or a virus was found.
    case failed
    /// A deadline passed: no acceptance in time, or a recipient past the 12 h / 24 h delivery windows.
    case overdue

    func matches(_ message: TrackedMessage) -> Bool {
        switch self {
        case .pending: [.pending, .accepted, .relayed].contains(message.status)
        case .failed: message.status == .failed
        case .overdue: !message.overdue.isEmpty
        }
    }
}

/// What `pec status` asks for.
public struct StatusRequest: Sendable {
    /// A Message-ID or a PEC identificativo; nil for the recent sends.
    public var id: String?
    /// Only the sends of this ledger account (the account's name); nil for all.
    public var account: String?
    public var filter: StatusFilter?
    /// How many sends to list (without an id).
    public var limit: Int

    public init(id: String? = nil, account: String? = nil, filter: StatusFilter? = nil, limit: Int = 20) {
        self.id = id
        self.account = account
        self.filter = filter
        self.limit = limit
    }
}

/// `pec status` (and MCP `pec_status`): where sent messages stand, from the ledger alone, without
/// contacting the server. Statuses and deadlines are derived at the moment of asking.
public struct TrackingService: Sendable {
    public let ledger: SendLedger
    public let settings: TrackingSettings
    let now: @Sendable () -> Date

    public init(ledger: SendLedger, settings: TrackingSettings, now: @escaping @Sendable () -> Date = { Date() }) {
        self.ledger = ledger
        self.settings = settings
        self.now = now
    }

    /// How many sends `status` looks through to fill a filtered list.
    static let filterScanLimit = 5000

    /// One message (with its events) when `request.id` is set, else the recent sends, newest first.
    /// The pull feed: stored events after `after`, in `seq` order, for applications that poll
    /// (`pec events`, `pec_events`). Pass the page's `nextAfter` as the next `after`.
    public func events(_ request: EventsRequest) throws(PECError) -> EventPage {
        guard (1...EventsRequest.maximumLimit).contains(request.limit) else {
            throw PECError(.invalidInput, "the limit must be 1 to \(EventsRequest.maximumLimit), not \(request.limit)")
        }
        guard request.after >= 0 else {
            throw PECError(.invalidInput, "--after must be a sequence number (0 or more), not \(request.after)")
        }
        let events = try ledger.feed(after: request.after, limit: request.limit, account: request.account)
        return EventPage(events: events, nextAfter: events.last?.seq ?? request.after)
    }

    public func status(_ request: StatusRequest) throws(PECError) -> [TrackedMessage] {
        try ResultLimit.checkSends(request.limit)
        let derivation = TrackingStatusDerivation(settings: settings, now: now())
        if let id = request.id {
            let messageID = try resolve(id)
            let send = try ledger.send(messageID: messageID)
            let events = try ledger.events(messageID: messageID)
            guard send != nil || !events.isEmpty else {
                throw PECError(
                    .notFound,
                    "\(messageID) is neither in the send ledger nor named by any receipt synced so far",
                    remedy: .sync
                )
            }
            let tracked = derivation.message(messageID, send: send, events: events, includeEvents: true)
            if let filter = request.filter, !filter.matches(tracked) { return [] }
            return [tracked]
        }
        let sends = try ledger.recentSends(
            account: request.account,
            limit: request.filter == nil ? request.limit : Self.filterScanLimit
        )
        var result: [TrackedMessage] = []
        for send in sends where result.count < request.limit {
            let tracked = derivation.message(
                send.messageID,
                send: send,
                events: try ledger.events(messageID: send.messageID),
                includeEvents: false
            )
            if request.filter?.matches(tracked) ?? true { result.append(tracked) }
        }
        return result
    }

    /// A Message-ID, or a PEC identificativo (`opec…`) the ledger or a synced receipt knows.
    func resolve(_ id: String) throws(PECError) -> String {
        switch try MessageReference(id) {
        case .messageID(let messageID):
            return messageID
        case .identificativo(let identificativo):
            if let send = try ledger.send(identificativo: identificativo) { return send.messageID }
            if let messageID = try ledger.messageID(identificativo: identificativo) { return messageID }
            return try MessageReference.normalizedMessageID(identificativo)
        }
    }

    /// The timeout events due now for the sends of `account` that may still be waiting, not yet stored.
    func passedDeadlines(account: String) throws(PECError) -> (due: [TrackingEvent], next: Date?) {
        let current = now()
        let derivation = TrackingStatusDerivation(settings: settings, now: current)
        // A deadline can only fall within acceptance timeout + 24 h of the send; older sends are settled.
        let horizon = current.addingTimeInterval(-(settings.acceptanceTimeout + settings.deliveryFailure + 86_400))
        var due: [TrackingEvent] = []
        var next: Date?
        for send in try ledger.submittedSends(account: account, since: horizon) {
            let events = try ledger.events(messageID: send.messageID)
            let tracked = derivation.message(send.messageID, send: send, events: events, includeEvents: false)
            let acceptedAt = TrackingStatusDerivation.Facts(events: events).acceptance?.at
            let recorded = Set(events.filter { $0.kind == .timeout }.map(\.uniqueKey))
            for passed in derivation.passedDeadlines(tracked, acceptedAt: acceptedAt) {
                let event = TrackingEvent(
                    kind: .timeout,
                    messageID: passed.messageID,
                    account: account,
                    recipient: passed.recipient,
                    at: passed.at,
                    recordedAt: current,
                    trusted: true,
                    deadline: passed.deadline
                )
                if !recorded.contains(event.uniqueKey) { due.append(event) }
            }
            if let upcoming = derivation.nextDeadline(tracked, acceptedAt: acceptedAt) {
                next = min(next ?? upcoming, upcoming)
            }
        }
        return (due.sorted { $0.at < $1.at }, next)
    }
}

/// What `pec events` asks for.
public struct EventsRequest: Sendable {
    public static let maximumLimit = 1000
    /// Only events with a larger `seq` (0: from the first).
    public var after: Int64
    public var limit: Int
    /// The ledger's account name; nil: every account.
    public var account: String?

    public init(after: Int64 = 0, limit: Int = 100, account: String? = nil) {
        self.after = after
        self.limit = limit
        self.account = account
    }
}

/// One page of the event feed.
public struct EventPage: Codable, Sendable, Equatable {
    public var events: [TrackingEvent]
    /// The last `seq` of this page (or the `after` asked for when it is empty): the next page's `after`.
    public var nextAfter: Int64

    enum CodingKeys: String, CodingKey {
        case events
        case nextAfter = "next_after"
    }
}
