extension IMAP {
    /// One event from the ``ResponseParser``: a whole untagged or tagged response, a continuation request, or
    /// one step of a streamed FETCH.
    package enum Response: Hashable, Sendable {
        case untagged(UntaggedResponse)
        case fetch(FetchEvent)
        case tagged(TaggedResponse)
        /// `+ text`: a continuation request; the text (maybe a base64 challenge) after "+ ".
        case continuation(String)
    }

    /// The kind of an untagged status response.
    package enum UntaggedCondition: String, Hashable, Sendable {
        case ok = "OK"
        case no = "NO"
        case bad = "BAD"
        case preauth = "PREAUTH"
        case bye = "BYE"
    }

    /// `tag SP resp-cond-state CRLF`.
    package struct TaggedResponse: Hashable, Sendable {
        package var tag: String
        package var status: ResponseStatus
        package var text: ResponseText
        package init(tag: String, status: ResponseStatus, text: ResponseText) {
            self.tag = tag
            self.status = status
            self.text = text
        }
    }

    /// Untagged server data other than FETCH (which is streamed as ``FetchEvent``s).
    package enum UntaggedResponse: Hashable, Sendable {
        case condition(UntaggedCondition, ResponseText)
        case capability([Capability])
        case enabled([Capability])
        case list(ListEntry)
        case lsub(ListEntry)
        case status(MailboxName, MailboxStatus)
        /// `* SEARCH` numbers: UIDs after UID SEARCH, sequence numbers otherwise; CONDSTORE's `(MODSEQ n)`.
        case search([UInt32], modSeq: ModSeq?)
        case esearch(ESearchResponse)
        case flags([Flag])
        case exists(Int)
        case recent(Int)
        case expunge(SequenceNumber)
        case vanished(UIDSet, earlier: Bool)
        case id([String: String?])
        case namespace(NamespaceResponse)
        /// An untagged response this parser does not know; it was skipped (with any literals).
        case other(name: String)
    }

    /// One step of a `* n FETCH (...)` response. FETCH items may come in any order, several per response;
    /// body sections are streamed so that a big message never has to sit whole in memory:
    ///
    ///     .start(n)  (.attribute(...) | .streamingBegin .streamingBytes* .streamingEnd)*  .finish
    package enum FetchEvent: Hashable, Sendable {
        case start(SequenceNumber)
        case attribute(FetchAttribute)
        /// `BODY[section]<origin>`, `BINARY[section]<origin>` or `RFC822[.HEADER|.TEXT]`, sent as a literal or
        /// a quoted string of `byteCount` bytes, which follow as ``streamingBytes(_:)``.
        case streamingBegin(section: SectionSpecifier, origin: Int?, byteCount: Int)
        /// Zero or more chunks, together exactly `byteCount` bytes.
        case streamingBytes([UInt8])
        case streamingEnd
        case finish
    }

    /// A non-streamed FETCH item.
    package enum FetchAttribute: Hashable, Sendable {
        case uid(UID)
        case flags([Flag])
        case internalDate(InternalDate)
        case rfc822Size(Int)
        case envelope(Envelope)
        /// From BODYSTRUCTURE (with extension data) or BODY (without).
        case bodyStructure(BodyStructure)
        case modSeq(ModSeq)
        /// `BODY[section] NIL`: the server has no such section.
        case nilBody(section: SectionSpecifier)
        /// `BINARY.SIZE[section] n` (RFC 3516).
        case binarySize(section: SectionSpecifier, size: Int)
        /// A FETCH item this parser does not know (X-GM-LABELS, SNIPPET, SAVEDATE…), with its raw value bytes.
        case other(name: String, value: [UInt8])
    }
}
