import Foundation
import Logging

/// `pec doctor`: checks, in order, everything an account needs, and says for each what it found
/// and what to do when it failed. Nothing on the servers is changed: IMAP logs in, lists the
/// folders and logs out; SMTP says EHLO, AUTH and QUIT, and never MAIL FROM.
///
/// A check whose prerequisite failed is ``DoctorResult/Status/skipped``; every network step waits
/// at most the account's timeout.
public struct DoctorService: Sendable {
    public var account: Account
    public var store: AccountStore
    /// `--timeout`, which wins over the saved one.
    public var timeout: Double?
    var environment: [String: String]
    var now: @Sendable () -> Date = { Date() }
    var logger = Logger(label: "pec.doctor")

    /// A certificate that expires sooner than this is a warning.
    static let certificateWarning: TimeInterval = 14 * 86_400
    /// Less free space than this beside the ledger is a warning.
    static let lowDiskSpace: Int64 = 100 * 1024 * 1024

    public init(account: Account, store: AccountStore, timeout: Double? = nil) {
        self.account = account
        self.store = store
        self.timeout = timeout
        self.environment = store.environment
    }

    /// Runs every check in order, handing each result to `report` as soon as it is known.
    @discardableResult
    public func run(report: (DoctorResult) -> Void = { _ in }) async -> [DoctorResult] {
        await withoutActuallyEscaping(report) { report in
            let recorder = DoctorRecorder(report: report)
            // Read first (the logins need it), reported in its place after the servers.
            let credentials = credentialsCheck()
            await checkIMAP(password: credentials.password, recorder)
            let serverTime = await checkSMTP(password: credentials.password, recorder)
            recorder.add(credentials.result)
            recorder.add(ledgerCheck())
            recorder.add(Self.clockCheck(serverTime: serverTime, now: now()))
            return recorder.results
        }
    }

    /// Which checks fail the run: any `failed` one.
    public static func passed(_ results: [DoctorResult]) -> Bool {
        !results.contains { $0.status == .failed }
    }
}

/// The results so far, handed on one by one; and the checks a failure leaves unrun.
final class DoctorRecorder {
    private(set) var results: [DoctorResult] = []
    private let report: (DoctorResult) -> Void

    init(report: @escaping (DoctorResult) -> Void) {
        self.report = report
    }

    func add(_ result: DoctorResult) {
        results.append(result)
        report(result)
    }

    func contains(_ check: String) -> Bool {
        results.contains { $0.check == check }
    }

    /// Marks each of `checks` not yet reported as skipped, because `failed` failed.
    func skipRemaining(_ checks: [String], after failed: String) {
        for check in checks where !contains(check) {
            add(.skipped(check, because: "\(failed) failed"))
        }
    }
}
