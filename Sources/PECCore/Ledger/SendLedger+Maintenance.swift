import Foundation

/// What `pec ledger migrate` found and did: the schema steps applied before and after.
public struct LedgerMigrationReport: Encodable, Sendable, Equatable {
    /// The ledger (``LedgerLocation/displayName``).
    public var ledger: String
    /// `sqlite` or `postgresql`.
    public var store: String
    public var stepsBefore: Int
    public var stepsAfter: Int
    /// How many steps this pec knows.
    public var stepsKnown: Int
    /// The steps this run applied, in order.
    public var applied: [String]
    /// The steps still to apply (with `--status`, which applies none).
    public var pending: [String]
    /// Whether steps were left unapplied on purpose (`--status`).
    public var statusOnly: Bool

    enum CodingKeys: String, CodingKey {
        case ledger, store, applied, pending
        case stepsBefore = "steps_before"
        case stepsAfter = "steps_after"
        case stepsKnown = "steps_known"
        case statusOnly = "status_only"
    }

    public var isUpToDate: Bool { stepsAfter == stepsKnown }
}

extension SendLedger {
    /// Brings the schema of the ledger at `location` up to date (with `applying` false, only reports the
    /// pending steps and changes nothing; a missing file is not created). A ledger migrated by a newer pec,
    /// or a database pec did not create, is refused as when any command opens it.
    public static func migrate(
        _ location: LedgerLocation,
        environment: [String: String],
        applying: Bool
    ) throws(PECError) -> LedgerMigrationReport {
        let before = try appliedSteps(location)
        var after = before
        if applying, before.count < LedgerSchema.migrations.count {
            after = try open(location, environment: environment).orderedSteps()
        }
        let known = LedgerSchema.migrations.map(\.identifier)
        return LedgerMigrationReport(
            ledger: location.displayName,
            store: location.file == nil ? "postgresql" : "sqlite",
            stepsBefore: before.count,
            stepsAfter: after.count,
            stepsKnown: known.count,
            applied: after.filter { !before.contains($0) },
            pending: known.filter { !after.contains($0) },
            statusOnly: !applying
        )
    }

    /// The steps applied to the ledger at `location`, found without changing it.
    private static func appliedSteps(_ location: LedgerLocation) throws(PECError) -> [String] {
        switch location.store {
        case .file(let url):
            guard FileManager.default.fileExists(atPath: url.path) else { return [] }
            return try orderedSteps(SQLiteLedgerDatabase(readingOnly: url))
        case .postgres(let settings):
            return try orderedSteps(PostgresLedgerDatabase(settings: settings, migrating: false))
        }
    }

    /// The identifiers of the schema steps applied, in the order they run.
    func orderedSteps() throws(PECError) -> [String] { try Self.orderedSteps(store) }

    private static func orderedSteps(_ store: any LedgerDatabase) throws(PECError) -> [String] {
        do {
            let applied = try store.appliedSteps()
            return LedgerSchema.migrations.map(\.identifier).filter(applied.contains)
        } catch {
            throw store.ledgerError(error, action: "read")
        }
    }
}
