extension IMAP {
    /// One address of an ENVELOPE (RFC 3501 §7.4.2). Fields are raw wire bytes (may hold RFC 2047 words
    /// or raw UTF-8); the `…String` accessors decode them as lossy UTF-8.
    ///
    /// A group is sent as a start address with a nil host and the group name in `mailbox`, then the
    /// members, then an end address whose fields are all nil.
    package struct Address: Hashable, Sendable {
        package var name: [UInt8]?
        package var adl: [UInt8]?
        package var mailbox: [UInt8]?
        package var host: [UInt8]?

        package init(name: [UInt8]?, adl: [UInt8]?, mailbox: [UInt8]?, host: [UInt8]?) {
            self.name = name
            self.adl = adl
            self.mailbox = mailbox
            self.host = host
        }

        package var nameString: String? { name.map { String(decoding: $0, as: UTF8.self) } }
        package var mailboxString: String? { mailbox.map { String(decoding: $0, as: UTF8.self) } }
        package var hostString: String? { host.map { String(decoding: $0, as: UTF8.self) } }

        /// "mailbox@host" when both are present.
        package var emailAddress: String? {
            guard let mailbox = mailboxString, let host = hostString else { return nil }
            return mailbox + "@" + host
        }
    }

    /// The ENVELOPE of a message (RFC 3501 §7.4.2). Strings are raw wire bytes.
    ///
    /// ### Example
    /// `ENVELOPE ("Mon, 2 Feb 2026 10:00:00 +0100" "Prova" (("Mario" NIL "mario" "pec.it")) … NIL "<m1@x>")`
    package struct Envelope: Hashable, Sendable {
        package var date: [UInt8]?
        package var subject: [UInt8]?
        package var from: [Address]
        package var sender: [Address]
        package var replyTo: [Address]
        package var to: [Address]
        package var cc: [Address]
        package var bcc: [Address]
        package var inReplyTo: [UInt8]?
        package var messageID: [UInt8]?

        package init(
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

        package var dateString: String? { date.map { String(decoding: $0, as: UTF8.self) } }
        package var subjectString: String? { subject.map { String(decoding: $0, as: UTF8.self) } }
        package var inReplyToString: String? { inReplyTo.map { String(decoding: $0, as: UTF8.self) } }
        package var messageIDString: String? { messageID.map { String(decoding: $0, as: UTF8.self) } }
    }
}
