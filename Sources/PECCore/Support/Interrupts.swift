import Dispatch
import Foundation
import NIOConcurrencyHelpers

/// SIGINT and SIGTERM: the process exits 130 / 143 as a shell expects, after deleting the files it
/// was still writing (``TemporaryFiles``), and never in the middle of a ``deferring(_:)`` section.
public enum Interrupts {
    private struct State {
        var deferring = 0
        var pendingExit: Int32?
        /// Run before the process exits on a signal: a pool worker hands its leases over.
        var stopActions: [String: @Sendable () -> Void] = [:]
    }
    /// How long the stop actions together may hold up the exit (a database that does not answer).
    static let stopActionsLimit: DispatchTimeInterval = .seconds(5)
    private static let state = NIOLockedValueBox(State())
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    private static let installed = NIOLockedValueBox(false)

    /// Runs `body` with SIGINT and SIGTERM held back: one that arrives meanwhile ends the process
    /// right after `body`, so work that must not be cut in half (printing an event and noting it
    /// printed) is done whole or not at all.
    public static func deferring<T>(_ body: () async throws -> T) async rethrows -> T {
        state.withLockedValue { $0.deferring += 1 }
        defer {
            let code = state.withLockedValue { state -> Int32? in
                state.deferring -= 1
                return state.deferring == 0 ? state.pendingExit : nil
            }
            if let code { exit(removingFilesWith: code) }
        }
        return try await body()
    }

    /// Installs the handlers: on SIGINT or SIGTERM, delete the registered temporary files, then exit 130 / 143.
    /// Call once, early, from the executable.
    public static func install() {
        guard installed.claimOnce() else { return }
        for (number, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                // Inside `deferring` the stop waits for the end of that section.
                let now = state.withLockedValue { state in
                    if state.deferring > 0 { state.pendingExit = state.pendingExit ?? code }
                    return state.deferring == 0
                }
                if now { exit(removingFilesWith: code) }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Runs `action` (at most ``stopActionsLimit`` for all of them) before the process exits on SIGINT, SIGTERM
    /// or a closed output, until ``removeStopAction(_:)``.
    public static func addStopAction(_ key: String, _ action: @escaping @Sendable () -> Void) {
        state.withLockedValue { $0.stopActions[key] = action }
    }

    public static func removeStopAction(_ key: String) {
        state.withLockedValue { $0.stopActions[key] = nil }
    }

    /// Ends the process now with `code`, deleting the temporary files first, as an interrupt does
    /// (for a reader that went away: `pec list | head`).
    public static func exitNow(_ code: Int32) -> Never {
        exit(removingFilesWith: code)
    }

    private static func exit(removingFilesWith code: Int32) -> Never {
        let actions = state.withLockedValue { state in
            defer { state.stopActions = [:] }
            return Array(state.stopActions.values)
        }
        if !actions.isEmpty {
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                for action in actions { action() }
                done.signal()
            }
            _ = done.wait(timeout: .now() + stopActionsLimit)
        }
        TemporaryFiles.removeAll()
        Foundation.exit(code)
    }
}
