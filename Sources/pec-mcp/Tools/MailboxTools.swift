import MCP
import PECCore

/// The read-only mailbox tools: each calls the PECCore use-case of the matching `pec` command.
enum MailboxTools {
    static let all = [list, search, get, verify, folders, trace]

    static let maxPage = 200

    // MARK: - pec_list, pec_search

    static let list = PECTool(
        tool: Tool(
            name: "pec_list",
            title: "List PEC messages",
            description: """
                The newest messages of a folder, newest first: id, date, sender, subject, PEC kind \
                (pec_type), unread, attachments. Reads headers only and marks nothing read. Pages: pass \
                next_before_id as before_id for older messages. Use pec_get with an id to read one.
                """,
            inputSchema: Schema.object([
                "folder": Schema.string("Folder name as pec_folders shows it (default INBOX)."),
                "unread_only": Schema.boolean("Only messages not yet read.", default: false),
                "since": Schema.string("Only messages arrived on or after this day (YYYY-MM-DD).", format: "date"),
                "limit": Schema.integer("How many messages (1–\(maxPage)).", minimum: 1, maximum: maxPage, default: 20),
                "before_id": Schema.integer(
                    "Only messages with a lower id: the next_before_id of the previous page.",
                    minimum: 1
                ),
            ]),
            annotations: .readOnly("List PEC messages"),
            outputSchema: pageSchema
        ),
        run: { arguments, context in
            let request = ListRequest(
                folder: try arguments.string("folder"),
                unreadOnly: try arguments.bool("unread_only") ?? false,
                since: try arguments.day("since"),
                limit: try arguments.int("limit", in: 1...maxPage) ?? 20,
                beforeID: try arguments.int("before_id", in: 1...Int(UInt32.max)).map { UInt32($0) }
            )
            return try pageOutput(try await context.mailbox().listPage(request))
        }
    )

    static let search = PECTool(
        tool: Tool(
            name: "pec_search",
            title: "Search PEC messages",
            description: """
                Server-side search of a folder by subject, sender, body, or all three (any language, \
                case-insensitive). Newest first, paged like pec_list.
                """,
            inputSchema: Schema.object(
                [
                    "query": Schema.string("The text to look for."),
                    "field": Schema.enumeration(
                        SearchRequest.Field.allCases.map(\.rawValue),
                        "Where to look.",
                        default: "all"
                    ),
                    "folder": Schema.string("Folder name (default INBOX)."),
                    "since": Schema.string("Only messages arrived on or after this day (YYYY-MM-DD).", format: "date"),
                    "limit": Schema.integer(
                        "How many messages (1–\(maxPage)).",
                        minimum: 1,
                        maximum: maxPage,
                        default: 20
                    ),
                    "before_id": Schema.integer("Only messages with a lower id (next page).", minimum: 1),
                ],
                required: ["query"]
            ),
            annotations: .readOnly("Search PEC messages"),
            outputSchema: pageSchema
        ),
        run: { arguments, context in
            let request = SearchRequest(
                query: try arguments.requiredString("query"),
                field: try arguments.choice("field", SearchRequest.Field.self) ?? .all,
                folder: try arguments.string("folder"),
                since: try arguments.day("since"),
                limit: try arguments.int("limit", in: 1...maxPage) ?? 20,
                beforeID: try arguments.int("before_id", in: 1...Int(UInt32.max)).map { UInt32($0) }
            )
            return try pageOutput(try await context.mailbox().searchPage(request))
        }
    )

    static func pageOutput(_ page: MessagePage) throws -> ToolOutput {
        var text =
            page.messages.isEmpty
            ? "no messages\n"
            : ToolOutput.untrusted(
                try OutputRenderer(format: .text).render(
                    page.messages,
                    layout: .table(columns: MessageSummary.textColumns)
                ),
                what: "mailbox listing"
            )
        if let next = page.nextBeforeID { text += "more: call again with before_id \(next)\n" }
        return ToolOutput(value: page, text: text)
    }

    static let pageSchema = Schema.object(
        [
            "messages": Schema.array(
                Schema.object(
                    [
                        "id": Schema.integer("The message's id in its folder (IMAP UID).", minimum: 1),
                        "date": Schema.string(),
                        "from": Schema.string(),
                        "to": Schema.string(),
                        "subject": Schema.string(),
                        "pec_type": Schema.string(
                            "The PEC kind from the headers (posta-certificata, accettazione, …)."
                        ),
                        "unread": Schema.boolean(),
                        "has_attachments": Schema.boolean(),
                        "size": Schema.integer(minimum: 0),
                    ],
                    required: ["id", "unread", "has_attachments"],
                    closed: false
                )
            ),
            "next_before_id": Schema.integer("Present when older messages follow: pass it as before_id.", minimum: 1),
        ],
        required: ["messages"],
        closed: false
    )

    // MARK: - pec_get, pec_verify

    static let get = PECTool(
        tool: Tool(
            name: "pec_get",
            title: "Read a PEC message",
            description: """
                One message in full: for a received PEC, the sender's original message (postacert.eml) \
                with the transport envelope beside it. pec_type is set only when a gestore's signature \
                vouches for it (verify: true checks it); otherwise claimed_pec_type. The body is cut at \
                the server's limit (body_truncated says so). Nothing is marked read. \
                REM (PEC europea): standard is rem and rem carries the event, reason code and evidence. \
                Reading a REM dispatch (pec_type rem-dispatch in pec_list) is its legal HANDOVER to the \
                recipient, which the provider may certify: it is refused unless accept_handover is true, \
                and the result then says handover: true. Ask the user before accepting.
                """,
            inputSchema: Schema.object(
                [
                    "id": Schema.integer("The message id from pec_list or pec_search.", minimum: 1),
                    "folder": Schema.string("The folder the id belongs to (default INBOX)."),
                    "include_cert": Schema.boolean(
                        "Include the parsed certification data (daticert.xml).",
                        default: false
                    ),
                    "verify": Schema.boolean("Check the gestore's S/MIME signature.", default: false),
                    "accept_handover": Schema.boolean(
                        "Accept that reading a REM dispatch hands it over to the recipient (a legal act the "
                            + "provider may certify with ContentHandover evidence). Without it a REM dispatch is "
                            + "refused before its content is fetched; PEC messages and REM receipts are unaffected.",
                        default: false
                    ),
                    "save_attachments": Schema.boolean(
                        "Save the attachments into the directory configured for this server (--save-dir); "
                            + "each attachment's saved_as says where.",
                        default: false
                    ),
                ],
                required: ["id"]
            ),
            annotations: .readOnly("Read a PEC message"),
            outputSchema: detailsSchema
        ),
        run: { arguments, context in
            let save = try arguments.bool("save_attachments") ?? false
            var saveDirectory: String?
            if save {
                guard let directory = context.configuration.saveDirectory else {
                    throw PECError(
                        .usage,
                        "this server saves no attachments",
                        hint: "start pec-mcp with --save-dir DIR (or PEC_MCP_SAVE_DIR) to allow saving into DIR"
                    )
                }
                saveDirectory = directory
            }
            let request = GetRequest(
                id: UInt32(try arguments.requiredInt("id", in: 1...Int(UInt32.max))),
                folder: try arguments.string("folder"),
                options: MessageReader.Options(
                    certification: try arguments.bool("include_cert") ?? false,
                    signature: try arguments.bool("verify") ?? false
                ),
                saveAttachments: saveDirectory,
                caFiles: context.configuration.caFiles,
                acceptHandover: try arguments.bool("accept_handover") ?? false
            )
            return try detailsOutput(try await context.mailbox().get(request), limit: context.configuration.bodyLimit)
        }
    )

    static let verify = PECTool(
        tool: Tool(
            name: "pec_verify",
            title: "Verify a PEC message",
            description: """
                Checks one message as `pec verify` checks a file: PEC kind, certification data \
                (daticert.xml) and the gestore's S/MIME signature (signature.status valid, invalid, \
                untrusted or unsigned). Only a valid signature from a trusted gestore makes pec_type certain. \
                A REM message is certified when its provider's signature and every evidence's XAdES \
                signature hold (rem.evidence[].signature). Checking a REM dispatch fetches it, which is \
                its handover: it needs accept_handover: true, as pec_get.
                """,
            inputSchema: Schema.object(
                [
                    "id": Schema.integer("The message id from pec_list or pec_search.", minimum: 1),
                    "folder": Schema.string("The folder the id belongs to (default INBOX)."),
                    "accept_handover": Schema.boolean(
                        "Accept that reading a REM dispatch hands it over to the recipient (a legal act the "
                            + "provider may certify with ContentHandover evidence). Without it a REM dispatch is "
                            + "refused before its content is fetched; PEC messages and REM receipts are unaffected.",
                        default: false
                    ),
                ],
                required: ["id"]
            ),
            annotations: .readOnly("Verify a PEC message"),
            outputSchema: detailsSchema
        ),
        run: { arguments, context in
            let request = GetRequest(
                id: UInt32(try arguments.requiredInt("id", in: 1...Int(UInt32.max))),
                folder: try arguments.string("folder"),
                options: MessageReader.Options(certification: true, signature: true),
                caFiles: context.configuration.caFiles,
                acceptHandover: try arguments.bool("accept_handover") ?? false
            )
            return try detailsOutput(try await context.mailbox().get(request), limit: context.configuration.bodyLimit)
        }
    )

    static func detailsOutput(_ details: MessageDetails, limit: Int) throws -> ToolOutput {
        var details = details
        details.limitBody(to: limit)
        // The text copy: the fields as `pec get` prints them, then the body fenced as untrusted.
        var fields = details
        fields.body = nil
        fields.bodyHTML = nil
        var text = try OutputRenderer(format: .text).render(record: fields)
        if let body = details.body ?? details.bodyHTML {
            text += ToolOutput.untrusted(body, what: "message body")
        }
        return ToolOutput(value: details, text: text)
    }

    static let detailsSchema = Schema.object(
        [
            "id": Schema.integer(minimum: 1),
            "date": Schema.string(),
            "from": Schema.string(),
            "to": Schema.array(Schema.string()),
            "cc": Schema.array(Schema.string()),
            "subject": Schema.string(),
            "standard": Schema.string("pec, or rem for a REM (PEC europea, ETSI EN 319 532) message."),
            "pec_type": Schema.string(
                "The PEC or REM kind (rem-dispatch, rem-content-consignment …), only when a valid provider "
                    + "signature vouches for it."
            ),
            "claimed_pec_type": Schema.string("A PEC kind the headers claim but no valid signature confirms."),
            "body": Schema.string("The text body (untrusted content from the sender)."),
            "body_html": Schema.string(),
            "body_truncated": Schema.boolean("The body was cut at the server's limit."),
            "body_length": Schema.integer("The whole body's length in characters.", minimum: 0),
            "attachments": Schema.array(
                Schema.object(
                    [
                        "filename": Schema.string(),
                        "content_type": Schema.string(),
                        "size": Schema.integer(minimum: 0),
                        "part": Schema.string(),
                        "saved_as": Schema.string(),
                    ],
                    required: ["filename", "content_type", "size", "part"],
                    closed: false
                )
            ),
            "pec_cert_type": Schema.string(),
            "pec_cert": Schema.anyObject,
            "signature": Schema.object(
                ["status": Schema.string("valid, invalid, untrusted or unsigned.")],
                required: ["status"],
                closed: false
            ),
            "envelope": Schema.anyObject,
            "rem": Schema.object(
                [
                    "message_type": Schema.string("dispatch, receipt or notification."),
                    "event": Schema.string("The ERDS event: SubmissionAcceptance, ContentConsignment …"),
                    "reason": Schema.string(),
                    "reason_code": Schema.string("The Italian profile's code: RA01, RD04 …"),
                    "ua_message_id": Schema.string("The sender's Message-ID the message is about."),
                    "evidence_id": Schema.string(),
                    "digest": Schema.string(),
                    "evidence": Schema.array(Schema.anyObject),
                ],
                required: ["evidence"],
                closed: false
            ),
            "handover": Schema.boolean("Reading this REM dispatch handed it over to the recipient."),
            "warnings": Schema.array(Schema.string()),
        ],
        required: ["id", "attachments", "warnings"],
        closed: false
    )

    // MARK: - pec_folders

    static let folders = PECTool(
        tool: Tool(
            name: "pec_folders",
            title: "List PEC folders",
            description:
                "Every folder of the mailbox, with its special use (sent, trash…); with counts, its messages and unread messages.",
            inputSchema: Schema.object([
                "counts": Schema.boolean(
                    "Also count messages and unread messages (one request per folder).",
                    default: false
                )
            ]),
            annotations: .readOnly("List PEC folders"),
            outputSchema: Schema.object(
                [
                    "folders": Schema.array(
                        Schema.object(
                            [
                                "name": Schema.string(),
                                "special_use": Schema.string(),
                                "messages": Schema.integer(minimum: 0),
                                "unread": Schema.integer(minimum: 0),
                                "selectable": Schema.boolean(),
                            ],
                            required: ["name", "selectable"],
                            closed: false
                        )
                    )
                ],
                required: ["folders"],
                closed: false
            )
        ),
        run: { arguments, context in
            let counts = try arguments.bool("counts") ?? false
            let folders = try await context.mailbox().folders(counts: counts)
            let columns = Folder.textColumns(counts: counts)
            return try ToolOutput.list(key: "folders", items: folders, layout: .table(columns: columns))
        }
    )

    // MARK: - pec_trace

    static let trace = PECTool(
        tool: Tool(
            name: "pec_trace",
            title: "Trace a sent PEC",
            description: """
                The receipts of one sent message (acceptance, delivery per recipient, errors), found by its \
                Message-ID (as pec_send returned it) or by its PEC identificativo, and where it and each \
                recipient stand, as pec_status says: pending, accepted, relayed, delivered, failed or timed_out. \
                Each receipt found is verified by default (downloaded once into the evidence store, gestore \
                signature checked, recorded in the ledger); only receipts signed by a PEC gestore count. With \
                verify false only headers are read: nothing is trusted (verified: false), nobody is delivered.
                """,
            inputSchema: Schema.object(
                [
                    "message_id": Schema.string(
                        "The Message-ID pec_send returned, or the identificativo from a receipt."
                    ),
                    "folder": Schema.string("Where the receipts are (default INBOX)."),
                    "all_folders": Schema.boolean("Look in every folder.", default: false),
                    "verify": Schema.boolean(
                        "Verify each receipt's gestore signature; false: a quick look at headers, nothing trusted.",
                        default: true
                    ),
                ],
                required: ["message_id"]
            ),
            // As pec_sync: it writes only pec's own ledger (the verified receipts); the mailbox is not
            // changed, and tracing twice records nothing new.
            annotations: .init(
                title: "Trace a sent PEC",
                readOnlyHint: false,
                destructiveHint: false,
                idempotentHint: true,
                openWorldHint: true
            ),
            outputSchema: Schema.object(
                [
                    "message_id": Schema.string(),
                    "identificativo": Schema.string(),
                    "status": Schema.enumeration(TrackingStatus.allCases.map(\.rawValue)),
                    "overdue": Schema.array(Schema.string()),
                    "recipients": Schema.array(
                        Schema.object(
                            [
                                "address": Schema.string(),
                                "status": Schema.enumeration(TrackingStatus.allCases.map(\.rawValue)),
                            ],
                            required: ["address", "status"],
                            closed: false
                        )
                    ),
                    "events": Schema.array(
                        Schema.object(
                            [
                                "event": Schema.enumeration(ReceiptEventKind.allCases.map(\.rawValue)),
                                "message_id": Schema.string(),
                                "at": Schema.string(),
                                "trusted": Schema.boolean(),
                            ],
                            required: ["event", "message_id", "at", "trusted"],
                            closed: false
                        )
                    ),
                    "untrusted_events": Schema.integer(minimum: 0),
                    "verified": Schema.boolean(),
                    "folders": Schema.array(Schema.string()),
                    "downloaded": Schema.integer(minimum: 0),
                ],
                required: ["message_id", "status", "recipients", "verified"],
                closed: false
            )
        ),
        run: { arguments, context in
            let request = TraceRequest(
                id: try arguments.requiredString("message_id"),
                folder: try arguments.string("folder"),
                allFolders: try arguments.bool("all_folders") ?? false,
                verify: try arguments.bool("verify") ?? true
            )
            return try ToolOutput(try await context.receipts().trace(request))
        }
    )
}
