import GRDB

/// Turns whatever GRDB or SQLite threw into a ``PECError`` that names the ledger file and says what to do.
enum LedgerErrors {
    /// - Parameter action: what pec was doing to the file, as a verb phrase ("open", "record the send in").
    static func map(_ error: any Error, path: String, action: String) -> PECError {
        if let error = error as? PECError { return error }
        let quoted = SecureFiles.shellQuoted(path)
        guard let error = error as? DatabaseError else {
            // A row that does not decode (e.g. a date edited by hand): the file is readable but its content is not.
            // GRDB's decoding error is not quoted: it prints the whole row, subjects and addresses that do not
            // belong in error output or logs.
            let location = (error as? UnreadableLedgerValue).map { " in column \($0.column)" } ?? ""
            return PECError(
                .io,
                "cannot \(action) the send ledger \(path): it holds data pec cannot read\(location)",
                hint: "the file may have been edited by hand or damaged; move it away (mv \(quoted) \(quoted).bad) "
                    + "and pec starts a new, empty ledger that no longer knows earlier sends"
            )
        }
        let detail = error.message ?? "SQLite error \(error.resultCode.rawValue)"
        let message = "cannot \(action) the send ledger \(path): \(detail)"
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return PECError(
                .io,
                "\(path) is not a pec send ledger or is damaged (\(detail))",
                hint: "move it away (mv \(quoted) \(quoted).bad) and pec starts a new, empty ledger "
                    + "that no longer knows earlier sends"
            )
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return PECError(
                .io,
                message,
                hint: "another pec process is using the ledger; try again when it has finished",
                retryable: true
            )
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH:
            return PECError(.io, message, hint: "check the owner and permissions of \(path) and of its directory")
        case .SQLITE_FULL:
            return PECError(.io, message, hint: "the disk is full")
        case .SQLITE_IOERR:
            return PECError(.io, message, hint: "check the disk holding \(path)", retryable: true)
        default:
            return PECError(.io, message)
        }
    }
}

/// A stored value outside its type's known cases (e.g. a status edited by hand).
struct UnreadableLedgerValue: Error {
    var column: String
}
