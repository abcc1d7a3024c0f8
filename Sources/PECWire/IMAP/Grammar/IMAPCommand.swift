extension IMAP {
    /// A client command, encoded by ``CommandEncoder``. Message sets are always UIDs (``UIDSet``).
    ///
    /// ### Example
    /// `.uidFetch(UIDSet(1...3), [.uid, .flags])` → `a1 UID FETCH 1:3 (UID FLAGS)`
    package enum Command: Hashable, Sendable {
        case capability
        case noop
        case logout
        case startTLS
        case idle
        case enable([Capability])
        case login(username: String, password: String)
        /// SASL PLAIN; with SASL-IR the credentials go on the command line, otherwise after the "+" continuation.
        case authenticatePlain(username: String, password: String)
        case select(MailboxName)
        case examine(MailboxName)
        /// `LIST reference pattern [RETURN (SPECIAL-USE)]`; the pattern may hold the wildcards "*" and "%".
        case list(reference: MailboxName, pattern: String, returnSpecialUse: Bool)
        case status(MailboxName, [StatusAttribute])
        /// `UID SEARCH [CHARSET UTF-8] key`; the charset is added whenever a string is not ASCII.
        case uidSearch(SearchKey)
        case uidFetch(UIDSet, [FetchItem])
        case uidStore(UIDSet, StoreOperation)
        case uidCopy(UIDSet, MailboxName)
        case uidMove(UIDSet, MailboxName)
        case uidExpunge(UIDSet)
        case expunge
    }

    /// A STATUS data item.
    package enum StatusAttribute: String, Hashable, Sendable, CaseIterable {
        case messages = "MESSAGES"
        case recent = "RECENT"
        case uidNext = "UIDNEXT"
        case uidValidity = "UIDVALIDITY"
        case unseen = "UNSEEN"
        case highestModSeq = "HIGHESTMODSEQ"
        case size = "SIZE"
    }

    /// A date for SEARCH (day precision, no time zone): "1-Feb-2026".
    package struct SearchDate: Hashable, Sendable, CustomStringConvertible {
        package var year: Int
        package var month: Int
        package var day: Int
        package init(year: Int, month: Int, day: Int) {
            self.year = year
            self.month = month
            self.day = day
        }

        /// The wire form ("1-Feb-2026"); nil when a field is out of range.
        package var wireForm: String? {
            guard (1...12).contains(month), (1...31).contains(day), (0...9999).contains(year) else { return nil }
            return "\(day)-\(InternalDate.monthNames[month - 1])-\(InternalDate.pad(year, 4))"
        }

        package var description: String { wireForm ?? "invalid date \(year)-\(month)-\(day)" }
    }

    /// A SEARCH criterion (RFC 3501 §6.4.4). Strings match as substrings, case-insensitively, on the server.
    package indirect enum SearchKey: Hashable, Sendable {
        case all
        case seen
        case unseen
        case deleted
        case undeleted
        case flagged
        case unflagged
        case answered
        case unanswered
        case draft
        case keyword(Flag)
        case unkeyword(Flag)
        /// Internal date (arrival), day precision.
        case since(SearchDate)
        case before(SearchDate)
        case on(SearchDate)
        /// The Date: header, day precision.
        case sentSince(SearchDate)
        case sentBefore(SearchDate)
        case sentOn(SearchDate)
        case subject(String)
        case from(String)
        case to(String)
        case cc(String)
        case bcc(String)
        case body(String)
        case text(String)
        case header(name: String, value: String)
        case larger(Int)
        case smaller(Int)
        case uid(UIDSet)
        /// Messages by position (`first:last`), e.g. the newest N without listing every UID.
        case sequenceNumbers(ClosedRange<SequenceNumber>)
        case not(SearchKey)
        case or(SearchKey, SearchKey)
        /// All of them; `and([])` is ALL.
        case and([SearchKey])
    }

    /// A FETCH data item. Bodies are always fetched with BODY.PEEK (never setting \Seen).
    package enum FetchItem: Hashable, Sendable {
        case uid
        case flags
        case internalDate
        case rfc822Size
        case envelope
        case bodyStructure
        case modSeq
        /// `BODY.PEEK[section]<offset.length>`. Build it with ``bodyPeek(_:partial:)`` (the contract's spelling,
        /// taking a tuple); the case has its own label so that `partial: nil` is not ambiguous.
        case bodyPeek(SectionSpecifier, range: Partial?)

        /// The byte range of a partial fetch.
        package struct Partial: Hashable, Sendable {
            package var offset: Int
            package var length: Int
            package init(offset: Int, length: Int) {
                self.offset = offset
                self.length = length
            }
        }

        /// `BODY.PEEK[section]<offset.length>` with a tuple, as in the contract.
        package static func bodyPeek(_ section: SectionSpecifier, partial: (offset: Int, length: Int)?) -> FetchItem {
            .bodyPeek(section, range: partial.map { Partial(offset: $0.offset, length: $0.length) })
        }

        /// `BODY.PEEK[section]`.
        package static func bodyPeek(_ section: SectionSpecifier) -> FetchItem {
            .bodyPeek(section, range: nil)
        }
    }

    /// A STORE: add, remove or replace flags, optionally `.SILENT`.
    package struct StoreOperation: Hashable, Sendable {
        package enum Kind: Hashable, Sendable {
            case add
            case remove
            case replace
        }
        package var kind: Kind
        package var flags: [Flag]
        package var silent: Bool
        package init(kind: Kind, flags: [Flag], silent: Bool = false) {
            self.kind = kind
            self.flags = flags
            self.silent = silent
        }

        package static func add(_ flags: [Flag], silent: Bool = false) -> StoreOperation {
            StoreOperation(kind: .add, flags: flags, silent: silent)
        }
        package static func remove(_ flags: [Flag], silent: Bool = false) -> StoreOperation {
            StoreOperation(kind: .remove, flags: flags, silent: silent)
        }
        package static func replace(_ flags: [Flag], silent: Bool = false) -> StoreOperation {
            StoreOperation(kind: .replace, flags: flags, silent: silent)
        }
    }
}
