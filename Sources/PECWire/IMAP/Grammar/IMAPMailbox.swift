extension IMAP {
    /// One `* LIST` / `* LSUB` line (RFC 3501 §7.2.2, RFC 5258, RFC 6154).
    ///
    /// ### Example
    /// `* LIST (\HasNoChildren \Sent) "/" Sent`
    public struct ListEntry: Hashable, Sendable {
        public var attributes: [MailboxAttribute]
        /// The hierarchy delimiter; nil for a flat namespace.
        public var separator: UInt8?
        public var name: MailboxName
        /// LIST-EXTENDED CHILDINFO values ("SUBSCRIBED"), uppercased; other extended items are ignored.
        public var childInfo: [String]
        /// RFC 9051 OLDNAME, when the server sent it.
        public var oldName: MailboxName?

        public init(
            attributes: [MailboxAttribute],
            separator: UInt8?,
            name: MailboxName,
            childInfo: [String] = [],
            oldName: MailboxName? = nil
        ) {
            self.attributes = attributes
            self.separator = separator
            self.name = name
            self.childInfo = childInfo
            self.oldName = oldName
        }
    }

    /// STATUS data items (RFC 3501 §6.3.10, RFC 7162, RFC 8438); nil when not returned.
    public struct MailboxStatus: Hashable, Sendable {
        public var messages: Int?
        public var recent: Int?
        public var unseen: Int?
        public var uidNext: UID?
        public var uidValidity: UIDValidity?
        public var highestModSeq: ModSeq?
        public var size: Int?

        public init(
            messages: Int? = nil,
            recent: Int? = nil,
            unseen: Int? = nil,
            uidNext: UID? = nil,
            uidValidity: UIDValidity? = nil,
            highestModSeq: ModSeq? = nil,
            size: Int? = nil
        ) {
            self.messages = messages
            self.recent = recent
            self.unseen = unseen
            self.uidNext = uidNext
            self.uidValidity = uidValidity
            self.highestModSeq = highestModSeq
            self.size = size
        }
    }

    /// One NAMESPACE description: a prefix and its delimiter (RFC 2342).
    public struct NamespaceDescription: Hashable, Sendable {
        public var prefix: [UInt8]
        public var delimiter: UInt8?
        public init(prefix: [UInt8], delimiter: UInt8?) {
            self.prefix = prefix
            self.delimiter = delimiter
        }
    }

    /// `* NAMESPACE personal other shared` (RFC 2342); each list is empty for NIL.
    public struct NamespaceResponse: Hashable, Sendable {
        public var personal: [NamespaceDescription]
        public var otherUsers: [NamespaceDescription]
        public var shared: [NamespaceDescription]
        public init(
            personal: [NamespaceDescription],
            otherUsers: [NamespaceDescription],
            shared: [NamespaceDescription]
        ) {
            self.personal = personal
            self.otherUsers = otherUsers
            self.shared = shared
        }
    }

    /// `* ESEARCH` (RFC 4731): results of `SEARCH RETURN (...)`. `all` keeps the server's ranges unexpanded
    /// (they hold UIDs when `uid` is true, sequence numbers otherwise).
    public struct ESearchResponse: Hashable, Sendable {
        public var tag: String?
        public var uid: Bool
        public var min: UInt32?
        public var max: UInt32?
        public var count: Int?
        public var all: [ClosedRange<UInt32>]?
        public var modSeq: ModSeq?

        public init(
            tag: String? = nil,
            uid: Bool = false,
            min: UInt32? = nil,
            max: UInt32? = nil,
            count: Int? = nil,
            all: [ClosedRange<UInt32>]? = nil,
            modSeq: ModSeq? = nil
        ) {
            self.tag = tag
            self.uid = uid
            self.min = min
            self.max = max
            self.count = count
            self.all = all
            self.modSeq = modSeq
        }
    }
}
