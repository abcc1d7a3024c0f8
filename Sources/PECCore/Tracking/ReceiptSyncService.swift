import Foundation
import Logging

/// What `pec sync` asks for.
public struct SyncRequest: Sendable {
    /// The folder receipts arrive in; INBOX by default.
    public var folder: String?

    public init(folder: String? = nil) {
        self.folder = folder
    }
}

/// What one `pec sync` did.
public struct SyncResult: Codable, Sendable, Equatable {
    public var account: String
    public var folder: String
    public var uidValidity: UInt32
    /// The folder's UIDVALIDITY changed since the last sync, so it was read again from the start.
    public var resynchronized: Bool
    /// Messages looked at (new since the last sync): their headers only.
    public var scanned: Int
    /// Receipts read whole (signature checked, kept as evidence).
    public var receipts: Int
    /// Events stored now (receipts and deadlines); re-read receipts are not counted twice.
    public var recorded: Int
    /// The newest events stored now, at most ``SyncResult/eventLimit``.
    public var events: [TrackingEvent]

    public static let eventLimit = 100

    mutating func add(_ batch: ReceiptSyncService.RecordedBatch) {
        scanned += batch.scanned
        receipts += batch.receipts
        recorded += batch.stored.count
        events = Array((events + batch.stored).suffix(Self.eventLimit))
    }

    enum CodingKeys: String, CodingKey {
        case account, folder
        case uidValidity = "uidvalidity"
        case resynchronized, scanned, receipts, recorded, events
    }
}

/// `pec sync` and `pec watch` (and MCP `pec_sync`): reads the receipts that arrived since the last
/// sync, read-only (EXAMINE, BODY.PEEK: nothing is marked read), keeps each one's bytes as evidence,
/// and records its events in the ledger exactly once.
public struct ReceiptSyncService: Sendable {
    public let access: MailboxAccess
    /// The account's name: the ledger's `account`.
    public let account: String
    public let tracking: TrackingService
    let receipts: ReceiptEventReader
    let logger: Logger

    /// Told how many of the new messages have been looked at (`pec sync` on a terminal).
    public var progress: ProgressHandler?

    /// Messages whose headers are read per round trip; also how often the sync position is saved.
    static let batchSize = 250
    /// The headers that tell a receipt from other mail.
    /// PEC's receipt fields and REM's type and event fields: enough to tell a receipt from an envelope
    /// or a REM dispatch, whose content must not be fetched (fetching it is the legal handover).
    static let headerFields = ["X-Ricevuta", "X-Trasporto", "X-Riferimento-Message-ID"] + REMHeaders.fieldNames

    public init(
        access: MailboxAccess,
        account: String,
        tracking: TrackingService,
        trust: PECTrustStore,
        logger: Logger = Logger(label: "pec.tracking")
    ) {
        self.access = access
        self.account = account
        self.tracking = tracking
        self.receipts = ReceiptEventReader(trust: trust)
        self.logger = logger
    }

    var ledger: SendLedger { tracking.ledger }

    /// One sync: new receipts, then the deadlines that passed.
    public func sync(_ request: SyncRequest) async throws -> SyncResult {
        let evidence = try EvidenceStore(ledger: ledger)
        var result = try await access.withSession(logger: logger) { client in
            let folder = try await FolderResolver.resolve(request.folder, client: client)
            return try await syncFolder(folder, client: client, evidence: evidence)
        }
        let deadlines = try ledger.recordEvents(try tracking.passedDeadlines(account: account).due)
        result.recorded += deadlines.count
        result.events = Array((result.events + deadlines).suffix(SyncResult.eventLimit))
        return result
    }

    /// Reads `folder` from the last synced UID on (from the start when its UIDVALIDITY changed).
    func syncFolder(_ folder: IMAP.MailboxName, client: IMAPClient, evidence: EvidenceStore) async throws
        -> SyncResult
    {
        let mailbox = try await client.open(folder, readOnly: true)
        guard let validity = mailbox.uidValidity?.rawValue else {
            throw PECError(.malformed, "the server gave no UIDVALIDITY for \(folder.displayName)")
        }
        let known = try ledger.syncedFolder(account: account, folder: folder.displayName)
        let resynchronized = known != nil && known?.uidValidity != validity
        let after = known?.uidValidity == validity ? known?.lastUID ?? 0 : 0
        var result = SyncResult(
            account: account,
            folder: folder.displayName,
            uidValidity: validity,
            resynchronized: resynchronized,
            scanned: 0,
            receipts: 0,
            recorded: 0,
            events: []
        )
        // `UID n:*` also matches the last message when n is past it (RFC 9051 §6.4.8): filter.
        let uids = try await client.uidSearch(.uid(IMAP.UIDSet.from(IMAP.UID(rawValue: after + 1))))
            .filter { $0.rawValue > after }.sorted()
        if uids.isEmpty {
            // Still note the position, so a new UIDVALIDITY is recorded once, not rescanned each time.
            if known == nil || resynchronized {
                try ledger.recordEvents(
                    [],
                    syncedTo: (account, folder.displayName, SyncedFolder(uidValidity: validity, lastUID: after))
                )
            }
            return result
        }
        // A pipeline of two stages, bounded to one batch each: while the receipts of one batch are read
        // (parsed, signatures checked) on every processor, the next batch is downloaded; then the first
        // is recorded, in batch order, with the sync position it reaches.
        try await withThrowingTaskGroup(of: [ReceiptEventReader.Reading?].self) { group in
            var pending: DownloadedBatch?
            for start in stride(from: 0, to: uids.count, by: Self.batchSize) {
                let batch = Array(uids[start..<min(start + Self.batchSize, uids.count)])
                let downloaded: DownloadedBatch
                do {
                    let candidates = try await receiptCandidates(batch, client: client)
                    let files = try await evidence.download(candidates, client: client)
                    downloaded = DownloadedBatch(uids: batch, candidates: candidates, files: files)
                } catch {
                    // What was read before the failure is still recorded, as when batches ran one by one.
                    if let pending, let readings = try? await group.next(),
                        let recorded = try? await record(pending, readings, folder, validity, evidence)
                    {
                        result.add(recorded)
                    }
                    throw error
                }
                var previous: (DownloadedBatch, [ReceiptEventReader.Reading?])?
                if let pending { previous = (pending, try await Self.next(of: &group)) }
                group.addTask { try await readReceipts(downloaded.files, folder: folder, uidValidity: validity) }
                pending = downloaded
                if let (batch, readings) = previous {
                    result.add(try await record(batch, readings, folder, validity, evidence))
                    progress?(WorkProgress(.syncing, done: result.scanned, total: uids.count, unit: .messages))
                }
            }
            if let pending {
                let readings = try await Self.next(of: &group)
                result.add(try await record(pending, readings, folder, validity, evidence))
                progress?(WorkProgress(.syncing, done: result.scanned, total: uids.count, unit: .messages))
            }
        }
        return result
    }

    /// One batch's messages, its candidates among them and their files in the evidence store.
    struct DownloadedBatch: Sendable {
        var uids: [IMAP.UID]
        var candidates: [IMAP.UID]
        var files: [EvidenceStore.File]
    }

    /// The readings of the one batch being read.
    private static func next(of group: inout ThrowingTaskGroup<[ReceiptEventReader.Reading?], any Error>)
        async throws -> [ReceiptEventReader.Reading?]
    {
        guard let readings = try await group.next() else {
            throw PECError(.internal, "a batch of receipts was never read")
        }
        return readings
    }

    /// What recording one batch did.
    struct RecordedBatch: Sendable {
        var scanned: Int
        var receipts: Int
        var stored: [TrackingEvent]
    }

    /// Records a batch that was read: its receipts' events and, in the same transaction, the sync
    /// position after it (its files made durable first). On a thread of its own: the `syncfs` and
    /// the commit block, and the few threads of Swift's concurrency pool are reading the next batch.
    private func record(
        _ batch: DownloadedBatch,
        _ readings: [ReceiptEventReader.Reading?],
        _ folder: IMAP.MailboxName,
        _ validity: UInt32,
        _ evidence: EvidenceStore
    ) async throws -> RecordedBatch {
        try await Self.blocking { [self] in
            try recordNow(batch, readings, folder: folder.displayName, validity: validity, evidence: evidence)
        }
    }

    /// Runs blocking work on a dispatch thread, outside Swift's concurrency pool.
    static func blocking<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    private func recordNow(
        _ batch: DownloadedBatch,
        _ readings: [ReceiptEventReader.Reading?],
        folder: String,
        validity: UInt32,
        evidence: EvidenceStore
    ) throws -> RecordedBatch {
        var result = RecordedBatch(scanned: batch.uids.count, receipts: 0, stored: [])
        let read = readings.compactMap { $0 }
        var sent = try ledger.sentMessageIDs(for: read.map { ($0.reference, $0.identificativo) })[...]
        var events: [TrackingEvent] = []
        for (file, reading) in zip(batch.files, readings) {
            guard let reading else {
                file.discardIfNew()
                continue
            }
            result.receipts += 1
            events += try attribute(reading, sentMessageID: sent.popFirst() ?? nil)
        }
        if !batch.candidates.isEmpty { try evidence.flush() }
        let position = SyncedFolder(uidValidity: validity, lastUID: batch.uids.last?.rawValue ?? 0)
        let stored = try ledger.recordEvents(events, syncedTo: (account, folder, position))
        try ledger.learn(fromReceipts: stored)
        result.stored = stored
        return result
    }

    /// The UIDs among `batch` that may be receipts: an `X-Ricevuta` header, or no PEC header at all
    /// but an `X-Riferimento-Message-ID` (the daticert may still say it is one). Envelopes and
    /// ordinary mail are never downloaded.
    func receiptCandidates(_ batch: [IMAP.UID], client: IMAPClient) async throws -> [IMAP.UID] {
        let section = IMAP.SectionSpecifier(part: [], kind: .headerFields(Self.headerFields))
        let fetched = try await client.uidFetch(IMAP.UIDSet(batch), [.uid, .bodyPeek(section, range: nil)])
        return fetched.compactMap { message -> IMAP.UID? in
            guard let uid = message.uid else { return nil }
            let headers = HeaderFields(parsing: message.sections[section] ?? [])
            if let kind = PECMessageKind(headers: headers) { return kind.isReceipt ? uid : nil }
            return headers.text("X-Riferimento-Message-ID") == nil ? nil : uid
        }.sorted()
    }

    /// Reads the downloaded files, in their order, on every processor: parsing and signature
    /// checks are most of a sync's time.
    func readReceipts(_ files: [EvidenceStore.File], folder: IMAP.MailboxName, uidValidity: UInt32)
        async throws -> [ReceiptEventReader.Reading?]
    {
        try await Self.orderedMap(count: files.count, parallel: ProcessInfo.processInfo.activeProcessorCount) {
            [self] index in
            try readReceipt(files[index], folder: folder.displayName, uidValidity: uidValidity)
        }
    }

    /// `body(0..<count)`, at most `parallel` at a time (a bounded queue: the next one starts when one
    /// ends), the results in index order whatever order they end in. The first error ends it.
    static func orderedMap<Value: Sendable>(
        count: Int,
        parallel: Int,
        _ body: @escaping @Sendable (Int) async throws -> Value
    ) async throws -> [Value] {
        var results = [Value?](repeating: nil, count: count)
        try await withThrowingTaskGroup(of: (Int, Value).self) { group in
            var next = 0
            func start() {
                guard next < count else { return }
                let index = next
                next += 1
                group.addTask { (index, try await body(index)) }
            }
            for _ in 0..<max(1, parallel) { start() }
            while let (index, value) = try await group.next() {
                results[index] = value
                start()
            }
        }
        return results.map { $0! }
    }

    private func readReceipt(_ file: EvidenceStore.File, folder: String, uidValidity: UInt32) throws
        -> ReceiptEventReader.Reading?
    {
        let content = try SpooledMessage(file: file.url)
        let evidence = ReceiptEvidence(
            receiptMessageID: content.message.headers.text("Message-ID"),
            folder: folder,
            uid: file.uid.rawValue,
            uidValidity: uidValidity,
            sha256: file.sha256,
            size: file.size,
            path: file.url.path
        )
        return try receipts.read(content, account: account, evidence: evidence, now: tracking.now())
    }

    /// Ties a receipt's events to the sent message: its Message-ID when the ledger has it, else the
    /// ledger's send with that identificativo, else the Message-ID the receipt names (a message sent
    /// by another client). A receipt naming no message at all cannot be tracked and is skipped.
    func attribute(_ reading: ReceiptEventReader.Reading) throws -> [TrackingEvent] {
        let sent = try ledger.sentMessageIDs(for: [(reading.reference, reading.identificativo)])
        return try attribute(reading, sentMessageID: sent.first ?? nil)
    }

    /// ``attribute(_:)`` with the ledger's answer already looked up (``SendLedger/sentMessageIDs(for:)``).
    func attribute(_ reading: ReceiptEventReader.Reading, sentMessageID: String?) throws -> [TrackingEvent] {
        guard let messageID = sentMessageID ?? reading.reference else {
            logger.warning("a receipt names no message (no X-Riferimento-Message-ID, no daticert msgid): skipped")
            return []
        }
        let digestWarning = try remDigestMismatch(reading, messageID: messageID)
        return reading.events.map { event in
            var event = event
            event.messageID = messageID
            if let digestWarning { event.warnings = (event.warnings ?? []) + [digestWarning] }
            return event
        }
    }

    /// When the ledger has the digest of the bytes it sent: whether a REM receipt's digest of the
    /// original says otherwise (the provider certified different content), in words.
    func remDigestMismatch(_ reading: ReceiptEventReader.Reading, messageID: String) throws -> String? {
        guard let digest = reading.remDigest, let sent = try ledger.messageSHA256(forMessageID: messageID) else {
            return nil
        }
        guard let bytes = Data(base64Encoded: digest) else {
            return "the REM digest \(digest) is not base64: it cannot be checked against the bytes sent"
        }
        let received = SHA256Digest.hex(bytes)
        guard received != sent else { return nil }
        return "the REM digest of the original (\(digest)) does not match the SHA-256 of the bytes sent (\(sent))"
    }
}
