import MCP
import PECCore

/// Tools about the account and the providers pec knows: no network.
enum AccountTools {
    static let all = [authStatus, providers]

    static let authStatus = PECTool(
        tool: Tool(
            name: "pec_auth_status",
            title: "PEC login status",
            description: """
                The accounts saved by `pec auth login` (address, servers, where the password is kept, which \
                one is the default). Not logged in: an error saying how to log in. Contacts nothing.
                """,
            inputSchema: Schema.object([
                "account": Schema.string("Only this account (its name or address).")
            ]),
            annotations: .readOnly("PEC login status", openWorld: false),
            outputSchema: Schema.object(
                [
                    "accounts": Schema.array(
                        Schema.object(
                            [
                                "name": Schema.string(),
                                "address": Schema.string(),
                                "imap_host": Schema.string(),
                                "smtp_host": Schema.string(),
                                "password_storage": Schema.string(),
                                "shared": Schema.boolean(
                                    "Saved for the whole team in the PostgreSQL ledger (`pec auth login --shared`)."
                                ),
                                "default": Schema.boolean(),
                                "last_login": Schema.string(
                                    "When the server last accepted this account's password (ISO 8601); absent: not yet."
                                ),
                            ],
                            required: ["name", "address", "default"],
                            closed: false
                        ),
                        minItems: 1
                    )
                ],
                required: ["accounts"],
                closed: false
            )
        ),
        run: { arguments, context in
            let accounts = try AuthService(store: context.core.store).status(
                account: try arguments.string("account") ?? context.core.accountName
            )
            return try ToolOutput.list(key: "accounts", items: accounts, layout: .fields)
        }
    )

    static let providers = PECTool(
        tool: Tool(
            name: "pec_providers",
            title: "PEC provider presets",
            description: "Known PEC providers (gestori) with their IMAP/SMTP servers and mailbox domains.",
            inputSchema: Schema.object([:]),
            annotations: .readOnly("PEC provider presets", openWorld: false),
            outputSchema: Schema.object(
                ["providers": Schema.array(Schema.anyObject, minItems: 1)],
                required: ["providers"],
                closed: false
            )
        ),
        run: { _, _ in
            try ToolOutput.list(key: "providers", items: ProviderCatalog.rows, layout: .table(columns: nil))
        }
    )
}
