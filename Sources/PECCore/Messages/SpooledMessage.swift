import COpenSSL
import Foundation

/// A message as ``MessageReader`` reads it: its MIME tree, plus the few things that need the
/// exact bytes (signature checks, sizes, saving a part).
public protocol MessageContent {
    /// The tree. Bodies of parts ``isHeld(_:)`` says are not held are empty in it.
    var message: MIMEMessage { get }
    /// The S/MIME check of a `multipart/signed` entity of ``message``, on its exact original bytes.
    func verifySignature(of signed: MIMEEntity, trust: PECTrustStore) -> SignatureCheck
    /// The decoded size of a leaf part in bytes.
    func decodedSize(of entity: MIMEEntity) -> Int
    /// Whether the body of `entity` is in ``message`` (false for large parts left on disk).
    func isHeld(_ entity: MIMEEntity) -> Bool
}

/// A message held whole in memory.
public struct InMemoryMessage: MessageContent {
    public let message: MIMEMessage

    public init(_ raw: [UInt8]) throws {
        do {
            message = try MIMEMessage(parsing: raw)
        } catch {
            throw PECError(.malformed, "the message cannot be read as MIME: \(error)")
        }
    }

    public func verifySignature(of signed: MIMEEntity, trust: PECTrustStore) -> SignatureCheck {
        SignatureVerifier().verify(rawMessage: Array(signed.rawBytes), trust: trust)
    }

    public func decodedSize(of entity: MIMEEntity) -> Int { entity.decodedSize }
    public func isHeld(_ entity: MIMEEntity) -> Bool { true }
}

/// A message in a file, read in two streaming passes so that memory stays bounded whatever its
/// size: the structure and the small parts (text, daticert.xml, signatures) are held in memory,
/// large part bodies (attachments) stay in the file and are decoded from it when saved. Signatures
/// are checked by OpenSSL reading the signed bytes from the file.
///
/// The tree is parsed from a *skeleton*: the file's bytes with the large leaf bodies cut out.
/// Cutting a leaf body leaves every boundary and header in place, so the tree has the same shape
/// and paths; `removals` maps skeleton offsets back to file offsets.
public final class SpooledMessage: MessageContent {
    /// How much of a message is held in memory.
    public struct Limits: Sendable {
        /// Leaf bodies up to this size are always held.
        public var smallPart = 64 * 1024
        /// Text bodies, signatures and daticert.xml are held up to this size.
        public var certificationPart = 2 * 1024 * 1024
        /// Held bodies in all; further ones are left in the file whatever their kind.
        public var heldBudget = 32 * 1024 * 1024
        public init() {}
    }

    public let file: URL
    public let message: MIMEMessage
    /// Bytes in the file.
    public let size: Int
    private let descriptor: Int32
    /// Cut leaf bodies, in file order: where each starts in the skeleton and in the file.
    private let removals: [Removal]
    private let cutBodies: [Int: CutBody]

    struct Removal {
        var skeletonOffset: Int
        var fileRange: Range<Int>
    }

    struct CutBody: Sendable {
        var fileRange: Range<Int>
        var decodedSize: Int
    }

    /// - Parameter plan: pass 1 made while the file was written (``Planner``), for the same limits
    ///   and options; nil reads the file for it.
    public init(
        file: URL,
        limits: Limits = Limits(),
        options: MIMEStreamParser.Options = MIMEStreamParser.Options(),
        plan: Plan? = nil
    ) throws {
        self.file = file
        let descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw PECError(.io, "cannot read \(file.path): \(String(cString: strerror(errno)))")
        }
        var succeeded = false
        defer { if !succeeded { close(descriptor) } }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw PECError(.io, "\(file.path) is not a regular file")
        }
        self.descriptor = descriptor
        size = Int(info.st_size)

        // Pass 1: which leaf bodies to cut, and their decoded sizes.
        let cuts: [CutBody]
        let partCount: Int
        do {
            let made = try plan ?? Self.planCuts(descriptor: descriptor, limits: limits, options: options)
            guard made.size == size else {
                throw PECError(.internal, "the message file is not the one its plan was made for")
            }
            (cuts, partCount) = (made.cuts, made.partCount)
        } catch let error as PECError {
            throw error
        } catch {
            throw PECError(.malformed, "the message cannot be read as MIME: \(error)")
        }
        // Pass 2: the skeleton, the file without the cut bodies.
        var skeleton: [UInt8] = []
        skeleton.reserveCapacity(max(0, size - cuts.reduce(0) { $0 + $1.fileRange.count }))
        var removals: [Removal] = []
        var cutBodies: [Int: CutBody] = [:]
        var copied = 0
        for cut in cuts {
            try Self.append(descriptor, copied..<cut.fileRange.lowerBound, to: &skeleton)
            removals.append(Removal(skeletonOffset: skeleton.count, fileRange: cut.fileRange))
            cutBodies[skeleton.count] = cut
            copied = cut.fileRange.upperBound
        }
        try Self.append(descriptor, copied..<size, to: &skeleton)
        self.removals = removals
        self.cutBodies = cutBodies
        let parsed: MIMEMessage
        do {
            parsed = try MIMEMessage(parsing: skeleton, options: options)
        } catch {
            throw PECError(.malformed, "the message cannot be read as MIME: \(error)")
        }
        guard parsed.allEntities.count == partCount else {
            throw PECError(.malformed, "the message's MIME structure cannot be read consistently")
        }
        // The last stored property: once it is set nothing throws, because a fully initialised
        // object that throws runs deinit, which would close the descriptor a second time.
        message = parsed
        succeeded = true
    }

    deinit { close(descriptor) }

    // MARK: - MessageContent

    public func isHeld(_ entity: MIMEEntity) -> Bool {
        // A cut body is empty in the skeleton; an enclosed message holds whatever its parts hold.
        if entity.isMultipart || entity.contentType.isMessage {
            return entity.children.allSatisfy(isHeld)
        }
        return !(entity.bodyRange.isEmpty && cutBodies[entity.bodyRange.lowerBound] != nil)
    }

    public func decodedSize(of entity: MIMEEntity) -> Int {
        if entity.bodyRange.isEmpty, let cut = cutBodies[entity.bodyRange.lowerBound] { return cut.decodedSize }
        if !entity.isMultipart, !entity.contentType.isMessage { return entity.decodedSize }
        // An enclosed message: its bytes as stored (decoding is the identity for 7bit/8bit/binary).
        var count = 0
        try? writeDecodedBody(of: entity) { count += $0.count }
        return count
    }

    /// The same two checks as ``SignatureVerifier/verify(rawMessage:trust:)``, with the parts split
    /// by our parser: OpenSSL reads the first part's exact bytes from the file and canonicalises
    /// its line ends itself, exactly as it does after splitting a multipart/signed on its own.
    public func verifySignature(of signed: MIMEEntity, trust: PECTrustStore) -> SignatureCheck {
        let protocols = ["application/pkcs7-signature", "application/x-pkcs7-signature"]
        guard signed.children.count == 2, protocols.contains(signed.children[1].contentType.mimeType) else {
            return SignatureCheck(
                status: .invalid,
                reason: "the S/MIME signature cannot be read: a multipart/signed needs the content and a signature part"
            )
        }
        let signaturePart = signed.children[1]
        guard isHeld(signaturePart) else {
            return SignatureCheck(status: .invalid, reason: "the signature part is too large to be a signature")
        }
        let content = fileRange(of: signed.children[0].rawRange)
        return SignatureVerifier().verify(
            detachedContentIn: descriptor,
            range: content,
            signature: Self.base64Decoded(signaturePart),
            trust: trust
        )
    }

    /// The signature part as OpenSSL reads it: base64 whatever its transfer encoding says.
    private static func base64Decoded(_ part: MIMEEntity) -> [UInt8] {
        MIMEBodyDecoder.decode(part.rawBody, transferEncoding: .base64)
    }

    // MARK: - Reading parts from the file

    /// Decodes the body of `entity` from the file, chunk by chunk.
    public func writeDecodedBody(of entity: MIMEEntity, to sink: (ArraySlice<UInt8>) throws -> Void) throws {
        var decoder = MIMEBodyDecoder(transferEncoding: entity.transferEncoding)
        try readChunks(of: fileRange(of: entity.bodyRange)) { try decoder.decode($0, to: sink) }
        try decoder.finish(to: sink)
    }

    /// Copies the whole file, chunk by chunk.
    public func writeRaw(to sink: (ArraySlice<UInt8>) throws -> Void) throws {
        try readChunks(of: 0..<size, sink)
    }

    /// Where a skeleton range is in the file. A cut body belongs to the range that ends where it was.
    func fileRange(of skeletonRange: Range<Int>) -> Range<Int> {
        var lower = skeletonRange.lowerBound
        var upper = skeletonRange.upperBound
        for removal in removals {
            if removal.skeletonOffset < skeletonRange.lowerBound { lower += removal.fileRange.count }
            if removal.skeletonOffset <= skeletonRange.upperBound { upper += removal.fileRange.count }
        }
        return lower..<max(lower, upper)
    }

    /// 1 MiB per read: a large attachment is decoded and written in blocks of about 750 KB, one
    /// system call each.
    private func readChunks(of range: Range<Int>, _ body: (ArraySlice<UInt8>) throws -> Void) throws {
        var buffer = [UInt8](repeating: 0, count: min(1 << 20, max(range.count, 1)))
        var offset = range.lowerBound
        while offset < range.upperBound {
            let want = min(buffer.count, range.upperBound - offset)
            let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, want, off_t(offset)) }
            guard got > 0 else {
                throw PECError(
                    .io,
                    "cannot read \(file.path): \(got < 0 ? String(cString: strerror(errno)) : "it got shorter")"
                )
            }
            try body(buffer[0..<got])
            offset += got
        }
    }

    private static func append(_ descriptor: Int32, _ range: Range<Int>, to output: inout [UInt8]) throws {
        guard !range.isEmpty else { return }
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: range.count))
        var done = 0
        while done < range.count {
            let got = output.withUnsafeMutableBytes {
                pread(descriptor, $0.baseAddress! + start + done, range.count - done, off_t(range.lowerBound + done))
            }
            guard got > 0 else { throw PECError(.io, "the message file changed while it was read") }
            done += got
        }
    }

    /// Pass 1 of a file already written: read back through a ``Planner``.
    private static func planCuts(
        descriptor: Int32,
        limits: Limits,
        options: MIMEStreamParser.Options
    ) throws -> Plan {
        var planner = Planner(limits: limits, options: options)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset = 0
        while true {
            let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
            guard got >= 0 else { throw PECError(.io, "cannot read the message: \(String(cString: strerror(errno)))") }
            if got == 0 { break }
            offset += got
            try planner.append(buffer[0..<got])
        }
        return try planner.finish()
    }

    /// What pass 1 found: the leaf bodies to leave in the file, and how many parts there are.
    public struct Plan: Sendable {
        var cuts: [CutBody]
        var partCount: Int
        /// Bytes planned: the file must have as many.
        var size: Int
    }

    /// Pass 1 as the bytes come: streams them through the parser and picks the leaf bodies to leave
    /// in the file. Fed while a message is downloaded, it costs no second read of the file.
    public struct Planner {
        private struct OpenPart {
            var headers: HeaderFields
            var isLeaf: Bool
            var decoder: MIMEBodyDecoder
        }
        private let limits: Limits
        private var parser: MIMEStreamParser
        private var open: [OpenPart] = []
        private var cuts: [CutBody] = []
        private var partCount = 0
        private var held = 0
        private var size = 0
        private var ended = false

        public init(limits: Limits = Limits(), options: MIMEStreamParser.Options = MIMEStreamParser.Options()) {
            self.limits = limits
            parser = MIMEStreamParser(options: options)
        }

        public mutating func append(_ bytes: ArraySlice<UInt8>) throws {
            size += bytes.count
            try parser.append(bytes)
            try drain()
        }

        public mutating func finish() throws -> Plan {
            parser.finish()
            try drain()
            return Plan(cuts: cuts, partCount: partCount, size: size)
        }

        private mutating func drain() throws {
            while !ended, let event = try parser.next() {
                switch event {
                case .partStart(_, let headers, _):
                    partCount += 1
                    let type = MIMEContentType(headers: headers)
                    open.append(
                        OpenPart(
                            headers: headers,
                            isLeaf: !type.isMultipart && !type.isMessage,
                            decoder: MIMEBodyDecoder(transferEncoding: MIMETransferEncoding(headers: headers))
                        )
                    )
                case .bodyBytes(_, let bytes):
                    guard !open.isEmpty, open[open.count - 1].isLeaf else { break }
                    open[open.count - 1].decoder.count(bytes)
                case .partEnd(_, let bodyRange):
                    guard var part = open.popLast() else {
                        throw PECError(.malformed, "the message's MIME structure cannot be read")
                    }
                    guard part.isLeaf else { break }
                    part.decoder.finish { _ in }
                    let allowance = SpooledMessage.allowance(for: part.headers, limits: limits)
                    if bodyRange.count > allowance || held + bodyRange.count > limits.heldBudget {
                        cuts.append(CutBody(fileRange: bodyRange, decodedSize: part.decoder.decodedByteCount))
                    } else {
                        held += bodyRange.count
                    }
                case .end:
                    ended = true
                }
            }
        }
    }

    fileprivate static func allowance(for headers: HeaderFields, limits: Limits) -> Int {
        let type = MIMEContentType(headers: headers)
        let disposition = MIMEContentDisposition(headers: headers)
        let name = (disposition?.filename ?? type.name)?.lowercased()
        let isSignature =
            type.mimeType == "application/pkcs7-signature" || type.mimeType == "application/x-pkcs7-signature"
        let isText = type.type == "text" && name == nil
        return isSignature || isText || name == "daticert.xml" ? limits.certificationPart : limits.smallPart
    }
}
