extension IMAP {
    /// One `* LIST` / `* LSUB` line (RFC 3501 §7.2.2, RFC 5258, RFC 6154).
    ///
    /// ### Example
    /// `* LIST (\HasNoChildren \Sent) "/" Sent`
    package struct ListEntry: Hashable, Sendable {
        package var attributes: [MailboxAttribute]
        /// The hierarchy delimiter; nil for a flat namespace.
        package var separator: UInt8?
        package var name: MailboxName
        /// LIST-EXTENDED CHILDINFO values ("SUBSCRIBED"), uppercased; other extended items are ignored.
        package var childInfo: [String]
        /// RFC 9051 OLDNAME, when the server sent it.
        package var oldName: MailboxName?

        package init(
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

        /// Whether the mailbox can hold messages (can be SELECTed): not `\Noselect`, not `\NonExistent`.
        package var isSelectable: Bool {
            !attributes.contains(.noselect) && !attributes.contains(.nonExistent)
        }
    }

    /// STATUS data items (RFC 3501 §6.3.10, RFC 7162, RFC 8438); nil when not returned.
    package struct MailboxStatus: Hashable, Sendable {
        package var messages: Int?
        package var recent: Int?
        package var unseen: Int?
        package var uidNext: UID?
        package var uidValidity: UIDValidity?
        package var highestModSeq: ModSeq?
        package var size: Int?

        package init(
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
    package struct NamespaceDescription: Hashable, Sendable {
        package var prefix: [UInt8]
        package var delimiter: UInt8?
        package init(prefix: [UInt8], delimiter: UInt8?) {
            self.prefix = prefix
            self.delimiter = delimiter
        }
    }

    /// `* NAMESPACE personal other shared` (RFC 2342); each list is empty for NIL.
    package struct NamespaceResponse: Hashable, Sendable {
        package var personal: [NamespaceDescription]
        package var otherUsers: [NamespaceDescription]
        package var shared: [NamespaceDescription]
        package init(
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
    package struct ESearchResponse: Hashable, Sendable {
        package var tag: String?
        package var uid: Bool
        package var min: UInt32?
        package var max: UInt32?
        package var count: Int?
        package var all: [ClosedRange<UInt32>]?
        package var modSeq: ModSeq?

        package init(
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
