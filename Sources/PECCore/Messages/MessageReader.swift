import Foundation

/// Turns a raw message into ``MessageDetails``: classifies it (headers and daticert, never the
/// Subject), checks the gestore's signature, and for an envelope shows the original message from
/// postacert.eml. Pure: bytes in, values out.
public struct MessageReader: Sendable {
    public struct Options: Sendable {
        /// Parse daticert.xml into `pec_cert`.
        public var certification = false
        /// Put the signature check in the result (it is always made for PEC messages).
        public var signature = false
        /// Show HTML bodies and the certification files among the attachments.
        public var verbose = false
        public init(certification: Bool = false, signature: Bool = false, verbose: Bool = false) {
            self.certification = certification
            self.signature = signature
            self.verbose = verbose
        }
    }

    /// The files PEC adds around a message; hidden unless asked for.
    static let certificationFiles: Set<String> = ["daticert.xml", "postacert.eml", "smime.p7s", "smime.p7m"]

    let trust: PECTrustStore
    let options: Options

    public init(trust: PECTrustStore, options: Options = Options()) {
        self.trust = trust
        self.options = options
    }

    /// The parts of `raw` that are not the message's own, kept for saving attachments.
    public struct Reading: Sendable {
        public var details: MessageDetails
        /// The entities listed in `details.attachments`, in the same order.
        public var attachmentEntities: [MIMEEntity]
    }

    /// Reads a message held in memory.
    public func read(_ raw: [UInt8]) throws -> Reading {
        try read(InMemoryMessage(raw))
    }

    /// Reads a message; `content` decides what is held in memory and checks signatures on the
    /// exact original bytes.
    public func read(_ content: some MessageContent) throws -> Reading {
        let message = content.message
        var details = MessageDetails()
        var warnings: [String] = []

        // The certified part: the multipart/signed entity (possibly inside a mailing-list
        // wrapper). Certification data counts only inside it: a daticert.xml merely attached to
        // an unsigned message certifies nothing.
        let signed = Self.certifiedEntity(in: message.root)
        let daticertEntity = signed.flatMap { Self.find(in: $0) { $0.filename?.lowercased() == "daticert.xml" } }
        var daticert: Daticert?
        if let daticertEntity, !content.isHeld(daticertEntity) {
            warnings.append("daticert.xml is too large to be certification data")
        } else if let daticertEntity {
            do {
                daticert = try DaticertParser.parse(daticertEntity.decodedBody)
            } catch {
                warnings.append("daticert.xml cannot be read: \(error)")
            }
        }
        let classification = PECClassification(headers: message.headers, daticert: daticert)
        if let mismatch = classification.mismatch { warnings.append(mismatch) }

        var signature: SignatureCheck?
        if classification.kind != nil || options.signature {
            // Check the very entity this reading takes the certification data from, so the
            // verifier's own part lookup cannot pick a different one.
            signature =
                signed.map { content.verifySignature(of: $0, trust: trust) }
                ?? SignatureCheck(status: .unsigned, reason: "the message has no multipart/signed part")
        }
        // A REM message: its evidence parts, each read and XAdES-checked, decide instead of a daticert.
        let remHeaders = classification.source == .remHeaders ? REMHeaders(headers: message.headers) : nil
        let rem = remHeaders.map {
            Self.readREM(headers: $0, scope: signed ?? message.root, content: content, trust: trust)
        }
        details.standard = rem == nil ? .pec : .rem
        details.rem = rem?.details
        if let rem { warnings += rem.warnings }
        if let kind = classification.kind, let rem {
            if let problem = Self.remCertificationProblem(signature: signature, headers: message.headers, reading: rem)
            {
                details.claimedPECType = kind
                warnings.append("claims to be a REM \(kind.rawValue) but \(problem): not a certified message")
            } else {
                details.pecType = kind
            }
        } else if let kind = classification.kind {
            if let problem = Self.certificationProblem(
                kind: kind,
                signature: signature,
                headers: message.headers,
                daticert: daticert
            ) {
                details.claimedPECType = kind
                warnings.append("claims to be a PEC \(kind.rawValue) but \(problem): not a certified message")
            } else {
                details.pecType = kind
            }
        }
        // Two MIME readers look at a signed message (ours and OpenSSL's): a structure they could
        // read differently (a repeated boundary) must not be certified.
        if details.pecType != nil, let signed, let ambiguity = Self.boundaryAmbiguity(in: signed) {
            details.claimedPECType = details.pecType
            details.pecType = nil
            warnings.append("its MIME structure is ambiguous (\(ambiguity)): not a certified message")
        }
        let certified = details.pecType != nil
        details.pecCertType = daticert?.tipo
        if options.certification { details.pecCert = daticert }
        if options.signature { details.signature = signature }

        // A certified envelope: the original is in postacert.eml. A further envelope inside is
        // opened only when its own gestore signature holds; the sender controls what is inside.
        var original = message.root
        let scope = (classification.kind != nil ? signed : nil) ?? message.root
        var contentScope = scope
        var envelopeScopes: [MIMEEntity] = []
        if certified, classification.kind == .postaCertificata || classification.kind == .anomalia {
            var depth = 0
            var current = scope
            while depth < 4, let inner = Self.postacert(in: current), let embedded = inner.children.first {
                depth += 1
                envelopeScopes.append(current)
                original = embedded
                guard PECMessageKind(headers: embedded.headers) == .postaCertificata else { break }
                let nestedSigned = Self.certifiedEntity(in: embedded)
                let nested = nestedSigned.map { content.verifySignature(of: $0, trust: trust) }
                guard let nested, nested.status == .valid, nested.gestorePolicy, let nestedSigned else {
                    warnings.append(
                        "the original message looks like another PEC envelope but is not signed by a gestore"
                    )
                    break
                }
                current = nestedSigned
            }
            contentScope = depth > 0 ? original : scope
            if depth > 0 {
                details.envelope = EnvelopeInfo(
                    from: message.headers.text("From"),
                    subject: message.headers.text("Subject"),
                    date: Self.date(message.headers),
                    identificativo: daticert?.identificativo,
                    depth: depth
                )
            }
        }

        // A certified REM dispatch: the original is its `rem_message/original` part. Nothing inside is
        // opened further: the REMS vouches for the dispatch, the sender for what it carries.
        if certified, classification.kind == .remDispatch, let part = rem?.original, let embedded = part.children.first
        {
            envelopeScopes.append(scope)
            original = embedded
            contentScope = embedded
            details.envelope = EnvelopeInfo(
                from: message.headers.text("From"),
                subject: message.headers.text("Subject"),
                date: Self.date(message.headers),
                identificativo: rem?.details.remsMessageID ?? message.headers.text("Message-ID"),
                depth: 1
            )
        }
        let evidencePaths = Set((rem?.evidenceEntities ?? []).map(\.path))
        let isCertificationPart = { (entity: MIMEEntity) in
            Self.isCertificationFile(entity) || evidencePaths.contains(entity.path)
        }

        let headers = original.headers
        details.from = headers.text("From")
        details.to = PECAddress.mailboxes(inHeader: headers.text("To") ?? "")
        details.cc = PECAddress.mailboxes(inHeader: headers.text("Cc") ?? "")
        details.subject = headers.text("Subject")
        details.date = Self.date(headers)
        details.body = Self.body(in: contentScope, subtype: "plain", content: content, warnings: &warnings)
        if details.body == nil || options.verbose {
            details.bodyHTML = Self.body(in: contentScope, subtype: "html", content: content, warnings: &warnings)
        }

        var entities: [MIMEEntity] = []
        let opened = details.envelope != nil
        for entity in Self.attachments(in: contentScope) {
            // The certification files of a certified PEC are the gestore's; in ordinary mail, in a
            // message that only claims to be a PEC (its postacert.eml is all there is to read), or
            // in an opened envelope's original, every file is shown, whatever its name.
            if certified, !opened, !options.verbose, isCertificationPart(entity) { continue }
            entities.append(entity)
        }
        if options.verbose {
            // The envelopes' own certification files, after the original's attachments.
            for scope in envelopeScopes {
                entities += Self.attachments(in: scope).filter(isCertificationPart)
            }
        }
        details.attachments = entities.map { entity in
            AttachmentInfo(
                filename: entity.filename ?? (entity.contentType.isMessage ? "message.eml" : "attachment"),
                contentType: entity.contentType.mimeType,
                size: content.decodedSize(of: entity),
                part: entity.path.map(String.init).joined(separator: ".")
            )
        }
        details.warnings = warnings
        return Reading(details: details, attachmentEntities: entities)
    }

    /// Why `kind` is not confirmed by a gestore (pec-standard §10.2), or nil when it is: a valid
    /// signature, by a certificate with the gestori's policy, for the address in From, over a
    /// daticert.xml of the same kind (the X- headers themselves are outside the signature).
    static func certificationProblem(
        kind: PECMessageKind,
        signature: SignatureCheck?,
        headers: HeaderFields,
        daticert: Daticert?
    ) -> String? {
        guard let signature, signature.status == .valid else {
            return "its gestore signature is \(signature?.status.rawValue ?? "unchecked")"
        }
        guard signature.gestorePolicy else {
            return "its signer is not a PEC gestore (no certificate policy \(SignatureCheck.gestorePolicyOID))"
        }
        let from = PECAddress.mailboxes(inHeader: headers.text("From") ?? "").first.map(PECAddress.addrSpec)?
            .lowercased()
        guard let signer = signature.signerEmail?.lowercased(), signer == from else {
            return "it is signed by \(signature.signerEmail ?? "an unnamed signer"), not by its From address"
        }
        if kind != .anomalia {
            guard let daticert else { return "it has no signed daticert.xml" }
            guard daticert.kind == kind else {
                return "its signed daticert.xml says \(daticert.tipo)"
            }
        }
        return nil
    }

    /// Whether `entity` or a multipart inside it names its boundary more than once (or has two
    /// Content-Type fields), which readers resolve differently.
    /// Why `entity` or a part inside it has an ambiguous boundary (``MIMEEntity/boundaryAmbiguity``).
    static func boundaryAmbiguity(in entity: MIMEEntity) -> String? {
        if let reason = entity.boundaryAmbiguity { return reason }
        guard entity.isMultipart else { return nil }
        return entity.children.lazy.compactMap(boundaryAmbiguity(in:)).first
    }

    static func isCertificationFile(_ entity: MIMEEntity) -> Bool {
        entity.filename.map { certificationFiles.contains($0.lowercased()) } ?? false
    }

    // MARK: - Finding parts

    /// The outermost multipart/signed entity, looking through wrappers (mailing lists put the
    /// signed message inside a multipart/mixed) but never into an enclosed message.
    static func certifiedEntity(in root: MIMEEntity) -> MIMEEntity? {
        if root.contentType.mimeType == "multipart/signed" { return root }
        guard root.isMultipart else { return nil }
        for child in root.children {
            if let found = certifiedEntity(in: child) { return found }
        }
        return nil
    }

    /// The first entity under `root` (not inside an enclosed message) that matches.
    static func find(in root: MIMEEntity, _ predicate: (MIMEEntity) -> Bool) -> MIMEEntity? {
        if predicate(root) { return root }
        guard root.isMultipart else { return nil }
        for child in root.children {
            if let found = find(in: child, predicate) { return found }
        }
        return nil
    }

    static func postacert(in scope: MIMEEntity) -> MIMEEntity? {
        find(in: scope) {
            $0.contentType.isMessage && ($0.filename?.lowercased() ?? "postacert.eml") == "postacert.eml"
        }
    }

    /// The first inline text part of `subtype`, in its charset.
    static func body(
        in root: MIMEEntity,
        subtype: String,
        content: some MessageContent,
        warnings: inout [String]
    ) -> String? {
        let part = find(in: root) {
            $0.contentType.type == "text" && $0.contentType.subtype == subtype && !$0.isAttachment
                && $0.filename == nil
        }
        guard let part else { return nil }
        guard content.isHeld(part) else {
            warnings.append(
                "the \(subtype) body (\(content.decodedSize(of: part)) bytes) is too large to show; save the message with --save-eml"
            )
            return nil
        }
        return part.text
    }

    /// Parts meant as files: a name or an attachment disposition, or an enclosed message; never
    /// the parts of an enclosed message, never the signature of this one.
    static func attachments(in root: MIMEEntity) -> [MIMEEntity] {
        var found: [MIMEEntity] = []
        func walk(_ entity: MIMEEntity) {
            if entity.isMultipart {
                entity.children.forEach(walk)
                return
            }
            let type = entity.contentType.mimeType
            if type == "application/pkcs7-signature" || type == "application/x-pkcs7-signature",
                entity.filename?.lowercased() != "smime.p7s"
            {
                return
            }
            if entity.contentType.isMessage || entity.isAttachment || entity.filename != nil {
                found.append(entity)
            }
        }
        walk(root)
        return found
    }

    static func date(_ headers: HeaderFields) -> String? {
        headers.text("Date").flatMap(MailDate.init(parsing:))?.iso8601
    }
}
