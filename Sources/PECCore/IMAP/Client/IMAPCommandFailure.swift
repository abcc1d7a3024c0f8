/// Maps a NO or BAD completion to a ``PECError`` that names the failing step and says whether a
/// retry may help: `[TRYAGAIN]`, `[UNAVAILABLE]` and `[INUSE]` may pass, everything else is permanent.
enum IMAPCommandFailure {
    static func error(
        command: IMAP.Command,
        status: IMAP.ResponseStatus,
        text: IMAP.ResponseText,
        settings: ConnectionSettings
    ) -> PECError {
        let said = text.text.isEmpty ? "" : ": \(text.text)"
        let what = name(of: command)
        if status == .bad {
            return PECError(
                .server,
                "the IMAP server rejected \(what) as malformed (BAD)\(said)",
                hint: "this is probably a bug in pec; please report it with the command you ran"
            )
        }
        switch text.code {
        case .authenticationFailed?, .authorizationFailed?, .expired?:
            return PECError(.authenticationFailed, "the server refused the login\(said)")
        case .tryAgain?, .unavailable?, .inUse?, .serverBug?:
            return PECError(.server, "\(what) failed for now\(said)", retryable: true)
        case .nonExistent?, .tryCreate?:
            return PECError(.notFound, "\(what) failed: no such folder\(said)", hint: "`pec folders` lists the folders")
        case .noPerm?:
            return PECError(.server, "\(what) is not allowed for this account\(said)")
        case .overQuota?:
            return PECError(.server, "the mailbox is over quota\(said)", hint: "free some space, then try again")
        default:
            break
        }
        if case .login = command {
            return PECError(.authenticationFailed, "the server refused the login\(said)")
        }
        if case .authenticatePlain = command {
            return PECError(.authenticationFailed, "the server refused the login\(said)")
        }
        return PECError(.server, "\(what) failed (NO)\(said)")
    }

    static func name(of command: IMAP.Command) -> String {
        switch command {
        case .capability: "CAPABILITY"
        case .noop: "NOOP"
        case .logout: "LOGOUT"
        case .startTLS: "STARTTLS"
        case .idle: "IDLE"
        case .enable: "ENABLE"
        case .login: "LOGIN"
        case .authenticatePlain: "AUTHENTICATE PLAIN"
        case .select(let mailbox): "selecting folder \"\(mailbox.displayName)\""
        case .examine(let mailbox): "opening folder \"\(mailbox.displayName)\""
        case .list: "LIST"
        case .status(let mailbox, _): "STATUS of \"\(mailbox.displayName)\""
        case .uidSearch: "UID SEARCH"
        case .uidFetch: "UID FETCH"
        case .uidStore: "UID STORE"
        case .uidCopy(_, let mailbox): "copying to \"\(mailbox.displayName)\""
        case .uidMove(_, let mailbox): "moving to \"\(mailbox.displayName)\""
        case .uidExpunge: "UID EXPUNGE"
        case .expunge: "EXPUNGE"
        }
    }
}
