extension IMAP {
    /// A mailbox name in its wire form (modified UTF-7, or raw UTF-8 from servers with UTF8=ACCEPT).
    ///
    /// ### Example
    /// `IMAP.MailboxName("Posta inviata").bytes` is the bytes of "Posta inviata";
    /// `IMAP.MailboxName(wire: Array("Ricevute gi&AOA- lette".utf8)).displayName` is "Ricevute già lette".
    package struct MailboxName: Hashable, Sendable, CustomStringConvertible {
        /// The wire bytes, exactly as sent or received.
        package var bytes: [UInt8]

        package init(wire bytes: [UInt8]) { self.bytes = bytes }

        /// Encodes a human-readable name with ``ModifiedUTF7``.
        package init(_ displayName: String) { self.bytes = ModifiedUTF7.encode(displayName) }

        package static let inbox = MailboxName(wire: Array("INBOX".utf8))

        /// Decoded name; falls back to lossy UTF-8 of the raw bytes when they are not modified UTF-7.
        package var displayName: String {
            (try? ModifiedUTF7.decode(bytes)) ?? String(decoding: bytes, as: UTF8.self)
        }

        /// "INBOX" in any case (RFC 3501 §5.1: INBOX is case-insensitive).
        package var isInbox: Bool {
            bytes.count == 5 && bytes.map { $0 & 0xDF }.elementsEqual("INBOX".utf8)
        }

        package var description: String { displayName }
    }
}
