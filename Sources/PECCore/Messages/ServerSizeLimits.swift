/// How much pec takes from a mail server for one message or part, so that a broken or hostile
/// server cannot fill memory or the disk. Beyond either cap the command fails with a `malformed`
/// error naming it, before the bytes are kept (the announced size is checked first).
enum ServerSizeLimits {
    /// A section fetched into memory (a listing's header fields, a receipt's headers or
    /// daticert.xml, a signature): 2 MiB, a hundred times a real one and the size
    /// ``SpooledMessage`` holds a daticert or signature to.
    static let heldSection = IMAP.FetchAccumulator.defaultSectionSizeLimit

    /// A message streamed to a file (`pec get`, a receipt downloaded by `sync` or `trace`):
    /// 150 MiB. A PEC is at most 100 MB as sent; the busta di trasporto that delivers it wraps it
    /// whole, and a gestore that signs it opaquely (or a ricevuta completa) base64-encodes it again
    /// (4/3, about 135 MB): 150 MiB takes the largest legitimate message and stops a server that
    /// announces 4 GiB and keeps sending.
    static let spooledMessage = 150 << 20

    static func heldSectionTooLarge(_ refused: IMAP.SectionTooLarge, address: String) -> PECError {
        PECError(
            .malformed,
            "the IMAP server at \(address) sent \(refused.byteCount) bytes for BODY[\(refused.section)]"
                + (refused.uid.map { " of message \($0.rawValue)" } ?? "")
                + ", more than the \(megabytes(refused.limit)) pec holds in memory for a header section or "
                + "a small part such as daticert.xml or a signature",
            hint: "the server (or that message) is broken; read the message with another client"
        )
    }

    static func messageTooLarge(_ byteCount: Int, uid: IMAP.UID?, address: String) -> PECError {
        PECError(
            .malformed,
            "the IMAP server at \(address) announced "
                + (uid.map { "message \($0.rawValue)" } ?? "a message")
                + " as \(byteCount) bytes, more than the \(megabytes(spooledMessage)) pec accepts "
                + "(a PEC is at most 100 MB)",
            hint: "the server (or that message) is broken; read the message with another client"
        )
    }

    private static func megabytes(_ bytes: Int) -> String { "\(bytes >> 20) MiB" }
}
