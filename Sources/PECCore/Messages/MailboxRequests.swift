import Foundation

/// A calendar day given by the user as `YYYY-MM-DD` (for `--from` / `--since`).
public struct CalendarDay: Sendable, Equatable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
            calendar.component(.day, from: date) == day
        else { return nil }
        (self.year, self.month, self.day) = (year, month, day)
    }

    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

    var searchDate: IMAP.SearchDate { IMAP.SearchDate(year: year, month: month, day: day) }

    /// Parses a user value or throws a usage error naming the option.
    public static func parse(_ text: String, option: String) throws -> CalendarDay {
        guard let day = CalendarDay(text) else {
            throw PECError(.usage, "\(option) takes a date as YYYY-MM-DD, not \"\(text)\"")
        }
        return day
    }
}

/// What `pec list` asks for.
public struct ListRequest: Sendable, Equatable {
    public var folder: String?
    public var unreadOnly: Bool
    public var since: CalendarDay?
    /// How many of the newest messages; 0 for all of them.
    public var limit: Int
    /// Only messages with a lower id: the next page after one whose last id this was.
    public var beforeID: UInt32?

    public init(
        folder: String? = nil,
        unreadOnly: Bool = false,
        since: CalendarDay? = nil,
        limit: Int = 20,
        beforeID: UInt32? = nil
    ) {
        self.folder = folder
        self.unreadOnly = unreadOnly
        self.since = since
        self.limit = limit
        self.beforeID = beforeID
    }
}

/// What `pec search` asks for.
public struct SearchRequest: Sendable, Equatable {
    public enum Field: String, Sendable, CaseIterable, Codable {
        case subject, from, body, all
    }

    public var query: String
    public var field: Field
    public var folder: String?
    public var since: CalendarDay?
    public var limit: Int
    /// Only messages with a lower id (see ``ListRequest/beforeID``).
    public var beforeID: UInt32?

    public init(
        query: String,
        field: Field = .all,
        folder: String? = nil,
        since: CalendarDay? = nil,
        limit: Int = 20,
        beforeID: UInt32? = nil
    ) {
        self.query = query
        self.field = field
        self.folder = folder
        self.since = since
        self.limit = limit
        self.beforeID = beforeID
    }
}

/// The result of `pec mark-read` / `mark-unread`.
public struct FlagChange: Codable, Sendable, Equatable {
    public var id: UInt32
    public var folder: String
    public var unread: Bool
}

/// The result of `pec move`.
public struct MoveResult: Codable, Sendable, Equatable {
    public var id: UInt32
    public var from: String
    public var to: String
}

/// One page of a listing or search, newest first: what `pec_list` and `pec_search` return.
public struct MessagePage: Codable, Sendable, Equatable {
    public var messages: [MessageSummary]
    /// Give this as `before_id` for the next, older page; absent on the last page.
    public var nextBeforeID: UInt32?

    public init(messages: [MessageSummary], nextBeforeID: UInt32?) {
        self.messages = messages
        self.nextBeforeID = nextBeforeID
    }

    /// The first `limit` of `messages` (fetched with one more than the limit, to know whether more follow).
    init(_ messages: [MessageSummary], limit: Int) {
        guard limit > 0, messages.count > limit else {
            self.init(messages: messages, nextBeforeID: nil)
            return
        }
        let shown = Array(messages.prefix(limit))
        self.init(messages: shown, nextBeforeID: shown.last?.id)
    }

    enum CodingKeys: String, CodingKey {
        case messages
        case nextBeforeID = "next_before_id"
    }
}
