import Foundation

extension PECError {
    /// Something the user or the agent can do about an error that names a command, a tool or an
    /// argument. Core says which; `pec` words it as flags and commands, `pec-mcp` as tools and
    /// arguments. In JSON: `{"action": "login", "address": "…"}` (README "Errors").
    public enum Remedy: Sendable, Equatable, Codable, CustomStringConvertible {
        /// Log in (again, when the address of a saved account is known).
        case login(address: String?)
        /// The password for mail programs has likely expired (it worked before): make a new one in the
        /// provider's webmail, then log in again.
        case renewMailPassword(address: String)
        /// List the folders (the one named does not exist).
        case listFolders
        /// List the folders and name one explicitly (no folder has the role asked for).
        case chooseFolder
        /// List the provider presets.
        case listProviders
        /// List a folder's messages, to see their ids.
        case listMessages(folder: String)
        /// Choose one of the saved accounts.
        case chooseAccount
        /// Put large content in an attachment rather than in the text.
        case attachLargeText
        /// Send the same content again on purpose, as a new message.
        case resend
        /// Trace a sent message's receipts.
        case trace(messageID: String)
        /// Read new receipts, or list the recent sends.
        case sync
        /// Search receipts in another folder, or in every folder.
        case searchOtherFolders
        /// Wait longer for the server (the connection timeout).
        case allowMoreTime
        /// Trust the private CA that signed the server's certificate (saved with the account at login).
        case trustServerCA
        /// Check the CA file saved with the account: missing, unreadable, or not the server's CA.
        case checkServerCA(file: String)
        /// The server offers no STARTTLS: save the account with implicit TLS for this protocol.
        case useImplicitTLS(ServerEndpoint.MailProtocol)
        /// Send the message in several sends, each to at most this many recipients (a provider's size rule).
        case fewerRecipients(atMost: Int)
        /// Leave this attachment out (the provider refuses it).
        case removeAttachment(file: String)
        /// Send again after this instant (a provider's limit of sends per minute).
        case sendAfter(Date)
        /// Fetch the REM dispatch anyway, knowing that doing so is its legal handover to the recipient.
        case acceptHandover
        /// Point `PEC_SECRET_KEY_FILE` at the team's key file (mode 0600), which shared accounts need.
        case secretKeyFile

        /// The stable name of the action, the `action` of its JSON form.
        public var action: String {
            switch self {
            case .login: "login"
            case .renewMailPassword: "renew_mail_password"
            case .listFolders: "list_folders"
            case .chooseFolder: "choose_folder"
            case .listProviders: "list_providers"
            case .listMessages: "list_messages"
            case .chooseAccount: "choose_account"
            case .attachLargeText: "attach_large_text"
            case .resend: "resend"
            case .trace: "trace"
            case .sync: "sync"
            case .searchOtherFolders: "search_other_folders"
            case .allowMoreTime: "allow_more_time"
            case .trustServerCA: "trust_server_ca"
            case .checkServerCA: "check_server_ca"
            case .useImplicitTLS: "use_implicit_tls"
            case .fewerRecipients: "fewer_recipients"
            case .removeAttachment: "remove_attachment"
            case .sendAfter: "send_after"
            case .acceptHandover: "accept_handover"
            case .secretKeyFile: "secret_key_file"
            }
        }

        /// For logs: the action and its argument, in no front-end's words.
        public var description: String {
            switch self {
            case .login(let address): address.map { "login \($0)" } ?? "login"
            case .renewMailPassword(let address): "renew_mail_password \(address)"
            case .listMessages(let folder): "list_messages \(folder)"
            case .trace(let messageID): "trace \(messageID)"
            case .checkServerCA(let file): "check_server_ca \(file)"
            case .useImplicitTLS(let service): "use_implicit_tls \(service.rawValue)"
            case .fewerRecipients(let count): "fewer_recipients \(count)"
            case .removeAttachment(let file): "remove_attachment \(file)"
            case .sendAfter(let date): "send_after \(date.formatted(.iso8601))"
            default: action
            }
        }

        private enum CodingKeys: String, CodingKey {
            case action, address, folder, file
            case mailProtocol = "protocol"
            case messageID = "message_id"
            case maxRecipients = "max_recipients"
            case after
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let action = try container.decode(String.self, forKey: .action)
            switch action {
            case "login": self = .login(address: try container.decodeIfPresent(String.self, forKey: .address))
            case "renew_mail_password":
                self = .renewMailPassword(address: try container.decode(String.self, forKey: .address))
            case "list_folders": self = .listFolders
            case "choose_folder": self = .chooseFolder
            case "list_providers": self = .listProviders
            case "list_messages": self = .listMessages(folder: try container.decode(String.self, forKey: .folder))
            case "choose_account": self = .chooseAccount
            case "attach_large_text": self = .attachLargeText
            case "resend": self = .resend
            case "trace": self = .trace(messageID: try container.decode(String.self, forKey: .messageID))
            case "sync": self = .sync
            case "search_other_folders": self = .searchOtherFolders
            case "allow_more_time": self = .allowMoreTime
            case "trust_server_ca": self = .trustServerCA
            case "check_server_ca": self = .checkServerCA(file: try container.decode(String.self, forKey: .file))
            case "use_implicit_tls":
                self = .useImplicitTLS(try container.decode(ServerEndpoint.MailProtocol.self, forKey: .mailProtocol))
            case "fewer_recipients":
                self = .fewerRecipients(atMost: try container.decode(Int.self, forKey: .maxRecipients))
            case "remove_attachment": self = .removeAttachment(file: try container.decode(String.self, forKey: .file))
            case "accept_handover": self = .acceptHandover
            case "secret_key_file": self = .secretKeyFile
            case "send_after":
                let text = try container.decode(String.self, forKey: .after)
                guard let date = try? Date(text, strategy: .iso8601) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .after,
                        in: container,
                        debugDescription: "not an ISO 8601 time: \(text)"
                    )
                }
                self = .sendAfter(date)
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .action,
                    in: container,
                    debugDescription: "unknown remedy \(action)"
                )
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(action, forKey: .action)
            switch self {
            case .login(let address): try container.encodeIfPresent(address, forKey: .address)
            case .renewMailPassword(let address): try container.encode(address, forKey: .address)
            case .listMessages(let folder): try container.encode(folder, forKey: .folder)
            case .trace(let messageID): try container.encode(messageID, forKey: .messageID)
            case .checkServerCA(let file): try container.encode(file, forKey: .file)
            case .useImplicitTLS(let service): try container.encode(service, forKey: .mailProtocol)
            case .fewerRecipients(let count): try container.encode(count, forKey: .maxRecipients)
            case .removeAttachment(let file): try container.encode(file, forKey: .file)
            case .sendAfter(let date): try container.encode(date.formatted(.iso8601), forKey: .after)
            default: break
            }
        }
    }
}
