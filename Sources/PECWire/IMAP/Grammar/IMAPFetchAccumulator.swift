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
    /// sections (headers, a daticert.xml, a signature); stream big ones straight from the events instead. A
    /// section announced or grown beyond ``sectionSizeLimit`` is refused as soon as that is known, before its
    /// bytes are held: a hostile server's `{4294967295}` costs nothing.
    ///
    ///     var accumulator = IMAP.FetchAccumulator()
    ///     if case .fetch(let event) = response, let done = try accumulator.handle(event) { … }
    package struct FetchAccumulator: Sendable {
        /// 2 MiB by default: the size ``SectionTooLarge`` names.
        package static let defaultSectionSizeLimit = 2 << 20

        /// The most bytes one section may have.
        package let sectionSizeLimit: Int
        private var current: FetchResponse?
        private var section: SectionSpecifier?
        private var bytes: [UInt8] = []

        package init(sectionSizeLimit: Int = Self.defaultSectionSizeLimit) {
            self.sectionSizeLimit = sectionSizeLimit
        }

        /// Feeds one event; returns the finished response on `.finish`.
        package mutating func handle(_ event: FetchEvent) throws(SectionTooLarge) -> FetchResponse? {
            switch event {
            case .start(let number):
                current = FetchResponse(sequenceNumber: number)
                section = nil
                bytes = []
            case .attribute(let attribute):
                apply(attribute)
            case .streamingBegin(let section, _, let byteCount):
                try check(section, byteCount: byteCount)
                self.section = section
                bytes = []
                bytes.reserveCapacity(min(byteCount, 1 << 20))
            case .streamingBytes(let chunk):
                if let section { try check(section, byteCount: bytes.count + chunk.count) }
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

        private mutating func check(_ refused: SectionSpecifier, byteCount: Int) throws(SectionTooLarge) {
            guard byteCount > sectionSizeLimit else { return }
            section = nil
            bytes = []
            throw SectionTooLarge(section: refused, uid: current?.uid, byteCount: byteCount, limit: sectionSizeLimit)
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

extension IMAP {
    /// A body section larger than ``FetchAccumulator/sectionSizeLimit``: the server announced (or sent) more
    /// than a header or small part can be.
    package struct SectionTooLarge: Error, Hashable, Sendable, CustomStringConvertible {
        package var section: SectionSpecifier
        /// The message's UID, when the server named it before the section.
        package var uid: UID?
        /// Announced, or received so far.
        package var byteCount: Int
        package var limit: Int

        package var description: String {
            "BODY[\(section)] of \(byteCount) bytes\(uid.map { " for UID \($0.rawValue)" } ?? "") exceeds the limit of "
                + "\(limit) bytes"
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
