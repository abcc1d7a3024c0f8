import Foundation
import PECCore

/// How this `pec-mcp` was started: the account, and the safety rules of `pec_send` and `pec_get`.
struct ServerConfiguration: Sendable, Equatable {
    static let defaultBodyLimit = 20_000

    var account: String?
    var readOnly = false
    /// pec_send is offered only when sending was allowed at start-up (and the server is not read-only).
    var allowSend = false
    /// Where pec_send may take attachments from (real paths); empty: nowhere.
    var attachmentDirectories: [String] = []
    /// Where pec_get may save attachments (a real path); nil: nowhere.
    var saveDirectory: String?
    /// nil: any recipient (`--allow-recipient '*'`, written explicitly).
    var allowedRecipients: [String]?
    var caFiles: [String] = []
    var bodyLimit = defaultBodyLimit
    var timeout: Double?
    var rateLimit = RecipientRateLimit.mcpDefault

    init() {}

    init(_ command: PecMCP, environment: [String: String]) throws(PECError) {
        try self.init(command.options, environment: environment)
    }

    init(_ options: ServerOptions, environment: [String: String]) throws(PECError) {
        func list(_ name: String, separator: Character) -> [String] {
            (environment[name] ?? "").split(separator: separator).map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
        }
        // PEC_ACCOUNT is read by PECContext, like pec's.
        account = options.account
        let yes = ["1", "true", "yes"]
        readOnly = options.readOnly || yes.contains(environment["PEC_MCP_READ_ONLY"]?.lowercased() ?? "")
        allowSend = options.allowSend || yes.contains(environment["PEC_MCP_ALLOW_SEND"]?.lowercased() ?? "")
        attachmentDirectories = try (list("PEC_MCP_ATTACHMENT_DIRS", separator: ":") + options.attachmentsDir).map {
            path throws(PECError) in try Self.directory(path, option: "--attachments-dir")
        }
        if let save = options.saveDir ?? environment["PEC_MCP_SAVE_DIR"].flatMap({ $0.isEmpty ? nil : $0 }) {
            saveDirectory = try Self.directory(save, option: "--save-dir")
        }
        let recipients = list("PEC_MCP_ALLOWED_RECIPIENTS", separator: ",") + options.allowRecipient
        if recipients.contains("*") {
            allowedRecipients = nil
        } else if !recipients.isEmpty {
            for entry in recipients where PECAddress.RecipientPattern(entry) == nil {
                throw PECError(
                    .usage,
                    "--allow-recipient takes an address (nome@dominio.it), a domain (@dominio.it) or *, not \"\(entry)\""
                )
            }
            allowedRecipients = recipients
        } else if allowSend && !readOnly {
            throw PECError(
                .usage,
                "--allow-send needs --allow-recipient (an address, a @domain, or * for anyone, written explicitly)",
                hint: "or set PEC_MCP_ALLOWED_RECIPIENTS"
            )
        }
        caFiles = list("PEC_MCP_CA_FILES", separator: ":") + options.caFile
        for file in caFiles where !FileManager.default.isReadableFile(atPath: file) {
            throw PECError(.usage, "cannot read the CA file \(file) (--ca-file)")
        }
        if let limit = options.bodyLimit ?? environment["PEC_MCP_BODY_LIMIT"].flatMap({ Int($0) }) {
            guard limit >= 100 else { throw PECError(.usage, "--body-limit must be at least 100 characters") }
            bodyLimit = limit
        } else if let raw = environment["PEC_MCP_BODY_LIMIT"], !raw.isEmpty {
            throw PECError(.usage, "PEC_MCP_BODY_LIMIT must be a number of characters, not \"\(raw)\"")
        }
        if let timeout = options.timeout {
            self.timeout = try ConnectionTimeout(seconds: timeout).seconds
        }
    }

    /// Whether pec_send is listed and callable.
    var sendingAllowed: Bool { allowSend && !readOnly }

    /// The send rules for an agent: only these attachments, recipients, and this often.
    var sendPolicy: SendPolicy {
        SendPolicy(
            attachmentDirectories: attachmentDirectories,
            allowedRecipients: allowedRecipients,
            rateLimit: rateLimit
        )
    }

    /// An existing directory, as its real path (so later checks compare like with like).
    static func directory(_ path: String, option: String) throws(PECError) -> String {
        var isDirectory: ObjCBool = false
        guard path.hasPrefix("/") else {
            throw PECError(.usage, "\(option) needs an absolute path, not \"\(path)\"")
        }
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
            let real = SendPolicy.realPath(path)
        else {
            throw PECError(.usage, "\(option): \(path) is not an existing directory")
        }
        return real
    }
}
