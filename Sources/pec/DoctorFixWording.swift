import Foundation
import PECCore

extension DoctorFix {
    /// The fix as `pec` says it: what to run or to change.
    var commandLine: String {
        switch self {
        case .remedy(let remedy):
            remedy.commandLine
        case .advice(let text):
            text
        case .checkHostName(let service, let host):
            "check the \(service.rawValue.uppercased()) host name \(host) (and the network); "
                + "log in again with --\(service.rawValue)-host to change it"
        case .checkServer(let service, let address):
            "nothing answers at \(address): check the \(service.rawValue.uppercased()) port (usually "
                + "\(service.implicitTLSPort)), that the server is running and that no firewall blocks it; "
                + "log in again with --\(service.rawValue)-port to change it"
        case .useCertificateName(let service, let names):
            "log in again with --\(service.rawValue)-host \(names.first ?? "HOST"): the certificate is for "
                + "\(names.joined(separator: ", ")) (if the host is right, the server has the wrong certificate: tell "
                + "your provider)"
        case .certificateExpiresSoon(let service, let notAfter):
            "the \(service.rawValue.uppercased()) server's certificate expires on "
                + "\(notAfter.formatted(.iso8601.year().month().day())): tell your provider; pec refuses it after that"
        case .missingCapabilities(_, let names):
            "nothing to do: pec works without \(names.joined(separator: ", ")), with more round trips"
        case .restrictMode(let path, let mode):
            "chmod \(mode) \(ShellQuoting.quoted(path))"
        case .makeWritable(let path):
            "chmod u+w \(ShellQuoting.quoted(path)) (or point XDG_STATE_HOME at a writable directory)"
        case .freeDiskSpace(let path):
            "free some disk space on the file system of \(ShellQuoting.quoted(path))"
        case .fixPasswordCommand(let address):
            "to use another command: `pec auth login --address \(address) --password-command COMMAND`"
        case .synchronizeClock:
            "turn on network time synchronisation (`timedatectl set-ntp true`)"
        }
    }
}
