import Foundation

/// `pec evidence ID`: what to put in a dossier and where.
public struct DossierRequest: Sendable {
    /// The Message-ID or PEC identificativo of a message this `pec` sent.
    public var id: String
    /// A new directory, or a new `.zip`; nil: `./pec-evidence-<short id>` in the working directory.
    public var output: String?
    /// Look for receipts not yet in the ledger first (read-only, as `trace`); false: the ledger only.
    public var sync: Bool

    public init(id: String, output: String? = nil, sync: Bool = true) {
        self.id = id
        self.output = output
        self.sync = sync
    }
}

/// What `pec evidence` wrote.
public struct DossierResult: Codable, Sendable, Equatable {
    /// The dossier: a directory, or a zip archive.
    public var path: String
    public var zip: Bool
    /// Its files, in order (`SHA256SUMS` last).
    public var files: [String]
    public var report: DossierReport
}

/// Makes evidence dossiers: the message exactly as it was handed to SMTP (kept by ``SendService``) and
/// every receipt exactly as received (kept by sync and trace), re-read and re-verified now, with a
/// report for machines (`report.json`) and one for people (`report.html`), and `SHA256SUMS`.
public struct DossierService: Sendable {
    let receipts: ReceiptSyncService
    let now: @Sendable () -> Date

    public init(receipts: ReceiptSyncService, now: @escaping @Sendable () -> Date = { Date() }) {
        self.receipts = receipts
        self.now = now
    }

    /// Told how the writing goes (`pec evidence` on a terminal).
    public var progress: ProgressHandler?

    var ledger: SendLedger { receipts.ledger }

    public func make(_ request: DossierRequest) async throws -> DossierResult {
        let reference = try MessageReference(request.id)
        if request.sync {
            // Read-only (BODY.PEEK, EXAMINE): downloads and records what the ledger lacks.
            _ = try await receipts.trace(TraceRequest(id: request.id))
        }
        let target = try TraceTarget(reference, ledger: ledger)
        let known =
            try target.send
            ?? target.messageID.flatMap { messageID throws(PECError) in
                try ledger.send(messageID: messageID)
            }
        guard let send = known else {
            throw PECError(
                .notFound,
                "\(request.id) is not a message this pec sent (it is not in the send ledger)",
                hint: "pec evidence makes the dossier of a message sent with pec; check the ID with `pec status`"
            )
        }
        let store = try EvidenceStore(ledger: ledger)
        let output = Self.outputURL(request.output, messageID: send.messageID)
        return try write(try assemble(send: send, store: store), to: output)
    }

    /// The files, `report.json`, `report.html` and `SHA256SUMS`, at `output`.
    func write(_ assembly: Assembly, to output: URL) throws -> DossierResult {
        let all =
            assembly.entries + [
                DossierWriter.Entry(name: "report.json", source: .bytes(try Self.encode(assembly.report))),
                DossierWriter.Entry(
                    name: "report.html",
                    source: .bytes(Array(DossierHTML.render(assembly.report).utf8))
                ),
            ]
        _ = try DossierWriter.write(all, to: output, progress: progress)
        return DossierResult(
            path: output.path,
            zip: DossierWriter.isZip(output),
            files: all.map(\.name) + [DossierWriter.checksumsName],
            report: assembly.report
        )
    }

    /// The default place: `pec-evidence-<the Message-ID's first characters>` in the working directory.
    static func outputURL(_ given: String?, messageID: String) -> URL {
        if let given { return URL(fileURLWithPath: given).standardizedFileURL }
        let local = messageID.trimmingCharacters(in: CharacterSet(charactersIn: "<>")).prefix { $0 != "@" }
        let short = String(local.filter { $0.isLetter || $0.isNumber }.prefix(12))
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent("pec-evidence-\(short.isEmpty ? "message" : short)")
    }

    static func encode(_ report: DossierReport) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(report)) + [0x0A]
    }

    struct Assembly {
        var entries: [DossierWriter.Entry]
        var report: DossierReport
    }

    /// The dossier's files and report, from the ledger and the evidence store.
    func assemble(send: LedgerSend, store: EvidenceStore) throws -> Assembly {
        var warnings: [String] = []
        var entries: [DossierWriter.Entry] = []
        var message = DossierReport.Message(messageID: send.messageID)
        message.identificativo = send.identificativo
        message.from = send.fromAddress
        message.to = send.recipients.filter { $0.role == .to }.map(\.address)
        message.cc = send.recipients.filter { $0.role == .cc }.map(\.address)
        message.subject = send.subject
        message.size = send.size
        message.attachments = send.attachments.map {
            DossierReport.Attachment(filename: $0.filename, size: $0.size, sha256: $0.sha256)
        }
        if let sha256 = try ledger.messageSHA256(forMessageID: send.messageID), let file = store.file(sha256: sha256) {
            let name = "01-messaggio-inviato.eml"
            entries.append(DossierWriter.Entry(name: name, source: .file(file, sha256: sha256)))
            message.file = name
            message.sha256 = sha256
            if let headers = try? SpooledMessage(file: file).message.headers {
                message.date = headers.text("Date")
                message.receiptType = headers.text("X-TipoRicevuta")?.lowercased()
            }
        } else {
            warnings.append(
                "the message as sent is not in this machine's evidence store (sent by an older pec or from another "
                    + "machine, or the store was cleared): "
                    + "the dossier holds its receipts only"
            )
        }

        let events = try ledger.events(messageID: send.messageID)
        let receipts = try readReceipts(
            events,
            messageID: send.messageID,
            firstNumber: entries.count + 1,
            store: store
        )
        entries += receipts.files.map { DossierWriter.Entry(name: $0.name, source: .file($0.url, sha256: $0.sha256)) }
        warnings += receipts.warnings

        let derivation = TrackingStatusDerivation(settings: self.receipts.tracking.settings, now: now())
        let tracked = derivation.message(
            send.messageID,
            send: send,
            events: receipts.trustedEvents,
            includeEvents: false
        )
        let recipients = tracked.recipients.map { recipient in
            Self.recipient(recipient, receipts: receipts.report)
        }
        for receipt in receipts.report
        where receipt.kind == .delivery && receipt.receiptType.map({ $0 != "completa" }) == true {
            warnings.append(
                "the delivery receipt \(receipt.file) is \(receipt.receiptType ?? "?"), not completa: "
                    + "a notification under L. 53/1994 needs the completa one"
            )
        }
        let report = DossierReport(
            direction: .sent,
            tool: "pec \(PECVersion.current)",
            generatedAt: Self.iso8601(now()),
            message: message,
            complete: !recipients.isEmpty && recipients.allSatisfy(Self.isFinal),
            recipients: recipients,
            receipts: receipts.report,
            warnings: warnings
        )
        return Assembly(entries: entries, report: report)
    }

    static func isFinal(_ recipient: DossierReport.Recipient) -> Bool {
        recipient.proof != nil && (recipient.status == .delivered || recipient.status == .failed)
    }

    /// A recipient's status and the receipt that proves it: its delivery or failure (or the non-acceptance
    /// of the whole message), else the latest receipt about it.
    static func recipient(_ tracked: TrackedRecipient, receipts: [DossierReport.Receipt]) -> DossierReport.Recipient {
        let address = tracked.address.lowercased()
        let about = receipts.filter { $0.recipient?.lowercased() == address }
        let proof: DossierReport.Receipt? =
            switch tracked.status {
            case .delivered: about.last { $0.kind == .delivery || $0.kind == .handover }
            case .failed:
                about.last { $0.kind == .deliveryError } ?? receipts.last { $0.kind == .nonAcceptance }
            case .relayed:
                about.last { $0.kind == .relay } ?? receipts.last { $0.kind == .relay && $0.recipient == nil }
            case .accepted: receipts.last { $0.kind == .acceptance }
            default: nil
            }
        return DossierReport.Recipient(
            address: tracked.address,
            status: tracked.status,
            proof: proof?.file,
            errore: tracked.errore,
            erroreEsteso: tracked.erroreEsteso
        )
    }

    struct ReceiptFile {
        var name: String
        var url: URL
        var sha256: String
    }

    struct ReadReceipts {
        var files: [ReceiptFile] = []
        var report: [DossierReport.Receipt] = []
        var trustedEvents: [TrackingEvent] = []
        var warnings: [String] = []
    }

    /// Each stored receipt of the message once (a receipt may record several events), read and verified
    /// again now; only those a gestore vouches for go in, numbered from `firstNumber` in the gestore's order.
    ///
    /// A receipt is looked for in this machine's store by its SHA-256 first: one a teammate's worker recorded
    /// (a shared ledger) has that worker's path, and `trace` downloads its bytes again into this store.
    func readReceipts(_ events: [TrackingEvent], messageID: String, firstNumber: Int, store: EvidenceStore) throws
        -> ReadReceipts
    {
        var result = ReadReceipts()
        var seen: Set<String> = []
        var left = 0
        let reader = self.receipts.receipts
        let stored = events.filter { $0.kind != .timeout }.sorted { ($0.at, $0.seq) < ($1.at, $1.seq) }
        for event in stored {
            guard let evidence = event.evidence, let sha256 = evidence.sha256, let path = evidence.path,
                seen.insert(sha256).inserted
            else { continue }
            let url = store.file(sha256: sha256) ?? URL(fileURLWithPath: path)
            guard FileManager.default.fileExists(atPath: url.path) else {
                result.warnings.append("the receipt \(sha256) is no longer in the evidence store")
                continue
            }
            guard
                let reading = try reader.read(
                    SpooledMessage(file: url),
                    account: event.account,
                    evidence: evidence,
                    now: now()
                ),
                // What `pec evidence verify` will ask of it: certified, and about this message by a signed value.
                reading.certifiedKind != nil, reading.reference == messageID, reading.referenceIsSigned
            else {
                left += 1
                continue
            }
            let number = firstNumber + result.files.count
            let first = reading.events.first
            let name = Self.fileName(number: number, kind: first?.kind ?? event.kind, recipient: first?.recipient)
            let size =
                (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? evidence.size ?? 0
            result.files.append(ReceiptFile(name: name, url: url, sha256: sha256))
            result.trustedEvents += reading.events.map { read in
                var copy = read
                copy.messageID = messageID
                return copy
            }
            result.report.append(
                DossierReport.Receipt(
                    file: name,
                    kind: first?.kind ?? event.kind,
                    standard: reading.standard,
                    pecType: reading.certifiedKind?.rawValue,
                    recipient: first?.recipient,
                    at: first.map { Self.iso8601($0.at) },
                    gestore: first?.gestore,
                    identificativo: reading.identificativo,
                    refersTo: reading.reference,
                    errore: first?.errore,
                    erroreEsteso: first?.erroreEsteso,
                    receiptType: reading.receiptType,
                    size: size,
                    sha256: sha256,
                    signature: first?.signature ?? SignatureCheck(status: .invalid),
                    chain: first?.signature?.chain ?? []
                )
            )
        }
        if left > 0 {
            result.warnings.append(
                "\(left) receipt(s) of this message are not certified by a trusted gestore now: left out of the dossier"
            )
        }
        return result
    }

    /// `03-ricevuta-consegna-anna.bianchi@pec.it.eml`: the number, the kind in Italian, the recipient.
    static func fileName(number: Int, kind: ReceiptEventKind, recipient: String?) -> String {
        let kindName =
            switch kind {
            case .acceptance: "ricevuta-accettazione"
            case .nonAcceptance: "avviso-non-accettazione"
            case .relay: "ricevuta-presa-in-carico"
            case .delivery: "ricevuta-consegna"
            case .deliveryError: "avviso-mancata-consegna"
            case .deliveryWarning: "preavviso-mancata-consegna"
            case .virus: "avviso-rilevazione-virus"
            case .handover: "ricevuta-rem-handover"
            case .timeout: "scadenza"
            }
        let safe = recipient.map { address in
            String(
                address.lowercased().map {
                    $0.isASCII && ($0.isLetter || $0.isNumber || "@.-_+".contains($0)) ? $0 : "_"
                }
                // ASCII only, so 100 characters are 100 bytes: the name stays far below 255.
                .prefix(100)
            )
        }
        return String(format: "%02d", number) + "-" + kindName + (safe.map { "-\($0)" } ?? "") + ".eml"
    }

    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
