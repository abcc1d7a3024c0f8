extension IMAP {
    /// One FETCH response folded together (for small fetches such as flags and headers).
    package struct FetchResponse: Hashable, Sendable {
        package var sequenceNumber: SequenceNumber
        package var uid: UID?
        package var flags: [Flag]?
        package var internalDate: InternalDate?
        package var rfc822Size: Int?
        package var envelope: Envelope?
        package var bodyStructure: BodyStructure?
        package var modSeq: ModSeq?
        /// Body sections received (a partial `BODY[1]<0>` is stored under its section).
        package var sections: [SectionSpecifier: [UInt8]]
        /// Sections the server answered with NIL.
        package var nilSections: Set<SectionSpecifier>

        package init(
            sequenceNumber: SequenceNumber,
            uid: UID? = nil,
            flags: [Flag]? = nil,
            internalDate: InternalDate? = nil,
            rfc822Size: Int? = nil,
            envelope: Envelope? = nil,
            bodyStructure: BodyStructure? = nil,
            modSeq: ModSeq? = nil,
            sections: [SectionSpecifier: [UInt8]] = [:],
            nilSections: Set<SectionSpecifier> = []
        ) {
            self.sequenceNumber = sequenceNumber
            self.uid = uid
            self.flags = flags
            self.internalDate = internalDate
            self.rfc822Size = rfc822Size
            self.envelope = envelope
            self.bodyStructure = bodyStructure
            self.modSeq = modSeq
            self.sections = sections
            self.nilSections = nilSections
        }
    }

    /// Folds ``FetchEvent``s into ``FetchResponse``s. Body bytes are held in memory, so use it only for small
    /// sections; stream big ones straight from the events instead.
    ///
    ///     var accumulator = IMAP.FetchAccumulator()
    ///     if case .fetch(let event) = response, let done = accumulator.handle(event) { … }
    package struct FetchAccumulator: Sendable {
        private var current: FetchResponse?
        private var section: SectionSpecifier?
        private var bytes: [UInt8] = []

        package init() {}

        /// Feeds one event; returns the finished response on `.finish`.
        package mutating func handle(_ event: FetchEvent) -> FetchResponse? {
            switch event {
            case .start(let number):
                current = FetchResponse(sequenceNumber: number)
                section = nil
                bytes = []
            case .attribute(let attribute):
                apply(attribute)
            case .streamingBegin(let section, _, let byteCount):
                self.section = section
                bytes = []
                bytes.reserveCapacity(min(byteCount, 1 << 20))
            case .streamingBytes(let chunk):
                bytes.append(contentsOf: chunk)
            case .streamingEnd:
                if let section { current?.sections[section] = bytes }
                section = nil
                bytes = []
            case .finish:
                defer { current = nil }
                return current
            }
            return nil
        }

        private mutating func apply(_ attribute: FetchAttribute) {
            switch attribute {
            case .uid(let uid): current?.uid = uid
            case .flags(let flags): current?.flags = flags
            case .internalDate(let date): current?.internalDate = date
            case .rfc822Size(let size): current?.rfc822Size = size
            case .envelope(let envelope): current?.envelope = envelope
            case .bodyStructure(let body): current?.bodyStructure = body
            case .modSeq(let modSeq): current?.modSeq = modSeq
            case .nilBody(let section): current?.nilSections.insert(section)
            case .binarySize, .other: break
            }
        }
    }
}

extension IMAP.FetchResponse {
    /// This response completed with what a later FETCH response for the same message added
    /// (servers may split one message's data, and send unsolicited FLAGS): the later flags and
    /// mod-sequence win, since they are the newer state; everything else, and each section's
    /// first answer (bytes or NIL), is kept from the first.
    public func merging(_ later: Self) -> Self {
        var merged = self
        merged.uid = uid ?? later.uid
        merged.flags = later.flags ?? flags
        merged.internalDate = internalDate ?? later.internalDate
        merged.rfc822Size = rfc822Size ?? later.rfc822Size
        merged.envelope = envelope ?? later.envelope
        merged.bodyStructure = bodyStructure ?? later.bodyStructure
        merged.modSeq = later.modSeq ?? modSeq
        for (section, bytes) in later.sections where !answered(section) { merged.sections[section] = bytes }
        for section in later.nilSections where !answered(section) { merged.nilSections.insert(section) }
        return merged
    }

    private func answered(_ section: IMAP.SectionSpecifier) -> Bool {
        sections[section] != nil || nilSections.contains(section)
    }
}
