import CLibSecret
import Dispatch
import Foundation

/// The Secret Service through libsecret, with the schema and attributes Python's `keyring` uses
/// (org.freedesktop.Secret.Generic, `service` + `username`), so both programs see the same item.
///
/// libsecret blocks when there is nothing to talk to: without a session bus it may try to autolaunch
/// one, and with a bus it activates the keyring daemon and waits on D-Bus (25 s default) or on an
/// unlock prompt. So: the keyring is only considered when the environment has a session bus
/// (`DBUS_SESSION_BUS_ADDRESS`, or `$XDG_RUNTIME_DIR/bus`), a cheap D-Bus probe checks that
/// org.freedesktop.secrets is owned or activatable, and every libsecret call is cancelled after a
/// deadline.
///
/// GLib reads the bus address from the process environment, not from `environment`: the dictionary
/// decides whether the keyring is tried at all.
struct SecretServiceKeyring: Sendable {
    static let service = "mayai-cli-pec"

    enum Availability: Equatable, Sendable {
        case running
        case activatable
        /// Why not: shown in errors (never contains a password).
        case unavailable(String)

        var isAvailable: Bool {
            if case .unavailable = self { return false }
            return true
        }
    }

    struct Failure: Error, Sendable {
        var message: String
        var timedOut: Bool = false
    }

    /// Deadline for the availability probe (connect + two D-Bus calls).
    var probeTimeout: Double
    /// Deadline for one store, lookup or clear (may include an unlock prompt on a desktop).
    var operationTimeout: Double

    private let environment: [String: String]

    init(environment: [String: String]) {
        self.environment = environment
        probeTimeout = 2
        operationTimeout = environment["PEC_KEYRING_TIMEOUT"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? 20
    }

    /// Whether a session bus is configured at all (no D-Bus traffic).
    var hasSessionBus: Bool {
        if let address = environment["DBUS_SESSION_BUS_ADDRESS"], !address.isEmpty { return true }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            var info = stat()
            let path = runtime.hasSuffix("/") ? runtime + "bus" : runtime + "/bus"
            return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
        }
        return false
    }

    func availability() -> Availability {
        guard hasSessionBus else {
            return .unavailable("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
        }
        if let failure = pec_secret_load() {
            return .unavailable(String(cString: failure))
        }
        var outcome = CallOutcome()
        let result = Self.bounded(seconds: probeTimeout) { cancellable in
            pec_secret_service_probe(Int32(probeTimeout * 1000), cancellable, &outcome.message, &outcome.cancelled)
        }
        let message = outcome.take()
        switch result {
        case 1: return .running
        case 2: return .activatable
        case 0: return .unavailable("no Secret Service (org.freedesktop.secrets) on the session bus")
        default: return .unavailable("the D-Bus session bus cannot be reached: \(message ?? "unknown error")")
        }
    }

    func store(password: String, for address: String, label: String) throws(Failure) {
        var outcome = CallOutcome()
        let ok = Self.bounded(seconds: operationTimeout) { cancellable in
            pec_secret_store(Self.service, address, label, password, cancellable, &outcome.message, &outcome.cancelled)
        }
        if let failure = outcome.failure(timeout: operationTimeout) { throw failure }
        guard ok != 0 else { throw Failure(message: "the Secret Service did not store the password") }
    }

    /// The password, or nil when there is no item.
    func lookup(address: String) throws(Failure) -> String? {
        var outcome = CallOutcome()
        let secret = Self.bounded(seconds: operationTimeout) { cancellable in
            pec_secret_lookup(Self.service, address, cancellable, &outcome.message, &outcome.cancelled)
        }
        defer { pec_secret_free(secret) }
        if let failure = outcome.failure(timeout: operationTimeout) { throw failure }
        return secret.map { String(cString: $0) }
    }

    /// Removes the item; true when one was removed.
    @discardableResult
    func clear(address: String) throws(Failure) -> Bool {
        var outcome = CallOutcome()
        let removed = Self.bounded(seconds: operationTimeout) { cancellable in
            pec_secret_clear(Self.service, address, cancellable, &outcome.message, &outcome.cancelled)
        }
        if let failure = outcome.failure(timeout: operationTimeout) { throw failure }
        return removed != 0
    }

    // MARK: libsecret plumbing (CLibSecret loads it on first use)

    /// A cancellable handed to the timer thread (GCancellable is thread-safe).
    private struct CancellableRef: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// Runs `body` with a cancellable that is cancelled after `seconds` (nil when libsecret did not
    /// load: the call then fails with the loader's message).
    private static func bounded<T>(seconds: Double, _ body: (OpaquePointer?) -> T) -> T {
        guard let cancellable = pec_secret_cancellable_new() else { return body(nil) }
        // The timer keeps its own reference, so it may fire after `body` returned.
        let timerRef = CancellableRef(pointer: pec_secret_cancellable_ref(cancellable))
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            pec_secret_cancellable_cancel(timerRef.pointer)
            pec_secret_cancellable_unref(timerRef.pointer)
        }
        defer { pec_secret_cancellable_unref(cancellable) }
        return body(cancellable)
    }

    /// What a call reported besides its result: a message (malloc'd by CLibSecret) and whether the
    /// failure was our deadline cancelling it.
    private struct CallOutcome {
        var message: UnsafeMutablePointer<CChar>?
        var cancelled: Int32 = 0

        mutating func take() -> String? {
            guard let message else { return nil }
            defer {
                pec_secret_free(message)
                self.message = nil
            }
            return String(cString: message)
        }

        mutating func failure(timeout: Double) -> Failure? {
            let wasCancelled = cancelled != 0
            guard let text = take() else { return nil }
            if wasCancelled {
                let seconds = timeout == timeout.rounded() ? String(Int(timeout)) : String(timeout)
                return Failure(
                    message:
                        "the Secret Service did not answer within \(seconds) s (locked keyring waiting for a prompt?)",
                    timedOut: true
                )
            }
            return Failure(message: text)
        }
    }
}
