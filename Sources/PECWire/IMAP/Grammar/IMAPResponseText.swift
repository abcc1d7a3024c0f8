extension IMAP {
    /// The status of a tagged response.
    package enum ResponseStatus: String, Hashable, Sendable {
        case ok = "OK"
        case no = "NO"
        case bad = "BAD"
    }

    /// `resp-text`: an optional bracketed response code and human-readable text (lossy UTF-8).
    package struct ResponseText: Hashable, Sendable {
        package var code: ResponseCode?
        package var text: String
        package init(code: ResponseCode? = nil, text: String) {
            self.code = code
            self.text = text
        }
    }

    /// A response code: the bracketed part of `resp-text` (RFC 3501 §7.1, RFC 5530, RFC 4315, RFC 7162).
    ///
    /// ### Example
    /// `S: a1 NO [TRYCREATE] Mailbox doesn't exist` → `.tryCreate`
    package enum ResponseCode: Hashable, Sendable {
        case alert
        case tryAgain
        case unavailable
        case serverBug
        case authenticationFailed
        case authorizationFailed
        case expired
        case nonExistent
        case tryCreate
        case alreadyExists
        case noPerm
        case overQuota
        case limit
        case inUse
        case contactAdmin
        case privacyRequired
        case cannot
        case clientBug
        case parse
        case readOnly
        case readWrite
        case closed
        case uidValidity(UIDValidity)
        case uidNext(UID)
        case unseen(SequenceNumber)
        case highestModSeq(ModSeq)
        case noModSeq
        /// Includes "\*" (``Flag/wildcard``) when the client may create keywords.
        case permanentFlags([Flag])
        case capability([Capability])
        case appendUID(UIDValidity, UID)
        /// UIDPLUS COPYUID with both uid-sets expanded, in the server's order (pairwise).
        case copyUID(UIDValidity, source: [UID], destination: [UID])
        case badCharset([String])
        /// CONDSTORE MODIFIED: the messages that failed an UNCHANGEDSINCE test (ranges not expanded).
        case modified(UIDSet)
        /// Anything else, with its raw argument text.
        case other(name: String, value: String?)
    }
}
