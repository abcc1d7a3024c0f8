import MCP
import PECCore

/// Receipt tracking: where sent messages stand (`pec status`) and reading new receipts (`pec sync`).
enum TrackingTools {
    static let all = [status, sync]

    static let status = PECTool(
        tool: Tool(
            name: "pec_status",
            title: "Status of sent PEC",
            description: """
                Where sent messages stand, from the local ledger (contacts nothing; call pec_sync first \
                to read new receipts). With message_id: that message, each recipient and every receipt \
                event. Without: the recent sends. Statuses: pending, accepted, relayed, delivered, \
                failed, timed_out; only receipts signed by a PEC gestore count. overdue names the \
                deadlines passed (acceptance timeout, 12 h / 24 h delivery windows).
                """,
            inputSchema: Schema.object([
                "message_id": Schema.string("A Message-ID (as pec_send returned it) or a PEC identificativo."),
                "filter": Schema.enumeration(
                    StatusFilter.allCases.map(\.rawValue),
                    "Only messages still waiting, with a failure, or past a deadline."
                ),
                "limit": Schema.integer("How many recent sends (1–200).", minimum: 1, maximum: 200, default: 20),
            ]),
            annotations: .readOnly("Status of sent PEC", openWorld: false),
            outputSchema: Schema.object(
                [
                    "messages": Schema.array(
                        Schema.object(
                            [
                                "message_id": Schema.string(),
                                "status": Schema.enumeration(TrackingStatus.allCases.map(\.rawValue)),
                                "overdue": Schema.array(Schema.string()),
                                "recipients": Schema.array(Schema.anyObject),
                                "events": Schema.array(Schema.anyObject),
                                "untrusted_events": Schema.integer(minimum: 0),
                            ],
                            required: ["message_id", "status"],
                            closed: false
                        )
                    )
                ],
                required: ["messages"],
                closed: false
            )
        ),
        run: { arguments, context in
            let messages = try context.tracking().status(
                StatusRequest(
                    id: try arguments.string("message_id"),
                    account: try context.core.account().name,
                    filter: try arguments.choice("filter", StatusFilter.self),
                    limit: try arguments.int("limit", in: 1...200) ?? 20
                )
            )
            return try ToolOutput.list(
                key: "messages",
                items: messages,
                layout: .table(columns: TrackedMessage.textColumns),
                empty: "no sends\n"
            )
        }
    )

    static let sync = PECTool(
        tool: Tool(
            name: "pec_sync",
            title: "Read new PEC receipts",
            description: """
                Reads the receipts that arrived since the last sync (acceptances, deliveries, errors) into \
                the local ledger, once each, without marking anything read, and returns what it found. \
                Then pec_status shows where each sent message stands.
                """,
            inputSchema: Schema.object([
                "folder": Schema.string("Where the receipts arrive (default INBOX).")
            ]),
            // It writes only pec's own ledger; the mailbox is not changed. Syncing twice adds nothing.
            annotations: .init(
                title: "Read new PEC receipts",
                readOnlyHint: false,
                destructiveHint: false,
                idempotentHint: true,
                openWorldHint: true
            ),
            outputSchema: Schema.object(
                [
                    "account": Schema.string(),
                    "folder": Schema.string(),
                    "uidvalidity": Schema.integer(minimum: 0),
                    "resynchronized": Schema.boolean(),
                    "scanned": Schema.integer(minimum: 0),
                    "receipts": Schema.integer(minimum: 0),
                    "recorded": Schema.integer(minimum: 0),
                    "events": Schema.array(Schema.anyObject),
                ],
                required: ["account", "folder", "scanned", "recorded", "events"],
                closed: false
            )
        ),
        run: { arguments, context in
            let folder = try arguments.string("folder")
            return try ToolOutput(try await context.receipts().sync(SyncRequest(folder: folder)))
        }
    )
}
