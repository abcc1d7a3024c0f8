import Foundation
import PECWire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension DoctorService {
    // MARK: - Credentials

    /// Where the password is and whether it can be had (the keyring reachable, the file store's
    /// modes, the password command runs); the password itself for the logins, never shown.
    func credentialsCheck() -> (result: DoctorResult, password: String?) {
        var details = DoctorDetails()
        details.storage = account.passwordStorage.rawValue
        var problems: [String] = []
        var fixes: [DoctorFix] = []
        var failed = false
        let privateFiles =
            account.passwordStorage == .file ? [store.credentialsFile, store.keyFile] : [store.credentialsFile]
        if let mode = Self.mode(of: store.directory.path), mode & 0o077 != 0 {
            problems.append("\(store.directory.path) is open to other users (mode \(Self.octal(mode)))")
            fixes.append(.restrictMode(path: store.directory.path, mode: "700"))
        }
        for file in privateFiles {
            if let mode = Self.mode(of: file.path), mode & 0o066 != 0 {
                problems.append("\(file.path) can be read or written by other users (mode \(Self.octal(mode)))")
                fixes.append(.restrictMode(path: file.path, mode: "600"))
                failed = true
            }
        }
        let password: String?
        do {
            password = try store.password(for: account)
        } catch  where error.kind == .io && failed {
            password = nil  // the store refused a file others can read: the modes above say so
        } catch {
            password = nil
            failed = true
            problems.insert(error.message, at: 0)
            // The store's remedies name no address; here it is known, and a command is changed by logging in anew.
            let again: DoctorFix =
                account.passwordStorage == .command
                ? .fixPasswordCommand(address: account.address) : .remedy(.login(address: account.address))
            fixes += DoctorFix.from(error).map { fix in
                if case .remedy(.login) = fix { return again }
                return fix
            }
            if !fixes.contains(again) { fixes.append(again) }
        }
        let source =
            switch account.passwordStorage {
            case .keyring: "the password is in the system keyring, which answers"
            case .file:
                "the password is in \(store.credentialsFile.path), encrypted with \(store.keyFile.lastPathComponent) (mode 600)"
            case .command: "the password command runs and prints a password"
            case .shared: "the password is in the team's ledger, decrypted with the key in PEC_SECRET_KEY_FILE"
            }
        if problems.isEmpty {
            return (DoctorResult("credentials", .ok, source, details: details), password)
        }
        let found = (password == nil ? [] : [source]) + problems
        return (
            DoctorResult(
                "credentials",
                failed ? .failed : .warning,
                found.joined(separator: "; "),
                fix: fixes,
                details: details
            ),
            password
        )
    }

    // MARK: - Ledger

    /// The send ledger opens with the current schema, its directory is writable, the disk has room.
    func ledgerCheck() -> DoctorResult {
        let location: LedgerLocation
        do {
            location = try LedgerLocation(environment: environment)
        } catch {
            return .failed("ledger", error, details: DoctorDetails())
        }
        guard let url = location.file else { return sharedLedgerCheck() }
        let directory = url.deletingLastPathComponent().path
        var details = DoctorDetails()
        details.path = url.path
        if let mode = Self.mode(of: directory) {
            details.mode = Self.octal(mode)
            // Root writes through any mode, so access(2) alone would pass a read-only directory:
            // its owner's write bit is what pec's own user needs.
            guard mode & 0o200 != 0, access(directory, W_OK) == 0 else {
                return DoctorResult(
                    "ledger",
                    .failed,
                    "the ledger's directory \(directory) is read-only (mode \(Self.octal(mode))): pec cannot record sends",
                    fix: [.makeWritable(path: directory)],
                    details: details
                )
            }
        }
        if let mode = Self.mode(of: url.path), mode & 0o200 == 0 {
            return DoctorResult(
                "ledger",
                .failed,
                "the ledger \(url.path) is read-only (mode \(Self.octal(mode))): pec cannot record sends",
                fix: [.makeWritable(path: url.path)],
                details: details
            )
        }
        let steps: (applied: Int, known: Int)
        do {
            steps = try SendLedger(at: url).schemaSteps()
        } catch {
            return .failed("ledger", error, details: details)
        }
        details.schemaSteps = steps.applied
        guard steps.applied == steps.known else {
            return DoctorResult(
                "ledger",
                .failed,
                "\(url.path) has \(steps.applied) of \(steps.known) schema steps",
                fix: [.advice("update pec to the newest version")],
                details: details
            )
        }
        let opened = "\(url.path) opens, schema current (\(steps.applied) steps), directory writable"
        guard let free = Self.freeBytes(at: directory) else {
            return DoctorResult("ledger", .ok, opened, details: details)
        }
        details.freeBytes = free
        let freeText = ByteCountFormatter.string(fromByteCount: free, countStyle: .file)
        if free < Self.lowDiskSpace {
            return DoctorResult(
                "ledger",
                .warning,
                "\(opened); only \(freeText) free",
                fix: [.freeDiskSpace(path: directory)],
                details: details
            )
        }
        return DoctorResult("ledger", .ok, "\(opened), \(freeText) free", details: details)
    }

    /// The PostgreSQL ledger of `PEC_LEDGER_URL`: it opens (server, TLS, login) with the current schema.
    func sharedLedgerCheck() -> DoctorResult {
        var details = DoctorDetails()
        do {
            let ledger = try SendLedger.open(environment: environment)
            let steps = try ledger.schemaSteps()
            details.path = ledger.store.displayName
            details.schemaSteps = steps.applied
            return DoctorResult(
                "ledger",
                .ok,
                "\(ledger.store.displayName) opens, schema current (\(steps.applied) steps)",
                details: details
            )
        } catch {
            return .failed("ledger", error, details: details)
        }
    }

    static func mode(of path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    static func octal(_ mode: mode_t) -> String { String(mode & 0o777, radix: 8) }

    static func freeBytes(at path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    // MARK: - Clock

    /// How far this computer's clock is from the server's, when a server says its time.
    static func clockCheck(serverTime: Date?, now: Date) -> DoctorResult {
        guard let serverTime else {
            return .skipped(
                "clock",
                because:
                    "no server says its time (the SMTP greeting and EHLO carry no date; IMAP has no command for it)"
            )
        }
        let skew = now.timeIntervalSince(serverTime)
        var details = DoctorDetails()
        details.serverTime = serverTime.formatted(.iso8601)
        details.skewSeconds = skew.rounded()
        let off = "\(Int(abs(skew).rounded())) s \(skew >= 0 ? "ahead of" : "behind") the SMTP server's"
        switch abs(skew) {
        case ..<clockWarning:
            return DoctorResult("clock", .ok, "this clock is \(off)", details: details)
        case ..<clockFailure:
            return DoctorResult("clock", .warning, "this clock is \(off)", fix: [.synchronizeClock], details: details)
        default:
            return DoctorResult(
                "clock",
                .failed,
                "this clock is \(off): times pec records and compares with receipts are off",
                fix: [.synchronizeClock],
                details: details
            )
        }
    }

    /// The greeting says its time to the second at best, and the reply takes a moment to come.
    static let clockWarning: TimeInterval = 60
    static let clockFailure: TimeInterval = 300

    /// A date and time in a server's greeting or EHLO line (`220 mx ESMTP Sendmail; Sun, 6 Dec 2026
    /// 21:30:00 +0100`): the first run of words that reads as an RFC 5322 date-time.
    static func serverTime(in lines: [String]) -> Date? {
        for line in lines {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            for start in words.indices {
                for length in [6, 5] where start + length <= words.count {
                    let candidate = words[start..<start + length].joined(separator: " ")
                    guard candidate.contains(":"), let date = MailDate(parsing: candidate)?.date else { continue }
                    return date
                }
            }
        }
        return nil
    }
}
