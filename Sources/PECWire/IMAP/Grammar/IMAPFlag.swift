extension IMAP {
    /// A message flag: a system flag ("\Seen") or a keyword ("$Forwarded"). Equality ignores case
    /// (RFC 3501 §2.3.2); ``rawValue`` keeps the server's spelling. "\*" appears in PERMANENTFLAGS.
    public struct Flag: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }

        public static let seen = Flag("\\Seen")
        public static let answered = Flag("\\Answered")
        public static let flagged = Flag("\\Flagged")
        public static let deleted = Flag("\\Deleted")
        public static let draft = Flag("\\Draft")
        public static let recent = Flag("\\Recent")
        /// "\*" in PERMANENTFLAGS: the client may create new keywords.
        public static let wildcard = Flag("\\*")

        /// True for "\Seen"-style system flags, false for keywords.
        public var isSystemFlag: Bool { rawValue.hasPrefix("\\") }

        public static func == (lhs: Flag, rhs: Flag) -> Bool {
            lhs.rawValue.lowercased() == rhs.rawValue.lowercased()
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(rawValue.lowercased())
        }

        public var description: String { rawValue }
    }

    /// A capability name, kept uppercased ("AUTH=PLAIN", "LITERAL+").
    public struct Capability: RawRepresentable, Hashable, Sendable, CustomStringConvertible,
        ExpressibleByStringLiteral
    {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue.uppercased() }
        public init(_ rawValue: String) { self.rawValue = rawValue.uppercased() }
        public init(stringLiteral value: String) { self.rawValue = value.uppercased() }

        public static let imap4rev1 = Capability("IMAP4rev1")
        public static let imap4rev2 = Capability("IMAP4rev2")
        public static let literalPlus = Capability("LITERAL+")
        public static let literalMinus = Capability("LITERAL-")
        public static let move = Capability("MOVE")
        public static let uidPlus = Capability("UIDPLUS")
        public static let specialUse = Capability("SPECIAL-USE")
        public static let listExtended = Capability("LIST-EXTENDED")
        public static let listStatus = Capability("LIST-STATUS")
        public static let idle = Capability("IDLE")
        public static let condstore = Capability("CONDSTORE")
        public static let qresync = Capability("QRESYNC")
        public static let esearch = Capability("ESEARCH")
        public static let enable = Capability("ENABLE")
        public static let utf8Accept = Capability("UTF8=ACCEPT")
        public static let startTLS = Capability("STARTTLS")
        public static let loginDisabled = Capability("LOGINDISABLED")
        public static let saslIR = Capability("SASL-IR")
        public static let namespace = Capability("NAMESPACE")
        public static let id = Capability("ID")
        public static let binary = Capability("BINARY")

        /// "AUTH=<mechanism>".
        public static func auth(_ mechanism: String) -> Capability { Capability("AUTH=" + mechanism) }

        public var description: String { rawValue }
    }

    /// A LIST/LSUB mailbox attribute ("\HasChildren", "\Sent", …); equality ignores case.
    public struct MailboxAttribute: RawRepresentable, Hashable, Sendable, CustomStringConvertible,
        ExpressibleByStringLiteral
    {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }

        public static let hasChildren = MailboxAttribute("\\HasChildren")
        public static let hasNoChildren = MailboxAttribute("\\HasNoChildren")
        public static let noselect = MailboxAttribute("\\Noselect")
        public static let noinferiors = MailboxAttribute("\\Noinferiors")
        public static let nonExistent = MailboxAttribute("\\NonExistent")
        public static let marked = MailboxAttribute("\\Marked")
        public static let unmarked = MailboxAttribute("\\Unmarked")
        public static let subscribed = MailboxAttribute("\\Subscribed")
        public static let remote = MailboxAttribute("\\Remote")
        // RFC 6154 special-use
        public static let all = MailboxAttribute("\\All")
        public static let archive = MailboxAttribute("\\Archive")
        public static let drafts = MailboxAttribute("\\Drafts")
        public static let flagged = MailboxAttribute("\\Flagged")
        public static let junk = MailboxAttribute("\\Junk")
        public static let sent = MailboxAttribute("\\Sent")
        public static let trash = MailboxAttribute("\\Trash")

        public static func == (lhs: MailboxAttribute, rhs: MailboxAttribute) -> Bool {
            lhs.rawValue.lowercased() == rhs.rawValue.lowercased()
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(rawValue.lowercased())
        }

        public var description: String { rawValue }
    }
}
