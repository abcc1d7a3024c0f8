import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

/// A private temporary directory for one test's ledger files, deleted when it is released.
final class LedgerSandbox: Sendable {
    private let home: TemporaryHome
    var root: URL { home.url }

    init() throws {
        home = try TemporaryHome(prefix: "pec-ledger")
    }

    /// Inside a directory that does not exist yet, so opening the ledger has to create it.
    var ledgerURL: URL { root.appendingPathComponent("state/pec/ledger.sqlite") }

    func open(clock: TestClock? = nil) throws -> SendLedger {
        if let clock {
            return try SendLedger(at: ledgerURL, now: { clock.now() })
        }
        return try SendLedger(at: ledgerURL)
    }

    func mode(of url: URL) throws -> mode_t {
        var info = stat()
        try #require(stat(url.path, &info) == 0)
        return info.st_mode & 0o777
    }
}

/// A clock that moves one second each time it is read, so attempts have distinct, known times.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(start: Date = Date(timeIntervalSince1970: 1_750_000_000)) {
        current = start
    }

    func now() -> Date {
        lock.withLock {
            current += 1
            return current
        }
    }

    func advance(by seconds: TimeInterval) {
        lock.withLock { current += seconds }
    }
}

enum LedgerFixtures {
    static let preparedAt = Date(timeIntervalSince1970: 1_749_999_000)

    static func newSend(
        _ messageID: String = "<20250615.1@pec.example.it>",
        account: String = "mario.rossi@pec.example.it",
        to: [String] = ["ufficio@pec.comune.example.it"],
        cc: [String] = []
    ) -> NewSend {
        NewSend(
            messageID: messageID,
            account: account,
            from: account,
            to: to,
            cc: cc,
            subject: "Diffida ad adempiere",
            preparedAt: preparedAt,
            size: 48_213,
            attachments: [
                LedgerAttachment(
                    filename: "diffida.pdf",
                    contentType: "application/pdf",
                    size: 40_000,
                    sha256: String(repeating: "ab", count: 32)
                )
            ]
        )
    }
}
