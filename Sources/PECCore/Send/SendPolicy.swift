import Foundation
import NIOConcurrencyHelpers

/// Limits on what a send may do, beyond what makes a message valid: `pec` (a person typing the
/// command) has none; `pec-mcp` (an AI agent, possibly steered by a prompt injection in a message
/// it read) restricts attachments to configured directories, recipients to an allow-list, and how
/// often one recipient can be written to.
public struct SendPolicy: Sendable, Equatable {
    /// Attachments must resolve (symbolic links followed) to files inside one of these directories;
    /// nil allows any file, an empty list none.
    public var attachmentDirectories: [String]?
    /// Recipients must match an entry: a whole address, or `@domain` for a domain; case-insensitive.
    /// nil allows anyone.
    public var allowedRecipients: [String]?
    public var rateLimit: RecipientRateLimit?

    public init(
        attachmentDirectories: [String]? = nil,
        allowedRecipients: [String]? = nil,
        rateLimit: RecipientRateLimit? = nil
    ) {
        self.attachmentDirectories = attachmentDirectories
        self.allowedRecipients = allowedRecipients
        self.rateLimit = rateLimit
    }

    public static let unrestricted = SendPolicy()

    /// `request` if the policy allows it, with each attachment replaced by the real path that was
    /// checked (so a symbolic link changed afterwards cannot redirect the send); otherwise a
    /// `send_refused` error naming what is not allowed and how the user can allow it.
    func apply(to request: SendRequest) throws(PECError) -> SendRequest {
        var checked = request
        if let allowed = allowedRecipients {
            for address in request.draft.recipients where !Self.matches(address, allowed) {
                throw PECError(
                    .sendRefused,
                    "\(address) is not among the recipients this server may write to",
                    hint: "the allowed recipients are set when pec-mcp starts (--allow-recipient or "
                        + "PEC_MCP_ALLOWED_RECIPIENTS); currently: \(allowed.isEmpty ? "none" : allowed.joined(separator: ", "))"
                )
            }
        }
        if let directories = attachmentDirectories {
            // relativePath: the path as given, so that a relative one is refused, not taken from the
            // current directory.
            checked.draft.attachments = try request.draft.attachments.map { url throws(PECError) in
                URL(fileURLWithPath: try Self.resolve(attachment: url.relativePath, within: directories))
            }
        }
        return checked
    }

    /// An entry that is neither form (`pec-mcp` refuses those when it starts) allows nobody.
    static func matches(_ address: String, _ allowed: [String]) -> Bool {
        allowed.contains { PECAddress.RecipientPattern($0)?.matches(address) ?? false }
    }

    static func resolve(attachment path: String, within directories: [String]) throws(PECError) -> String {
        let configureHint =
            "attachments are allowed only from the directories given when pec-mcp starts "
            + "(--attachments-dir or PEC_MCP_ATTACHMENT_DIRS)"
        guard !directories.isEmpty else {
            throw PECError(.sendRefused, "this server sends no attachments (\(path))", hint: configureHint)
        }
        guard path.hasPrefix("/") else {
            throw PECError(
                .sendRefused,
                "the attachment path \(path) is not absolute",
                hint: "give the full path of a file inside \(directories.joined(separator: ", "))"
            )
        }
        guard let real = realPath(path) else {
            throw PECError(.invalidInput, "the attachment \(path) does not exist or cannot be read")
        }
        let inside = directories.compactMap(realPath).contains { directory in
            real.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/")
        }
        guard inside else {
            throw PECError(
                .sendRefused,
                "the attachment \(path) is outside the directories this server may send files from",
                hint: configureHint + "; currently: \(directories.joined(separator: ", "))"
            )
        }
        return real
    }

    /// The canonical absolute path (symbolic links, `.` and `..` resolved), or nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// The rate limit's slots taken by asking for confirmation (a prompt to the human, or a one-time
/// token issued) in this process. A slot is taken before asking, so a declined prompt still costs
/// one and an agent cannot ask the human more often than it may send. The ledger counts what may
/// have been sent (and sees other processes); this counts what was asked; both must allow.
public final class ConfirmationSlots: Sendable {
    public let limit: RecipientRateLimit
    private let now: @Sendable () -> Date
    private let asked = NIOLockedValueBox([(recipients: Set<String>, at: Date)]())

    public init(limit: RecipientRateLimit, now: @escaping @Sendable () -> Date = { Date() }) {
        self.limit = limit
        self.now = now
    }

    /// Takes one slot for each of `recipients`, or throws `rate_limited` (taking none) when one of
    /// them was already asked about ``limit`` times within its window.
    public func take(recipients: [String]) throws(PECError) {
        let at = now()
        let addresses = Set(recipients.map { $0.lowercased() })
        let refusal: RecipientRateLimited? = asked.withLockedValue { asked in
            asked.removeAll { $0.at <= at.addingTimeInterval(-limit.window) }
            for address in addresses.sorted() {
                let times = asked.filter { $0.recipients.contains(address) }.map(\.at).sorted(by: >)
                if times.count >= limit.maxSends {
                    return RecipientRateLimited(
                        recipient: address,
                        limit: limit,
                        allowedAfter: times[limit.maxSends - 1].addingTimeInterval(limit.window)
                    )
                }
            }
            asked.append((addresses, at))
            return nil
        }
        if let refusal { throw refusal.pecError }
    }
}
