/// How many accounts each live worker of a pool is to hold: as even a split as the workers' own limits
/// (`--max-accounts`) allow. Every worker computes it from the same snapshot of the ledger and gets the same
/// answer, so a worker above its share gives accounts up only to one below it, and the pool settles instead of
/// passing accounts to and fro.
public enum PoolShare {
    /// `workers`: each live worker's id and limit (nil: none). The smallest limits are served first, then the
    /// rest is split evenly; of an uneven split, the workers first by id get one more.
    public static func targets(accounts: Int, workers: [(id: String, limit: Int?)]) -> [String: Int] {
        let ordered = workers.sorted { ($0.limit ?? .max, $0.id) < ($1.limit ?? .max, $1.id) }
        var left = max(0, accounts)
        var shares: [String: Int] = [:]
        for (index, worker) in ordered.enumerated() {
            let remaining = ordered.count - index
            let even = (left + remaining - 1) / remaining
            let share = min(even, max(0, worker.limit ?? .max))
            shares[worker.id] = share
            left -= share
        }
        return shares
    }
}
