/// How far a long piece of work has got: what a front-end shows while a 20 MB download or a sync of
/// thousands of messages runs (`pec` draws it on a terminal; `pec-mcp` and `--json` show nothing).
/// Use-cases report it whenever they have moved on; the front-end decides what is worth drawing.
public struct WorkProgress: Sendable, Equatable {
    public enum Activity: String, Sendable {
        case downloading
        case saving
        case sending
        case syncing
        case writingDossier = "writing the dossier"
    }

    /// What `done` and `total` count.
    public enum Unit: Sendable {
        case bytes
        case messages
        case files
    }

    public var activity: Activity
    public var done: Int
    /// Nil when not known in advance.
    public var total: Int?
    public var unit: Unit

    public init(_ activity: Activity, done: Int, total: Int?, unit: Unit) {
        self.activity = activity
        self.done = done
        self.total = total
        self.unit = unit
    }
}

/// Called from whichever task does the work, possibly often: it must return quickly.
public typealias ProgressHandler = @Sendable (WorkProgress) -> Void
