extension IMAP {
    /// A message flag: a system flag ("\Seen") or a keyword ("$Forwarded"). Equality ignores case
    /// (RFC 3501 §2.3.2); ``rawValue`` keeps the server's spelling. "\*" appears in PERMANENTFLAGS.
    package struct Flag: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
        package init(_ rawValue: String) { self.rawValue = rawValue }
        package init(stringLiteral value: String) { self.rawValue = value }

        package static let seen = Flag("\\Seen")
        package static let answered = Flag("\\Answered")
        package static let flagged = Flag("\\Flagged")
        package static let deleted = Flag("\\Deleted")
        package static let draft = Flag("\\Draft")
        package static let recent = Flag("\\Recent")
        /// "\*" in PERMANENTFLAGS: the client may create new keywords.
        package static let wildcard = Flag("\\*")

        /// True for "\Seen"-style system flags, false for keywords.
        package var isSystemFlag: Bool { rawValue.hasPrefix("\\") }

        package static func == (lhs: Flag, rhs: Flag) -> Bool {
            lhs.rawValue.lowercased() == rhs.rawValue.lowercased()
        }

        package func hash(into hasher: inout Hasher) {
            hasher.combine(rawValue.lowercased())
        }

        package var description: String { rawValue }
    }

    /// A capability name, kept uppercased ("AUTH=PLAIN", "LITERAL+").
    package struct Capability: RawRepresentable, Hashable, Sendable, CustomStringConvertible,
        ExpressibleByStringLiteral
    {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue.uppercased() }
        package init(_ rawValue: String) { self.rawValue = rawValue.uppercased() }
        package init(stringLiteral value: String) { self.rawValue = value.uppercased() }

        package static let imap4rev1 = Capability("IMAP4rev1")
        package static let imap4rev2 = Capability("IMAP4rev2")
        package static let literalPlus = Capability("LITERAL+")
        package static let literalMinus = Capability("LITERAL-")
        package static let move = Capability("MOVE")
        package static let uidPlus = Capability("UIDPLUS")
        package static let specialUse = Capability("SPECIAL-USE")
        package static let listExtended = Capability("LIST-EXTENDED")
        package static let listStatus = Capability("LIST-STATUS")
        package static let idle = Capability("IDLE")
        package static let condstore = Capability("CONDSTORE")
        package static let qresync = Capability("QRESYNC")
        package static let esearch = Capability("ESEARCH")
        package static let enable = Capability("ENABLE")
        package static let utf8Accept = Capability("UTF8=ACCEPT")
        package static let startTLS = Capability("STARTTLS")
        package static let loginDisabled = Capability("LOGINDISABLED")
        package static let saslIR = Capability("SASL-IR")
        package static let namespace = Capability("NAMESPACE")
        package static let id = Capability("ID")
        package static let binary = Capability("BINARY")

        /// "AUTH=<mechanism>".
        package static func auth(_ mechanism: String) -> Capability { Capability("AUTH=" + mechanism) }

        package var description: String { rawValue }
    }

    /// A LIST/LSUB mailbox attribute ("\HasChildren", "\Sent", …); equality ignores case.
    package struct MailboxAttribute: RawRepresentable, Hashable, Sendable, CustomStringConvertible,
        ExpressibleByStringLiteral
    {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
        package init(_ rawValue: String) { self.rawValue = rawValue }
        package init(stringLiteral value: String) { self.rawValue = value }

        package static let hasChildren = MailboxAttribute("\\HasChildren")
        package static let hasNoChildren = MailboxAttribute("\\HasNoChildren")
        package static let noselect = MailboxAttribute("\\Noselect")
        package static let noinferiors = MailboxAttribute("\\Noinferiors")
        package static let nonExistent = MailboxAttribute("\\NonExistent")
        package static let marked = MailboxAttribute("\\Marked")
        package static let unmarked = MailboxAttribute("\\Unmarked")
        package static let subscribed = MailboxAttribute("\\Subscribed")
        package static let remote = MailboxAttribute("\\Remote")
        // RFC 6154 special-use
        package static let all = MailboxAttribute("\\All")
        package static let archive = MailboxAttribute("\\Archive")
        package static let drafts = MailboxAttribute("\\Drafts")
        package static let flagged = MailboxAttribute("\\Flagged")
        package static let junk = MailboxAttribute("\\Junk")
        package static let sent = MailboxAttribute("\\Sent")
        package static let trash = MailboxAttribute("\\Trash")

        package static func == (lhs: MailboxAttribute, rhs: MailboxAttribute) -> Bool {
            lhs.rawValue.lowercased() == rhs.rawValue.lowercased()
        }

        package func hash(into hasher: inout Hasher) {
            hasher.combine(rawValue.lowercased())
        }

        package var description: String { rawValue }
    }
}
