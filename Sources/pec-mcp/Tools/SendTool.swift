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
                send only after the user explicitly agreed, with confirm_legal_send: true (the client may \
                also ask the user to confirm). At most \(RecipientRateLimit.mcpDefault.description). \
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
                    "dry_run": Schema.boolean("Check and build the message, send nothing.", default: false),
                    "confirm_legal_send": Schema.boolean(
                        "Must be true to send: the user has seen the message and agreed to send it.",
                        default: false
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
                    "status": Schema.enumeration(["sent", "dry_run", "refused", "failed", "uncertain"]),
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
                ],
                required: ["status", "message_id", "from", "recipients"],
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
        let dryRun = try arguments.bool("dry_run") ?? false
        let confirmed = try arguments.bool("confirm_legal_send") ?? false
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
        let result = try await sender.run(SendRequest(draft: draft, resend: resend), dryRun: dryRun) { prepared in
            guard confirmed else {
                throw PECError(
                    .sendRefused,
                    "not sent: pec_send needs confirm_legal_send: true",
                    hint: "a PEC is legally binding; call with dry_run: true, show the user the result, and send "
                        + "only once the user has explicitly agreed"
                )
            }
            switch await context.confirmation.ask(summary(prepared)) {
            case .confirmed, .unavailable: break
            case .declined(let reason):
                throw PECError(
                    .sendRefused,
                    "not sent: \(reason)",
                    hint: "nothing was contacted; ask the user what to change"
                )
            }
        }
        if let error = result.error {
            throw SendFailed(result: result, error: error)
        }
        return try ToolOutput(result)
    }

    /// What the human is asked to confirm: everything that will go out (core's summary).
    static func summary(_ prepared: PreparedSend) -> String {
        (["Send this certified email (PEC)? It has the legal weight of a registered letter."]
            + prepared.confirmationLines()).joined(separator: "\n")
    }
}

/// A send that was attempted and did not go through (refused, failed, or uncertain): reported as a
/// tool error that still carries the per-recipient result.
struct SendFailed: Error {
    var result: SendResult
    var error: PECError
}
