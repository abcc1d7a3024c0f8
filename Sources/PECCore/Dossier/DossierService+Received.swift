import Foundation

/// `pec evidence --received UID`: the dossier of a message received.
public struct ReceivedDossierRequest: Sendable {
    public var uid: UInt32
    public var folder: String?
    public var output: String?
    /// A REM dispatch's content may be fetched, although that is its legal handover (rem.md).
    public var acceptHandover: Bool

    public init(uid: UInt32, folder: String? = nil, output: String? = nil, acceptHandover: Bool = false) {
        self.uid = uid
        self.folder = folder
        self.output = output
        self.acceptHandover = acceptHandover
    }
}

extension DossierService {
    /// The transport envelope exactly as the server holds it (BODY.PEEK on EXAMINE: never marked read),
    /// its verification, its certification data and the SHA-256 of each of the original's attachments.
    public func makeReceived(_ request: ReceivedDossierRequest) async throws -> DossierResult {
        let uid = try MailboxService.uid(request.uid)
        let spool = try await receipts.access.withSession(logger: receipts.logger) { client in
            let mailbox = try await FolderResolver.resolve(request.folder, client: client)
            try await client.open(mailbox, readOnly: true)
            try await MailboxService.requireExisting(uid, in: mailbox, client: client)
            if !request.acceptHandover { try await MailboxService.refuseHandover(uid, id: request.uid, client: client) }
            return try await client.spoolMessage(uid: uid)
        }
        defer { TemporaryFiles.remove(spool) }
        let assembly = try assembleReceived(spool)
        let output = Self.outputURL(request.output, messageID: assembly.report.message.messageID)
        return try write(assembly, to: output)
    }

    func assembleReceived(_ file: URL) throws -> Assembly {
        let content = try SpooledMessage(file: file)
        let reading = try self.receipts.receipts.reader.read(content)
        let details = reading.details
        let name = "01-busta-di-trasporto.eml"
        let sha256 = try DossierVerifier.sha256(of: file)
        var warnings = details.warnings
        let daticert = details.pecCert
        let original = daticert?.msgid ?? details.rem?.uaMessageID ?? content.message.headers.text("Message-ID")
        var message = DossierReport.Message(
            messageID: original.flatMap { try? MessageReference.normalizedMessageID($0) } ?? ""
        )
        message.identificativo = daticert?.identificativo ?? details.rem?.remsMessageID
        message.from = daticert?.mittente ?? details.from
        message.to = daticert?.destinatari.map(\.address) ?? details.to
        message.subject = daticert?.oggetto ?? details.subject
        message.date = details.date
        message.file = name
        message.size = content.size
        message.sha256 = sha256
        for (index, entity) in reading.attachmentEntities.enumerated() {
            let digest = try SHA256Digest()
            var size = 0
            try content.writeDecodedBody(of: entity) { chunk in
                digest.update(chunk)
                size += chunk.count
            }
            message.attachments.append(
                DossierReport.Attachment(
                    filename: details.attachments[index].filename,
                    size: size,
                    sha256: try digest.finalizeHex()
                )
            )
        }
        let signature = details.signature ?? SignatureCheck(status: .unsigned)
        let envelope = DossierReport.Envelope(
            file: name,
            standard: details.standard,
            pecType: details.pecType?.rawValue,
            at: daticert?.data.date.map(Self.iso8601),
            gestore: daticert?.gestoreEmittente,
            identificativo: message.identificativo,
            size: content.size,
            sha256: sha256,
            signature: signature,
            chain: signature.chain
        )
        let certified = details.pecType == .postaCertificata || details.pecType == .remDispatch
        if !certified {
            warnings.append("\(name) is not a certified transport envelope: the dossier proves nothing about it")
        }
        let report = DossierReport(
            direction: .received,
            tool: "pec \(PECVersion.current)",
            generatedAt: Self.iso8601(now()),
            message: message,
            complete: certified,
            recipients: [],
            receipts: [],
            envelope: envelope,
            warnings: warnings
        )
        return Assembly(entries: [DossierWriter.Entry(name: name, source: .file(file, sha256: sha256))], report: report)
    }
}
