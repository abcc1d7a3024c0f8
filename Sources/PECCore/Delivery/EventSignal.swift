import NIOConcurrencyHelpers

/// Wakes the outboxes as soon as a watch has stored new events, so a webhook hears of a receipt
/// without waiting for its next look at the ledger.
public final class EventSignal: Sendable {
    private let waiters = NIOLockedValueBox<[CheckedContinuation<Void, Never>]>([])

    public init() {}

    /// Wakes every outbox waiting now.
    public func notify() {
        let woken = waiters.withLockedValue { list in
            defer { list.removeAll() }
            return list
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns at the next ``notify()``, or after `timeout` at the latest (a notify that comes just
    /// before the wait begins is missed: the timeout bounds that).
    func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    self.waiters.withLockedValue { $0.append(continuation) }
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            // When the timer won, this resumes the wait's own continuation (and wakes the other outboxes
            // early: they look at the ledger once more, which is harmless).
            self.notify()
        }
    }
}
