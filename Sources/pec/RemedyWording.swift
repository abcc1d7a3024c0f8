import Foundation
import PECCore

extension PECError.Remedy {
    /// The remedy as `pec` says it: the command to run or the flag to give.
    var commandLine: String {
        switch self {
        case .login(let address?):
            "log in again with `pec auth login --address \(address)`"
        case .login(nil):
            "run `pec auth login --address ADDRESS`"
        case .renewMailPassword(let address):
            "providers with two-factor login expire the password for mail programs (Aruba every 3 months): "
                + "create a new one in the provider's webmail, then run `pec auth login --address \(address)`"
        case .listFolders:
            "`pec folders` lists the folders"
        case .chooseFolder:
            "`pec folders` lists the folders; pass the name with --folder"
        case .listProviders:
            "`pec providers` lists the presets"
        case .listMessages(let folder):
            "ids are the `id` values `pec list --folder \"\(folder)\"` shows"
        case .chooseAccount:
            "use one of those with --account"
        case .attachLargeText:
            "attach large content with --attach"
        case .resend:
            "use `--resend` to send it again as a new message"
        case .trace(let messageID):
            "`pec trace \(ShellQuoting.quoted(messageID))` shows its receipts and whether the provider accepted it"
        case .sync:
            "run `pec sync` to read new receipts; `pec status` without an id lists the recent sends"
        case .searchOtherFolders:
            "look in another folder with --folder, or in every folder with --all-folders"
        case .allowMoreTime:
            "allow more time with --timeout SECONDS"
        case .trustServerCA:
            "if the server uses a private CA, log in again with `pec auth login --ca-file FILE` (its certificate)"
        case .checkServerCA(let file):
            "check that \(file) is a readable PEM file with the CA that signed the server's certificate, or log in again with another --ca-file"
        case .useImplicitTLS(let service):
            "log in again with --\(service.rawValue)-security tls (usually port \(service.implicitTLSPort))"
        case .fewerRecipients(let count):
            "send it with several `pec send`, each to at most \(count) recipient\(count == 1 ? "" : "s") (--to, --cc)"
        case .removeAttachment(let file):
            "leave out --attach \(ShellQuoting.quoted(file))"
        case .sendAfter(let date):
            "run the same `pec send` again after \(date.formatted(.iso8601))"
        case .acceptHandover:
            "read it with `pec get`, which accepts the handover (`pec list` shows its headers without one)"
        case .secretKeyFile:
            "set PEC_SECRET_KEY_FILE to the team's key file (mode 0600); `pec auth keygen FILE` creates a new key"
        }
    }
}
