import ArgumentParser
import PECCore

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check an account end to end and say how to fix what fails.",
        discussion: """
            In order: DNS, TCP and TLS (certificate, host name, expiry, protocol) of each server; IMAP \
            greeting, capabilities, login, INBOX and Sent; SMTP greeting, EHLO and login (AUTH only: \
            nothing is sent); the credential store; the send ledger; the clock. A check whose \
            prerequisite failed is skipped. With --json, one record per check.

            Exit codes: 0 when no check failed (warnings allowed), 1 when one did, 2 when no account is saved.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions

    func run() async throws {
        let doctor = try accountOptions.context().doctor()
        let renderer = global.renderer
        let json = global.json
        let results = await doctor.run { result in
            if json {
                Console.write((try? renderer.render(record: result)) ?? "")
            } else {
                Console.write(Self.text(result))
            }
        }
        let failed = results.filter { $0.status == .failed }.count
        if !json {
            let warnings = results.filter { $0.status == .warning }.count
            let summary =
                failed == 0
                ? "\(doctor.account.name): no check failed\(warnings == 0 ? "" : " (\(warnings) warning\(warnings == 1 ? "" : "s"))")"
                : "\(doctor.account.name): \(failed) check\(failed == 1 ? "" : "s") failed"
            Console.write("\n" + summary + "\n")
        }
        if failed > 0 { throw ExitCode(PECExitCode.error.rawValue) }
    }

    /// `✓ imap.tls  TLS 1.3, …`, and `  fix: …` under a failure or a warning.
    static func text(_ result: DoctorResult) -> String {
        let mark =
            switch result.status {
            case .ok: "✓"
            case .warning: "!"
            case .failed: "✗"
            case .skipped: "-"
            }
        let name = result.check.padding(toLength: max(result.check.count, 18), withPad: " ", startingAt: 0)
        let found = result.status == .skipped ? "skipped: \(result.found)" : result.found
        var lines = ["\(mark) \(name) \(TextFormatter.oneLine(found))"]
        if result.status == .failed || result.status == .warning {
            lines += result.fix.map { "    fix: \(TextFormatter.oneLine($0.commandLine))" }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
