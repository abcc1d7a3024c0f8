import ArgumentParser
import Foundation
import PECCore

struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth",
        abstract: "Log in, see and remove saved PEC accounts.",
        subcommands: [Login.self, Status.self, Logout.self, Default.self, Keygen.self]
    )

    struct Login: AsyncParsableCommand {
        // Every name is spelled out: deriving one from the type name costs a protocol-conformance scan
        // at start-up.
        static let configuration = CommandConfiguration(
            commandName: "login",
            abstract: "Check a password with the IMAP server and save the account.",
            discussion: """
                The password is asked on the terminal (not echoed), or read from stdin with \
                --password-stdin; it is never a flag. It goes to the Secret Service keyring, or, when \
                there is none, encrypted into ~/.config/mayai-cli/pec/credentials.json (mode 0600).
                With --password-command (e.g. "pass show pec/aruba"), the command is saved instead and \
                run at every login: the first line it prints is the password.
                Give --provider (see `pec providers`), or --imap-host and --smtp-host for any other \
                server. Nothing is saved if the login fails.
                With --shared, the account is saved for the whole team in the PostgreSQL ledger of \
                PEC_LEDGER_URL, its password encrypted with the key in PEC_SECRET_KEY_FILE (which never \
                enters the database; `pec auth keygen FILE` makes one). Every machine with the same URL and \
                key file sees the account; a local account of the same name wins over it.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(help: "The PEC address, e.g. mario.rossi@pec.it.")
        var address: String

        @Option(help: "A provider preset id (`pec providers`).")
        var provider: String?

        @Option(help: "A name for this account, for --account (default: the address).")
        var name: String?

        @Option(help: "IMAP server host.") var imapHost: String?
        @Option(help: "IMAP server port (default 993).") var imapPort: Int?
        @Option(help: "How IMAP starts TLS: tls (implicit) or starttls.") var imapSecurity: ServerEndpoint.Security?
        @Option(help: "SMTP server host.") var smtpHost: String?
        @Option(help: "SMTP server port (default 465).") var smtpPort: Int?
        @Option(help: "How SMTP starts TLS: tls (implicit) or starttls.") var smtpSecurity: ServerEndpoint.Security?

        @Option(help: ArgumentHelp("Also trust the CA certificates in this PEM file.", valueName: "file"))
        var caFile: String?

        @Option(help: ArgumentHelp("Seconds to wait for the server on each step (default 30).", valueName: "seconds"))
        var timeout: Double?

        @Flag(help: "Read the password from stdin instead of asking.")
        var passwordStdin = false

        @Option(
            help: ArgumentHelp(
                "Save this command instead of the password; each login runs it and reads the password from its first line (30 s at most).",
                valueName: "command"
            )
        )
        var passwordCommand: String?

        @Flag(help: "Save the account for the team in the PostgreSQL ledger (PEC_LEDGER_URL, PEC_SECRET_KEY_FILE).")
        var shared = false

        func validate() throws {
            if passwordStdin && passwordCommand != nil {
                throw ValidationError("--password-stdin and --password-command cannot be used together")
            }
        }

        func run() async throws {
            let request = LoginRequest(
                address: address,
                name: name,
                provider: provider,
                imapHost: imapHost,
                imapPort: imapPort,
                imapSecurity: imapSecurity,
                smtpHost: smtpHost,
                smtpPort: smtpPort,
                smtpSecurity: smtpSecurity,
                caFile: caFile,
                timeoutSeconds: timeout,
                passwordCommand: passwordCommand,
                shared: shared
            )
            let store = AccountStore(environment: ProcessInfo.processInfo.environment)
            let service = AuthService(store: store)
            _ = try service.prepare(request)  // bad flags fail before the password is asked
            let password =
                passwordCommand == nil
                ? try PasswordInput.read(fromStdin: passwordStdin, prompt: "Password for \(address): ") : nil
            let status = try await service.login(request, password: password)
            try Console.write(global.renderer.render(record: status))
            if !global.json {
                let saved =
                    if shared {
                        "the account is saved for the team in the ledger, the password encrypted with PEC_SECRET_KEY_FILE"
                    } else if passwordCommand == nil {
                        "password stored in \(status.passwordStorage)"
                    } else {
                        "the password command is saved, not the password"
                    }
                Console.writeError("logged in as \(TextFormatter.oneLine(status.address)); \(saved)\n")
            }
            if shared, let local = try? store.account(named: status.name), local.passwordStorage != .shared {
                Console.writeError(
                    "warning: on this machine the local account \(TextFormatter.oneLine(local.name)) hides the shared "
                        + "one; `pec auth logout --account \(ShellQuoting.quoted(local.name))` removes the local one\n"
                )
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show the saved accounts (exit 2 when there is none).",
            discussion: "With --check, also logs in to each account's IMAP server."
        )

        @OptionGroup var global: GlobalOptions

        @Option(help: "Only this account (name or address).", completion: ValueCompletions.accounts)
        var account: String?

        @Flag(help: "Log in to the server to check the saved password.")
        var check = false

        func run() async throws {
            let store = AccountStore(environment: ProcessInfo.processInfo.environment)
            let statuses = try AuthService(store: store).status(account: account)
            if check {
                for status in statuses {
                    try await AuthService(store: store).checkLogin(named: status.name)
                }
            }
            try Console.write(global.renderer.render(statuses, layout: .fields))
        }
    }

    struct Logout: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "logout",
            abstract: "Forget an account: its keyring entry and saved data.",
            discussion: """
                Without --account, the default account; with --all, every local account. A name that \
                only a shared account has removes that account from the team's ledger, for everyone; \
                when a local account has the name, the local one is removed.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(help: "The account to forget (name or address).", completion: ValueCompletions.accounts)
        var account: String?

        @Flag(help: "Forget every account.")
        var all = false

        func run() throws {
            let store = AccountStore(environment: ProcessInfo.processInfo.environment)
            // --all never empties the team's ledger: a shared account goes only when named.
            let targets =
                all
                ? try store.accounts().filter { $0.passwordStorage != .shared } : [try store.account(named: account)]
            for target in targets {
                try store.remove(named: target.name)
                try Console.write(global.renderer.render(record: LoggedOut(name: target.name, address: target.address)))
            }
        }

        struct LoggedOut: Encodable {
            var name: String
            var address: String
            var status = "logged-out"
        }
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keygen",
            abstract: "Create a key file for shared accounts (PEC_SECRET_KEY_FILE).",
            discussion: """
                Writes a new Fernet key to FILE, mode 0600; an existing file is never replaced. Give the \
                file to each teammate through a safe channel and point PEC_SECRET_KEY_FILE at it: it \
                decrypts the passwords `pec auth login --shared` saves, and never enters the database.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("Where to write the key.", valueName: "file"), completion: .file())
        var file: String

        func run() throws {
            let url = URL(fileURLWithPath: file).standardizedFileURL
            try AccountStore.createSharedKey(at: url)
            try Console.write(global.renderer.render(record: KeyCreated(path: url.path)))
        }

        struct KeyCreated: Encodable {
            var path: String
            var status = "created"
        }
    }

    struct Default: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "default",
            abstract: "Choose the account commands use when --account is not given."
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The account's name or address.", completion: ValueCompletions.accounts)
        var account: String

        func run() throws {
            let store = AccountStore(environment: ProcessInfo.processInfo.environment)
            let target = try store.account(named: account)
            try store.setDefault(named: target.name)
            try Console.write(global.renderer.render(record: AccountStatus(target, isDefault: true)))
        }
    }
}

extension ServerEndpoint.Security: ExpressibleByArgument {}
