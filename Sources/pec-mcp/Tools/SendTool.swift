import Foundation
import MCP
import PECCore

/// `pec_send`: a legally binding send, behind every brake an agent can be given.
enum SendTool {
    static let name = "pec_send"

    static let tool = PECTool(
        tool: Tool(
            name: name,
            title: "Send a PEC",
            description: """
                Sends a certified email (PEC), which has the legal weight of a registered letter and cannot \
                be recalled. Call first with dry_run: true and show the user exactly what would be sent; \
                send only after the user explicitly agreed, with confirm_legal_send: true. The client asks \
                the user to confirm when it can; otherwise the first such call returns status \
                confirmation_required with a one-time confirmation_token (valid 10 minutes), and only a \
                second call with that token and the identical message sends. At most \(RecipientRateLimit.mcpDefault.description). \
                Attachments only from the directories this server was started with. The result's \
                message_id is what pec_trace takes to follow the receipts.
                """,
            inputSchema: Schema.object(
                [
                    "to": Schema.array(Schema.email, "Recipients' PEC addresses.", minItems: 1),
                    "cc": Schema.array(Schema.email, "Copy recipients."),
                    "subject": Schema.string("The subject (one line)."),
                    "body": Schema.string("The text of the message."),
                    "attachments": Schema.array(
                        Schema.string(nil, pattern: "^/"),
                        "Absolute paths of files to attach, inside the server's attachment directories."
                    ),
                    "receipt": Schema.enumeration(
                        ReceiptType.allCases.map(\.rawValue),
                        "The delivery receipt kind: completa (with a copy of the message, the default), breve, sintetica."
                    ),
                    "resend": Schema.boolean(
                        "Send again content already sent, as a new message (only when the user asked to send it twice).",
                        default: false
                    ),
                    "ref": Schema.string(
                        "The application's own reference (an invoice number, a case id), 1 to 200 characters: every "
                            + "event and status record of the send carries it as ref."
                    ),
                    "dry_run": Schema.boolean("Check and build the message, send nothing.", default: false),
                    "confirm_legal_send": Schema.boolean(
                        "Must be true to send: the user has seen the message and agreed to send it.",
                        default: false
                    ),
                    "confirmation_token": Schema.string(
                        "The token a previous call returned (status confirmation_required), with the identical message."
                    ),
                ],
                required: ["to", "subject", "body"]
            ),
            annotations: .init(
                title: "Send a PEC",
                readOnlyHint: false,
                destructiveHint: true,
                idempotentHint: false,
                openWorldHint: true
            ),
            outputSchema: Schema.object(
                [
                    "status": Schema.enumeration([
                        "sent", "dry_run", "refused", "failed", "uncertain", "confirmation_required",
                    ]),
                    "confirmation_token": Schema.string(),
                    "expires_at": Schema.string(),
                    "summary": Schema.array(Schema.string()),
                    "message_id": Schema.string(),
                    "from": Schema.string(),
                    "subject": Schema.string(),
                    "date": Schema.string(),
                    "size": Schema.integer(minimum: 0),
                    "body_size": Schema.integer(minimum: 0),
                    "recipients": Schema.array(
                        Schema.object(
                            [
                                "address": Schema.string(),
                                "role": Schema.enumeration(["to", "cc"]),
                                "status": Schema.enumeration(["accepted", "refused", "pending"]),
                                "smtp_code": Schema.integer(),
                                "smtp_text": Schema.string(),
                            ],
                            required: ["address", "role", "status"],
                            closed: false
                        )
                    ),
                    "attachments": Schema.array(Schema.anyObject),
                    "smtp_reply": Schema.string(),
                    "resend_of": Schema.string(),
                    "ref": Schema.string(),
                ],
                // A send (or dry run) has message_id, from and recipients; confirmation_required has the token.
                required: ["status"],
                closed: false
            )
        ),
        run: run
    )

    @Sendable static func run(_ arguments: ToolArguments, _ context: ToolContext) async throws -> ToolOutput {
        let to = try arguments.strings("to") ?? []
        let cc = try arguments.strings("cc") ?? []
        let subject = try arguments.requiredString("subject")
        let body = try arguments.requiredString("body")
        let attachments = try arguments.strings("attachments") ?? []
        let receipt = try arguments.choice("receipt", ReceiptType.self)
        let resend = try arguments.bool("resend") ?? false
        let ref = try arguments.string("ref")
        let dryRun = try arguments.bool("dry_run") ?? false
        let confirmed = try arguments.bool("confirm_legal_send") ?? false
        let token = try arguments.string("confirmation_token")
        let sender = try context.sender()
        let draft = OutgoingMessage(
            from: sender.account.address,
            to: to,
            cc: cc,
            subject: subject,
            body: body,
            // As given: the send policy refuses a relative path rather than take it from the current directory.
            attachments: attachments.map { URL(fileURLWithPath: $0) },
            receipt: receipt
        )
        let result: SendResult
        do {
            result = try await sender.run(SendRequest(draft: draft, resend: resend, ref: ref), dryRun: dryRun) {
                prepared in
                guard confirmed else {
                    throw PECError(
                        .sendRefused,
                        "not sent: pec_send needs confirm_legal_send: true",
                        hint: "a PEC is legally binding; call with dry_run: true, show the user the result, and send "
                            + "only once the user has explicitly agreed"
                    )
                }
                let binding = SendApprovals.binding(
                    contentFingerprint: prepared.composed.contentFingerprint,
                    resend: resend
                )
                if context.confirmation.available {
                    // Before asking: a declined prompt still costs its slot.
                    try context.confirmationSlots.take(recipients: prepared.message.recipients)
                }
                switch await context.confirmation.ask(prompt(prepared)) {
                case .confirmed: break
                case .declined(let reason):
                    throw PECError(
                        .sendRefused,
                        "not sent: \(reason)",
                        hint: "nothing was contacted; ask the user what to change"
                    )
                case .unavailable:
                    guard let token else {
                        try context.confirmationSlots.take(recipients: prepared.message.recipients)
                        let issued = context.approvals.issue(for: binding)
                        throw ConfirmationRequired(
                            token: issued.token,
                            expires: ISO8601DateFormatter().string(from: issued.expires),
                            summary: prepared.confirmationLines(safe: oneLine)
                        )
                    }
                    guard context.approvals.redeem(token, for: binding) else {
                        throw PECError(
                            .sendRefused,
                            "not sent: the confirmation_token is unknown, expired, already used, or was issued for "
                                + "a different message",
                            hint: "call again without confirmation_token for a new one, show the user the summary, "
                                + "and repeat the identical call with the token only once the user agreed"
                        )
                    }
                }
            }
        } catch let required as ConfirmationRequired {
            return ToolOutput(value: required, text: required.text)
        }
        if let error = result.error {
            throw SendFailed(result: result, error: error)
        }
        return try ToolOutput(result)
    }

    /// What the human is asked to confirm: our own fixed sentences, then every value that will go
    /// out (core's summary fields) on its own labelled line, each kept on one line (controls and
    /// line ends shown as control pictures) so a subject or text cannot forge a line of the prompt.
    static func prompt(_ prepared: PreparedSend) -> String {
        let fields = prepared.confirmationFields + [("Text start", String(prepared.bodyPreview.prefix(500)))]
        return
            ([
                "Send this certified email (PEC)? It has the legal weight of a registered letter.",
                "Values supplied by the agent (one per line, line ends shown as \u{240A}, other controls as \u{FFFD}):",
            ] + fields.map { "  \($0.label): \(oneLine($0.value))" }).joined(separator: "\n")
    }

    /// `value` on one line, by the one rule for text that is not ours (``TextFormatter/oneLine(_:)``).
    @Sendable static func oneLine(_ value: String) -> String {
        TextFormatter.oneLine(value)
    }
}

/// No client-side confirmation is possible: the first call's answer, a one-time token for the
/// identical message (see ``SendApprovals``).
struct ConfirmationRequired: Error, Encodable, Sendable {
    var status = "confirmation_required"
    var token: String
    var expires: String
    var summary: [String]

    enum CodingKeys: String, CodingKey {
        case status, summary
        case token = "confirmation_token"
        case expires = "expires_at"
    }

    var text: String {
        ([
            "not sent yet: this client cannot ask its user, so show the user this summary; only if they agree, "
                + "call pec_send again with the identical message and confirmation_token: \(token) "
                + "(valid until \(expires), once)"
        ] + summary).joined(separator: "\n")
    }
}

/// A send that was attempted and did not go through (refused, failed, or uncertain): reported as a
/// tool error that still carries the per-recipient result.
struct SendFailed: Error {
    var result: SendResult
    var error: PECError
}
