import Foundation

extension SendService {
    /// The whole send as both front-ends run it: prepare (every check that needs no network, so a
    /// refusal for the content comes before any question), then either the dry run, or
    /// `confirm` (which throws to stop) and the send. SMTP outcomes come back in the result's
    /// `error`, as from ``send(_:)``.
    public func run(
        _ request: SendRequest,
        dryRun: Bool,
        confirm: (PreparedSend) async throws -> Void
    ) async throws -> SendResult {
        let prepared = try prepare(request)
        if dryRun { return self.dryRun(prepared) }
        try await confirm(prepared)
        return try await send(prepared)
    }
}

extension PreparedSend {
    /// Characters of the text shown when asking to confirm (the whole text goes out, of course).
    public static let previewLength = 2000

    /// What a human is shown before confirming, one `label: value` pair per line, in order:
    /// everything that will go out, the Message-ID, and whether this is a deliberate resend.
    /// Values come from the user or files: strip terminal controls before showing them at a terminal.
    public var confirmationFields: [(label: String, value: String)] {
        var fields: [(label: String, value: String)] = [
            ("From", message.from),
            ("To", message.to.joined(separator: ", ")),
        ]
        if !message.cc.isEmpty { fields.append(("Cc", message.cc.joined(separator: ", "))) }
        fields.append(("Subject", message.subject))
        fields.append(("Text", "\(message.body.utf8.count) bytes"))
        for attachment in composed.attachments {
            fields.append(("Attachment", "\(attachment.filename) (\(attachment.size) bytes)"))
        }
        fields.append(("Message-ID", composed.messageID))
        if let earlier = resendOf {
            fields.append(("Resending", "the same content as \(earlier.messageID)"))
        }
        return fields
    }

    /// The start of the text, cut at ``previewLength`` characters (marked with …).
    public var bodyPreview: String {
        message.body.count > Self.previewLength
            ? String(message.body.prefix(Self.previewLength)) + "…" : message.body
    }

    /// The summary to confirm: ``confirmationFields`` as aligned lines (`Subject:     …`), then a
    /// blank line and the ``bodyPreview``; every field value and text line passed through `safe`.
    public func confirmationLines(indent: String = "", safe: (String) -> String = { $0 }) -> [String] {
        let fields = confirmationFields
        let width = (fields.map(\.label.count).max() ?? 0) + 3
        let header = fields.map { field in
            let label = field.label + ":"
            return indent + label + String(repeating: " ", count: width - label.count) + safe(field.value)
        }
        let text = bodyPreview.split(separator: "\n", omittingEmptySubsequences: false).map {
            indent + safe(String($0.hasSuffix("\r") ? $0.dropLast() : $0))
        }
        return header + [""] + text
    }
}
