import Foundation
import PECCore

extension PECError.Remedy {
    /// The remedy as an agent can act on it: the tool to call and its arguments. Logging in is
    /// the human's part (pec-mcp never sees a password), so it names the `pec` command to run.
    var toolCall: String {
        switch self {
        case .login(let address?):
            "the user must log in again in a terminal: `pec auth login --address \(address)`"
        case .login(nil):
            "the user must log in first in a terminal: `pec auth login --address ADDRESS`"
        case .renewMailPassword(let address):
            "the password for mail programs has likely expired (providers with two-factor login expire it, Aruba "
                + "every 3 months): the user must create a new one in the provider's webmail, then run "
                + "`pec auth login --address \(address)` in a terminal"
        case .listFolders:
            "pec_folders lists the folders"
        case .chooseFolder:
            "pec_folders lists the folders; pass the name as folder"
        case .listProviders:
            "pec_providers lists the presets"
        case .listMessages(let folder):
            "ids are the id values pec_list returns with folder: \"\(folder)\""
        case .chooseAccount:
            "start pec-mcp with one of those as --account (or PEC_ACCOUNT)"
        case .attachLargeText:
            "put large content in a file and pass it in attachments"
        case .resend:
            "pass resend: true to send it again as a new message (only if the user asked to)"
        case .trace(let messageID):
            "call pec_trace with id \"\(messageID)\": it shows the receipts and whether the provider accepted it"
        case .sync:
            "call pec_sync to read new receipts; pec_status without message_id lists the recent sends"
        case .searchOtherFolders:
            "call pec_trace again with another folder, or with all_folders: true"
        case .allowMoreTime:
            "the user can start pec-mcp with a longer --timeout SECONDS"
        case .trustServerCA:
            "if the server uses a private CA, the user must log in again in a terminal: `pec auth login --ca-file FILE`"
        case .checkServerCA(let file):
            "the CA file \(file) saved with the account must be a readable PEM file with the server's CA; the user can log in again with another --ca-file"
        case .useImplicitTLS(let service):
            "the user must log in again in a terminal with `pec auth login --\(service.rawValue)-security tls` (usually port \(service.implicitTLSPort))"
        case .fewerRecipients(let count):
            "call pec_send several times, each with at most \(count) recipient\(count == 1 ? "" : "s") in to and cc"
        case .removeAttachment(let file):
            "call pec_send without \"\(file)\" in attachments"
        case .sendAfter(let date):
            "call pec_send again after \(date.formatted(.iso8601))"
        case .acceptHandover:
            "only if the user wants the message handed over to them, call pec_get again with accept_handover: true"
        case .secretKeyFile:
            "the user must start pec-mcp with PEC_SECRET_KEY_FILE naming the team's key file (mode 0600)"
        }
    }
}

extension PECError {
    /// The error as a tool reports it: `message (advice)` with the remedies as tool calls, on one
    /// line like every value in a text copy (it may quote a server's reply).
    var agentText: String { TextFormatter.oneLine(description(wording: \.toolCall)) }

    /// The JSON error object of a tool result.
    var agentEnvelope: Envelope { Envelope(self, wording: \.toolCall) }
}
