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

            On a PostgreSQL ledger (PEC_LEDGER_URL), `watch --all-accounts` is one worker of a pool: \
            the workers, on any number of machines, share the accounts through leases in the database \
            (each account watched by one worker, as evenly as --max-accounts allows), renew them every \
            third of --lease, and release them on SIGTERM or SIGINT for the others to take at once; a \
            killed worker's accounts are taken over when its leases expire. Each webhook is delivered \
            by one worker at a time, for every account of the pool. `pec workers` lists the pool.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(
        name: .customLong("account"),
        help: ArgumentHelp(
            "The account to watch (its name or address); repeat it to watch several at once.",
            valueName: "account"
        ),
        completion: ValueCompletions.accounts
    )
    var accounts: [String] = []

    @Flag(help: "Watch every account logged in.")
    var allAccounts = false

    @Option(help: ArgumentHelp("Seconds to wait for the server on each step (default 30).", valueName: "seconds"))
    var timeout: Double?

    @Option(
        help: ArgumentHelp("The folder receipts arrive in (default INBOX).", valueName: "folder"),
        completion: ValueCompletions.folders
    )
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

    @Option(
        help: ArgumentHelp(
            "As a pool worker (--all-accounts on a PostgreSQL ledger), hold at most this many accounts.",
            valueName: "count"
        )
    )
    var maxAccounts: Int?

    @Option(
        help: ArgumentHelp(
            "As a pool worker, how long its leases last unless renewed (default \(PoolSettings.defaultLeaseSeconds)).",
            valueName: "seconds"
        )
    )
    var lease: Int?

    func validate() throws {
        if allAccounts && !accounts.isEmpty { throw ValidationError("--account and --all-accounts do not go together") }
        if !allAccounts && (maxAccounts != nil || lease != nil) {
            throw ValidationError("--max-accounts and --lease are for a pool worker: `pec watch --all-accounts`")
        }
        do throws(PECError) {
            _ = try PoolSettings(leaseSeconds: lease, maxAccounts: maxAccounts)
        } catch {
            throw ValidationError(error.message)
        }
        // --all-accounts: checked in run, where a pool worker may start before any account is saved.
        guard !allAccounts else { return }
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
        let webhooks = try webhookTargets()
        let json = global.json
        let sender = webhooks.isEmpty ? nil : try WebhookSender(caFile: webhookCaFile)
        var targets = webhooks.compactMap { sender?.target($0) }
        if let exec { targets.append(Self.execTarget(exec)) }
        let signal = EventSignal()
        var request = WatchRequest(folder: folder)
        request.stored = signal
        let watching = request
        do {
            if allAccounts {
                let base = try PECContext(environment: ProcessInfo.processInfo.environment, timeout: timeout)
                let ledger = try base.ledger()
                if ledger.isShared {
                    try await runPoolWorker(base, ledger: ledger, targets: targets, request: watching)
                    await sender?.shutdown()
                    return
                }
            }
            let contexts = try contexts()
            let ledger = try contexts[0].ledger()
            let accounts = try contexts.map { context throws(PECError) in try context.account().name }
            if maxAccounts != nil || lease != nil {
                throw PECError(
                    .usage,
                    "--max-accounts and --lease are for a pool worker, on a PostgreSQL ledger",
                    hint: "set PEC_LEDGER_URL to the team's database"
                )
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for target in targets {
                    // One cursor per target, and per account when several are watched.
                    let outbox = EventOutbox(
                        ledger: ledger,
                        accounts: accounts,
                        scoped: accounts.count > 1,
                        signal: signal
                    )
                    group.addTask { try await outbox.run(target) { Console.writeError("warning: \($0)\n") } }
                }
                if contexts.count == 1 {
                    let service = try contexts[0].receipts(caFiles: caFile.map { [$0] } ?? [])
                    group.addTask { try await service.watch(watching) { try Self.print($0, json: json) } }
                } else {
                    // Several accounts: each in its own session; one failing is reported and retried.
                    let watch = AccountsWatch(contexts: contexts, caFiles: caFile.map { [$0] } ?? [])
                    group.addTask {
                        try await watch.run(watching) {
                            try Self.print($0, json: json)
                        } report: { failure in
                            Self.report(failure, json: json)
                        }
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

    /// One worker of the pool sharing the PostgreSQL ledger: the accounts it holds are watched as `--all-accounts`
    /// watches them; the webhooks whose delivery it holds are delivered for every account of the pool.
    private func runPoolWorker(
        _ base: PECContext,
        ledger: SendLedger,
        targets: [DeliveryTarget],
        request: WatchRequest
    ) async throws {
        let json = global.json
        let worker = PoolWorker(
            ledger: ledger,
            settings: try PoolSettings(leaseSeconds: lease, maxAccounts: maxAccounts)
        )
        let trust = try PECTrustStore(caFiles: caFile.map { [$0] } ?? [])
        let accountsWatch = AccountsWatch(contexts: [], caFiles: [])
        var deliveries: [String: @Sendable () async -> Void] = [:]
        // Events other workers store wake the outboxes too (NOTIFY); the poll is for a listening connection
        // that broke.
        let listening = ledger.eventNotifications().map { notifications in
            Task { [signal = request.stored] in
                for await _ in notifications { signal?.notify() }
            }
        }
        defer { listening?.cancel() }
        for target in targets {
            let outbox = EventOutbox(
                ledger: ledger,
                accounts: nil,
                scoped: true,
                signal: request.stored,
                poll: .seconds(2)
            )
            deliveries[target.name] = {
                do {
                    try await outbox.run(target) { Console.writeError("warning: \($0)\n") }
                } catch is CancellationError {
                } catch {
                    Console.writeError("warning: \(target.label): \(error); delivery starts again\n")
                }
            }
        }
        if global.verbose { Console.writeError("pool: worker \(worker.id) on \(ledger.displayName)\n") }
        try await worker.run(
            accounts: { try base.store.accounts().map(\.name) },
            watch: { account in
                try? await accountsWatch.watch(base.forAccount(account), request, trust: trust) {
                    try Self.print($0, json: json)
                } report: { failure in
                    Self.report(failure, json: json)
                }
            },
            deliveries: deliveries,
            report: { Console.writeError("warning: pool: \($0)\n") }
        )
    }

    static func report(_ failure: AccountFailure, json: Bool) {
        Console.writeError("warning: \(failure.account): \(failure.error.message)\n")
        let line = (try? OutputRenderer(format: .json).render(record: failure)) ?? ""
        Console.write(json ? line : failure.textLine)
    }

    /// `--exec`: an outbox target like a webhook. Exit 0 acknowledges; a hook that cannot start, runs
    /// out of time or exits 75 (EX_TEMPFAIL) is retried with backoff; any other exit status parks the event.
    static func execTarget(_ command: String) -> DeliveryTarget {
        DeliveryTarget(name: "exec:\(command)", label: "--exec command") { events in
            guard let event = events.first, let line = try? OutputRenderer(format: .json).render(record: event) else {
                return .park(reason: "the event cannot be encoded")
            }
            switch await EventHook.run(command, input: line) {
            case .exited(status: 0): return .acknowledged
            case .exited(status: 75): return .retry(after: nil, reason: "exited 75 (try again later)")
            case .exited(let status): return .park(reason: "exited with \(status)")
            case .stopped: return .retry(after: nil, reason: "stopped after \(EventHook.timeout.components.seconds) s")
            case .notStarted: return .retry(after: nil, reason: "could not start")
            }
        }
    }

    func webhookTargets() throws -> [WebhookTarget] {
        let secret =
            webhook.isEmpty
            ? [] : try WebhookTarget.secret(file: webhookSecretFile, environment: ProcessInfo.processInfo.environment)
        return try webhook.map { url throws(PECError) in
            try WebhookTarget(url: url, format: webhookFormat.format, batch: webhookBatch, secret: secret)
        }
    }

    static func print(_ event: TrackingEvent, json: Bool) throws {
        Console.write(json ? try OutputRenderer(format: .json).render(record: event) : event.textLine)
    }
}

enum WebhookFormatOption: String, ExpressibleByArgument, CaseIterable {
    case pec, genro

    var format: WebhookTarget.Format { self == .pec ? .pec : .genro }
}
