extension IMAP {
    /// One address of an ENVELOPE (RFC 3501 §7.4.2). Fields are raw wire bytes (may hold RFC 2047 words
    /// or raw UTF-8); the `…String` accessors decode them as lossy UTF-8.
    ///
    /// A group is sent as a start address with a nil host and the group name in `mailbox`, then the
    /// members, then an end address whose fields are all nil.
    public struct Address: Hashable, Sendable {
        public var name: [UInt8]?
        public var adl: [UInt8]?
        public var mailbox: [UInt8]?
        public var host: [UInt8]?

        public init(name: [UInt8]?, adl: [UInt8]?, mailbox: [UInt8]?, host: [UInt8]?) {
            self.name = name
            self.adl = adl
            self.mailbox = mailbox
            self.host = host
        }

        public var nameString: String? { name.map { String(decoding: $0, as: UTF8.self) } }
        public var mailboxString: String? { mailbox.map { String(decoding: $0, as: UTF8.self) } }
        public var hostString: String? { host.map { String(decoding: $0, as: UTF8.self) } }

        /// "mailbox@host" when both are present.
        public var emailAddress: String? {
            guard let mailbox = mailboxString, let host = hostString else { return nil }
            return mailbox + "@" + host
        }
    }

    /// The ENVELOPE of a message (RFC 3501 §7.4.2). Strings are raw wire bytes.
    ///
    /// ### Example
    /// `ENVELOPE ("Mon, 2 Feb 2026 10:00:00 +0100" "Prova" (("Mario" NIL "mario" "pec.it")) … NIL "<m1@x>")`
    public struct Envelope: Hashable, Sendable {
        public var date: [UInt8]?
        public var subject: [UInt8]?
        public var from: [Address]
        public var sender: [Address]
        public var replyTo: [Address]
        public var to: [Address]
        public var cc: [Address]
        public var bcc: [Address]
        public var inReplyTo: [UInt8]?
        public var messageID: [UInt8]?

        public init(
            date: [UInt8]?,
            subject: [UInt8]?,
            from: [Address],
            sender: [Address],
            replyTo: [Address],
            to: [Address],
            cc: [Address],
            bcc: [Address],
            inReplyTo: [UInt8]?,
            messageID: [UInt8]?
        ) {
            self.date = date
            self.subject = subject
            self.from = from
            self.sender = sender
            self.replyTo = replyTo
            self.to = to
            self.cc = cc
            self.bcc = bcc
            self.inReplyTo = inReplyTo
            self.messageID = messageID
        }

        public var dateString: String? { date.map { String(decoding: $0, as: UTF8.self) } }
        public var subjectString: String? { subject.map { String(decoding: $0, as: UTF8.self) } }
        public var inReplyToString: String? { inReplyTo.map { String(decoding: $0, as: UTF8.self) } }
        public var messageIDString: String? { messageID.map { String(decoding: $0, as: UTF8.self) } }
    }
}
