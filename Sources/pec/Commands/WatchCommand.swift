import ArgumentParser
import Foundation
import PECCore

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Stay connected and print each receipt event as it arrives (IMAP IDLE).",
        discussion: """
            Syncs, then waits for new mail with IDLE (renewed every 25 minutes; reconnects after \
            faults, waiting up to a minute). Each event is printed once, after it is stored; with \
            --json as one NDJSON line. pec_timeout events are printed when a deadline passes. \
            SIGINT or SIGTERM stop it cleanly (exit 130 / 143): an event stored but not yet printed \
            is printed by the next watch. The first watch of an account starts from now.

            --webhook URL (repeatable) also posts each event over HTTPS (plain http only to this \
            machine), signed: `PEC-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` with \
            the secret of PEC_WEBHOOK_SECRET or --webhook-secret-file, and `Idempotency-Key: <event_id>`. \
            Each webhook has its own cursor in the ledger, moved only after a 2xx: delivery is at least \
            once (after a crash an event may come again, with the same event_id), and nothing is lost \
            while a receiver is down. 408, 425, 429, 5xx and network failures are retried (1 s doubling \
            to 5 min, with jitter; Retry-After honoured); other answers park the event (`pec events \
            --parked`, `pec events --retry`). A new webhook starts from now.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(
        name: .customLong("account"),
        help: ArgumentHelp(
            "The account to watch (its name or address); repeat it to watch several at once.",
            valueName: "account"
        )
    )
    var accounts: [String] = []

    @Flag(help: "Watch every account logged in.")
    var allAccounts = false

    @Option(help: ArgumentHelp("Seconds to wait for the server on each step (default 30).", valueName: "seconds"))
    var timeout: Double?

    @Option(help: ArgumentHelp("The folder receipts arrive in (default INBOX).", valueName: "folder"))
    var folder: String?

    @Option(
        help: ArgumentHelp(
            "Run this shell command for each event, with the event as one JSON line on its standard input.",
            valueName: "command"
        )
    )
    var exec: String?

    @Option(help: ArgumentHelp("Also trust the CA certificates in this PEM file for signatures.", valueName: "file"))
    var caFile: String?

    @Option(help: ArgumentHelp("Post each event to this HTTPS URL (repeatable).", valueName: "url"))
    var webhook: [String] = []

    @Option(help: "Events per webhook POST (1-\(WebhookTarget.maximumBatch)); more than 1 posts {\"events\": [...]}.")
    var webhookBatch = 1

    @Option(help: "The webhook body: pec (the event record) or genro (genro-mail-proxy's delivery_report).")
    var webhookFormat: WebhookFormatOption = .pec

    @Option(help: ArgumentHelp("Trust the CA certificates in this PEM file for webhook TLS.", valueName: "file"))
    var webhookCaFile: String?

    @Option(
        help: ArgumentHelp(
            "Read the webhook signing secret from this file (else PEC_WEBHOOK_SECRET).",
            valueName: "file"
        )
    )
    var webhookSecretFile: String?

    func validate() throws {
        if allAccounts && !accounts.isEmpty { throw ValidationError("--account and --all-accounts do not go together") }
        do throws(PECError) {
            for context in try contexts() { _ = try context.account() }
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// One context per account watched, sharing one ledger; the default account when none is named.
    func contexts() throws(PECError) -> [PECContext] {
        let base = try PECContext(
            environment: ProcessInfo.processInfo.environment,
            account: accounts.first,
            timeout: timeout
        )
        let names = allAccounts ? try base.store.accounts().map(\.name) : accounts
        guard names.count > 1 else {
            if allAccounts, names.isEmpty {
                throw PECError(.notAuthenticated, "no PEC account is saved", remedy: .login(address: nil))
            }
            return [allAccounts ? base.forAccount(names[0]) : base]
        }
        // Opened once, before the contexts share it.
        _ = try? base.ledger()
        return names.map(base.forAccount)
    }

    func run() async throws {
        let contexts = try contexts()
        if contexts.count > 1 { return try await watchSeveral(contexts) }
        let context = contexts[0]
        let service = try context.receipts(caFiles: caFile.map { [$0] } ?? [])
        let targets = try webhookTargets()
        let json = global.json
        let exec = exec
        guard !targets.isEmpty else {
            try await service.watch(WatchRequest(folder: folder)) { event in
                try await Self.print(event, json: json, exec: exec)
            }
        }
        let sender = try WebhookSender(caFile: webhookCaFile)
        let signal = EventSignal()
        let outbox = EventOutbox(ledger: service.tracking.ledger, account: service.account, signal: signal)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for target in targets {
                    group.addTask {
                        try await outbox.run(target, sender: sender) { Console.writeError("warning: \($0)\n") }
                    }
                }
                group.addTask {
                    var request = WatchRequest(folder: folder)
                    request.stored = signal
                    try await service.watch(request) { event in
                        try await Self.print(event, json: json, exec: exec)
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            await sender.shutdown()
            throw error
        }
        await sender.shutdown()
    }

    /// Several accounts: each in its own session; one failing is reported and retried, never stops the others.
    func watchSeveral(_ contexts: [PECContext]) async throws {
        let targets = try webhookTargets()
        let json = global.json
        let exec = exec
        let watch = AccountsWatch(contexts: contexts, caFiles: caFile.map { [$0] } ?? [])
        let sender = targets.isEmpty ? nil : try WebhookSender(caFile: webhookCaFile)
        let ledger = try contexts[0].ledger()
        let accounts = try contexts.map { context throws(PECError) in try context.account().name }
        let signal = EventSignal()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                if let sender {
                    for target in targets {
                        for account in accounts {
                            let outbox = EventOutbox(ledger: ledger, account: account, scope: account, signal: signal)
                            group.addTask {
                                try await outbox.run(target, sender: sender) { Console.writeError("warning: \($0)\n") }
                            }
                        }
                    }
                }
                group.addTask {
                    var request = WatchRequest(folder: folder)
                    request.stored = signal
                    try await watch.run(request) { event in
                        try await Self.print(event, json: json, exec: exec)
                    } report: { failure in
                        Console.writeError("warning: \(failure.account): \(failure.error.message)\n")
                        let line = (try? OutputRenderer(format: .json).render(record: failure)) ?? ""
                        Console.write(json ? line : failure.textLine)
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            await sender?.shutdown()
            throw error
        }
        await sender?.shutdown()
    }

    func webhookTargets() throws -> [WebhookTarget] {
        let secret =
            webhook.isEmpty
            ? [] : try WebhookTarget.secret(file: webhookSecretFile, environment: ProcessInfo.processInfo.environment)
        return try webhook.map { url throws(PECError) in
            try WebhookTarget(url: url, format: webhookFormat.format, batch: webhookBatch, secret: secret)
        }
    }

    static func print(_ event: TrackingEvent, json: Bool, exec: String?) async throws {
        let line = try OutputRenderer(format: .json).render(record: event)
        Console.write(json ? line : event.textLine)
        if let exec { await EventHook.run(exec, input: line) }
    }
}

enum WebhookFormatOption: String, ExpressibleByArgument, CaseIterable {
    case pec, genro

    var format: WebhookTarget.Format { self == .pec ? .pec : .genro }
}
