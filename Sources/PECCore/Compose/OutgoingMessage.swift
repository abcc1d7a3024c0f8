import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The delivery receipt a PEC sender asks for with `X-TipoRicevuta` (pec-standard §7): `completa`
/// (the provider's default) carries the whole original message, `breve` replaces each attachment
/// with its hash, `sintetica` carries only the certification data.
public enum ReceiptType: String, Sendable, Codable, CaseIterable {
    case completa, breve, sintetica
}

/// A message the user wants to send, before it is turned into bytes by `MessageComposer`.
///
/// Addresses are plain `local@domain`, without display names: a PEC is identified by its
/// addresses, and a display name is one more thing to inject into or misread.
public struct OutgoingMessage: Sendable, Equatable, Codable {
    public var from: String
    public var to: [String]
    public var cc: [String]
    public var subject: String
    public var body: String
    /// Local files, attached in this order under their last path component.
    public var attachments: [URL]
    /// `X-TipoRicevuta`; nil leaves the choice to the provider (`completa`).
    public var receipt: ReceiptType?

    public init(
        from: String,
        to: [String],
        cc: [String] = [],
        subject: String,
        body: String,
        attachments: [URL] = [],
        receipt: ReceiptType? = nil
    ) {
        self.from = from
        self.to = to
        self.cc = cc
        self.subject = subject
        self.body = body
        self.attachments = attachments
        self.receipt = receipt
    }

    /// The SMTP RCPT list: To then Cc, as given.
    public var recipients: [String] { to + cc }

    /// Checks everything that can be checked without sending; throws `PECError(.invalidInput)`
    /// naming the first bad field. `MessageComposer.compose` calls it first.
    public func validate() throws {
        try Self.validateAddress(from, field: "From")
        guard !to.isEmpty else {
            throw PECError(.invalidInput, "the message has no To recipient", hint: "Give at least one To address.")
        }
        for address in to { try Self.validateAddress(address, field: "To") }
        for address in cc { try Self.validateAddress(address, field: "Cc") }
        var seen: Set<String> = []
        for address in recipients where !seen.insert(address.lowercased()).inserted {
            throw PECError(
                .invalidInput,
                "recipient \(address) is given more than once",
                hint: "Each address may appear once across To and Cc; a PEC is delivered once per recipient."
            )
        }
        try Self.validateSubject(subject)
        guard body.utf8.count <= Self.maximumTextSize else {
            throw PECError(.invalidInput, "the message text is over 10 MB", remedy: .attachLargeText)
        }
        for url in attachments { try Self.validateAttachment(url) }
    }

    /// The text is held in memory whole (and read whole from a file): large content belongs in attachments.
    public static let maximumTextSize = 10_000_000

    // MARK: - Addresses

    static func validateAddress(_ address: String, field: String) throws {
        do {
            _ = try PECAddress(address)
        } catch {
            throw PECError(
                .invalidInput,
                "\(field) address \(PECAddress.quoted(address)) \(error.problem)",
                hint: error.hint ?? "Give a plain address such as nome@pec.example.it."
            )
        }
    }

    // MARK: - Subject

    /// CR/LF would start a new header line (header injection); NUL is not allowed anywhere in a
    /// message. Refused rather than stripped: silently changing the subject of a legal document is
    /// worse than asking.
    static func validateSubject(_ subject: String) throws {
        if let bad = subject.unicodeScalars.first(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
            let name = bad == "\0" ? "a NUL character" : "a line break"
            throw PECError(
                .invalidInput,
                "the subject contains \(name)",
                hint: "Write the subject on one line."
            )
        }
    }

    // MARK: - Attachments

    static func validateAttachment(_ url: URL) throws {
        guard url.isFileURL else {
            throw PECError(
                .invalidInput,
                "attachment \(url.absoluteString) is not a local file",
                hint: "Download the file first and attach the local copy."
            )
        }
        let path = url.path
        // stat follows a symbolic link: a link to a regular file is attached as that file.
        var status = stat()
        guard stat(path, &status) == 0 else {
            let reason = errno == ENOENT ? "does not exist" : "cannot be read (\(String(cString: strerror(errno))))"
            throw PECError(.invalidInput, "attachment \(path) \(reason)", hint: "Check the path of the file to attach.")
        }
        let type = status.st_mode & S_IFMT
        guard type == S_IFREG else {
            let what =
                switch type {
                case S_IFDIR: "is a directory"
                case S_IFIFO: "is a FIFO"
                case S_IFCHR, S_IFBLK: "is a device"
                case S_IFSOCK: "is a socket"
                default: "is not a regular file"
                }
            throw PECError(.invalidInput, "attachment \(path) \(what)", hint: "Only regular files can be attached.")
        }
        guard access(path, R_OK) == 0 else {
            throw PECError(
                .invalidInput,
                "attachment \(path) is not readable (\(String(cString: strerror(errno))))",
                hint: "Check the file's permissions."
            )
        }
    }
}
