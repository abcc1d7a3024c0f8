import Foundation

/// The provider's documented limits (``ProviderLimits``), checked on a composed message before any
/// network, in `--dry-run` as before every send: what the provider would refuse with an *avviso di
/// non accettazione* (or an SMTP error) is refused here, with the reason, as `send_refused`.
///
/// The limits are looked up by the account's provider id, whatever its servers: an account saved
/// with `--provider aruba` and other hosts still follows Aruba's rules. Custom servers get no checks.
public struct SendPreflight: Sendable {
    public let providerName: String
    public let limits: ProviderLimits

    public init(providerName: String, limits: ProviderLimits) {
        self.providerName = providerName
        self.limits = limits
    }

    /// The preflight of the account's provider preset; no limits for a custom server.
    public init(account: Account) {
        let preset = account.provider.flatMap(ProviderCatalog.preset(id:))
        self.init(providerName: preset?.name ?? "the server", limits: preset?.limits ?? .none)
    }

    /// Throws `send_refused` for the first limit `message` breaks. `ledger` tells how many sends the
    /// account's address made within the last minute (at `now`).
    public func check(_ message: ComposedMessage, ledger: SendLedger, now: Date) throws(PECError) {
        guard !limits.isEmpty else { return }
        try checkTotalSize(message)
        try checkAttachments(message)
        try checkSendsPerMinute(from: message.from, ledger: ledger, now: now)
    }

    /// Size × recipients, both as submitted (the message with its base64 attachments; To and Cc).
    func checkTotalSize(_ message: ComposedMessage) throws(PECError) {
        guard let maximum = limits.maximumTotalSize else { return }
        let recipients = max(message.recipients.count, 1)
        let (total, overflow) = message.size.multipliedReportingOverflow(by: recipients)
        guard overflow || total > maximum else { return }
        let atMost = maximum / max(message.size, 1)
        let megabytes = maximum / 1_000_000
        throw PECError(
            .sendRefused,
            "\(providerName) would not accept this message (non-accettazione): \(Self.megabytes(message.size)) to "
                + "\(recipients) recipient\(recipients == 1 ? "" : "s") is over its limit of \(megabytes) MB divided by "
                + "the number of recipients (size × recipients ≤ \(megabytes) MB)",
            hint: atMost >= 1
                ? "nothing was sent"
                : "nothing was sent; even to one recipient it is too large: send smaller attachments",
            remedies: atMost >= 1 ? [.fewerRecipients(atMost: atMost)] : []
        )
    }

    func checkAttachments(_ message: ComposedMessage) throws(PECError) {
        guard limits.blocksExecutables else { return }
        let scanner = ExecutableScanner(blockedExtensions: Set(limits.blockedExtensions))
        for attachment in message.attachments {
            guard let finding = try scanner.scan(fileAt: attachment.url, name: attachment.filename) else { continue }
            let problem =
                switch finding.reason {
                case .blockedExtension(let ext):
                    "the attachment \(finding.location) is a .\(ext) file, a type it blocks (also inside zip archives)"
                case .executableContent(let kind):
                    "the attachment \(finding.location) is \(kind), and programs are blocked whatever their name"
                case .uncheckable(let why):
                    "the attachment \(finding.location) cannot be checked for blocked files: \(why)"
                }
            throw PECError(
                .sendRefused,
                "\(providerName) would not accept this message (non-accettazione): \(problem)",
                hint: "nothing was sent",
                remedy: .removeAttachment(file: attachment.url.path)
            )
        }
    }

    func checkSendsPerMinute(from address: String, ledger: SendLedger, now: Date) throws(PECError) {
        guard let maximum = limits.maximumSendsPerMinute, maximum > 0 else { return }
        let window: TimeInterval = 60
        let recent = try ledger.submissionTimes(from: address, since: now.addingTimeInterval(-window))
        guard recent.count >= maximum else { return }
        // The oldest of the `maximum` newest sends leaves the window first.
        let allowedAfter = recent[maximum - 1].addingTimeInterval(window)
        throw PECError(
            .sendRefused,
            "\(providerName) accepts at most \(maximum) messages a minute from \(address), and \(recent.count) "
                + "went out in the last 60 seconds: the next send is allowed after "
                + "\(allowedAfter.formatted(.iso8601))",
            hint: "nothing was sent",
            remedy: .sendAfter(allowedAfter),
            retryable: true
        )
    }

    static func megabytes(_ bytes: Int) -> String {
        let value = Double(bytes) / 1_000_000
        return value >= 10 ? "\(Int(value.rounded())) MB" : String(format: "%.1f MB", value)
    }
}
