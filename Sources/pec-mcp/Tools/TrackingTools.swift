import MCP
import PECCore

/// Receipt tracking: where sent messages stand (`pec status`) and reading new receipts (`pec sync`).
enum TrackingTools {
    static let all = [status, sync, events]

    static let events = PECTool(
        tool: Tool(
            name: "pec_events",
            title: "Receipt events feed",
            description: """
                The receipt events stored in the local ledger, in order, after a sequence number: a feed for \
                applications that poll (contacts nothing; pec_sync or a running `pec watch` fills the ledger). \
                Each event has its seq, the event (pec_acceptance, pec_delivery, pec_delivery_error, pec_relay, \
                pec_timeout, …), the message_id, the recipient, errore, trusted, and ref when the send had one. \
                Pass next_after as after for the next page: nothing is missed and nothing repeats.
                """,
            inputSchema: Schema.object([
                "after": Schema.integer(
                    "Only events after this seq (default 0: from the first).",
                    minimum: 0,
                    default: 0
                ),
                "limit": Schema.integer(
                    "How many events at most (1–\(EventsRequest.maximumLimit)).",
                    minimum: 1,
                    maximum: EventsRequest.maximumLimit,
                    default: 100
                ),
            ]),
            annotations: .readOnly("Receipt events feed", openWorld: false),
            outputSchema: Schema.object(
                [
                    "events": Schema.array(Schema.anyObject),
                    "next_after": Schema.integer(minimum: 0),
                ],
                required: ["events", "next_after"],
                closed: false
            )
        ),
        run: { arguments, context in
            let page = try context.tracking().events(
                EventsRequest(
                    after: Int64(try arguments.int("after", in: 0...Int.max) ?? 0),
                    limit: try arguments.int("limit", in: 1...EventsRequest.maximumLimit) ?? 100,
                    account: try context.core.account().name
                )
            )
            // textLine keeps every value from mail on one line.
            let text =
                page.events.isEmpty
                ? "no events after \(page.nextAfter)\n"
                : page.events.map { "\($0.seq) \($0.textLine)" }.joined() + "next_after: \(page.nextAfter)\n"
            return ToolOutput(value: page, text: text)
        }
    )

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
