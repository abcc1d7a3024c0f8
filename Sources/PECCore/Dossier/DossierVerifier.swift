import Foundation
import ZIPFoundation

/// `pec evidence verify PATH`: the verdict on a dossier, offline.
public struct DossierCheck: Codable, Sendable, Equatable {
    public var path: String
    /// Every hash matches, every receipt is certified and about the message, and the proof is complete.
    public var valid: Bool
    /// Every recipient has a certified delivery or failure receipt in the dossier.
    public var complete: Bool
    public var messageID: String?
    public var version: Int?
    public var files: [FileCheck]
    /// What is wrong beyond single files (the report, completeness).
    public var problems: [String]

    public struct FileCheck: Codable, Sendable, Equatable {
        public var file: String
        public var status: Status
        /// For a receipt: its kind and recipient, or what is wrong with it.
        public var detail: String?
    }

    public enum Status: String, Codable, Sendable {
        case ok
        /// Its content does not match SHA256SUMS.
        case altered
        /// Listed in SHA256SUMS (or the report) but not in the dossier.
        case missing
        /// In the dossier but not listed in SHA256SUMS.
        case unlisted
        /// A receipt without a valid signature by a trusted gestore.
        case unsigned, invalid, untrusted
        /// Signed, but not a certified receipt (its signed content does not vouch for its kind).
        case uncertified
        /// A certified receipt about another message.
        case otherMessage = "other_message"
        /// A file no dossier has: not a regular file (a link, a device), or a name pec never writes.
        case unexpected

        /// What a message that is not certified is, by its signature check.
        init(notCertifiedWith signature: SignatureCheck?) {
            switch signature?.status {
            case .unsigned, nil: self = .unsigned
            case .invalid: self = .invalid
            case .untrusted: self = .untrusted
            case .valid: self = .uncertified
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case path, valid, complete
        case messageID = "message_id"
        case version, files, problems
    }
}

/// Checks a dossier as `pec evidence` wrote it, without the network, the ledger or the evidence store:
/// what it proves comes from the signed receipts themselves, never from the (unsigned) report.
public struct DossierVerifier: Sendable {
    let trust: PECTrustStore

    public init(trust: PECTrustStore) { self.trust = trust }

    public func verify(_ path: String) throws -> DossierCheck {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw PECError(.invalidInput, "\(path) does not exist")
        }
        if isDirectory.boolValue { return try verifyDirectory(url, shownAs: path) }
        let extracted = try Self.extract(url)
        defer { TemporaryFiles.removeDirectory(extracted) }
        return try verifyDirectory(extracted, shownAs: path)
    }

    /// The zip's entries in a private temporary directory (each streamed to its file).
    static func extract(_ url: URL) throws -> URL {
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw PECError(.invalidInput, "\(url.path) is neither a directory nor a zip archive pec can read")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pec-dossier-\(getpid())-\(UUID().uuidString.prefix(8))"
        )
        guard mkdir(directory.path, 0o700) == 0 else {
            throw PECError(.io, "cannot create \(directory.path): \(SecureFiles.describe(errno))")
        }
        TemporaryFiles.registerDirectory(directory)
        do {
            // A zip bomb is refused before it fills the temporary directory: no dossier is near these.
            var total: UInt64 = 0
            for entry in archive {
                guard entry.type == .file, isPlainName(entry.path) else {
                    throw PECError(.invalidInput, "\(url.path) holds \(entry.path), which no dossier has")
                }
                total += entry.uncompressedSize
                guard entry.uncompressedSize <= maximumEntry, total <= maximumTotal else {
                    throw PECError(.invalidInput, "\(url.path) unpacks to more than any dossier holds")
                }
                let file = directory.appendingPathComponent(entry.path)
                let handle = try TemporaryFiles.create(file)
                defer {
                    try? handle.close()
                    TemporaryFiles.unregister(file.path)
                }
                var written: UInt64 = 0
                _ = try archive.extract(entry, skipCRC32: false) { data in
                    written += UInt64(data.count)
                    guard written <= entry.uncompressedSize else {
                        throw PECError(.invalidInput, "\(url.path): \(entry.path) is larger than its zip entry says")
                    }
                    try handle.write(contentsOf: data)
                }
            }
        } catch {
            TemporaryFiles.removeDirectory(directory)
            if let error = error as? PECError { throw error }
            throw PECError(.invalidInput, "\(url.path) cannot be read as a zip: \(error.localizedDescription)")
        }
        return directory
    }

    /// What a dossier's zip may unpack to: a 100 MB message twice (as sent and in a completa receipt), receipts.
    static let maximumEntry: UInt64 = 256 << 20
    static let maximumTotal: UInt64 = 1 << 30

    /// A file name with no directory part and no leading dot: what a dossier's files are.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && !name.contains("\\") && !name.hasPrefix(".") && name.utf8.count < 256
            && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// Files larger than this are not read as SHA256SUMS or report.json: no dossier has such.
    static let textFileLimit = 16 << 20

    /// The names in `directory`, each a regular file (never followed through a link), or why not.
    private static func listing(_ directory: URL) -> (regular: Set<String>, odd: [String]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        var regular: Set<String> = []
        var odd: [String] = []
        for name in names {
            var info = stat()
            let isRegular =
                lstat(directory.appendingPathComponent(name).path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
            if isRegular && isPlainName(name) { regular.insert(name) } else { odd.append(name) }
        }
        return (regular, odd.sorted())
    }

    private static func size(_ url: URL) -> Int {
        var info = stat()
        return lstat(url.path, &info) == 0 ? Int(info.st_size) : 0
    }

    private func verifyDirectory(_ directory: URL, shownAs path: String) throws -> DossierCheck {
        var check = DossierCheck(path: path, valid: false, complete: false, files: [], problems: [])
        let (names, odd) = Self.listing(directory)
        var results: [String: DossierCheck.FileCheck] = [:]
        for name in odd {
            results[name] = .init(file: name, status: .unexpected, detail: "not a regular file with a plain name")
        }
        let sumsURL = directory.appendingPathComponent(DossierWriter.checksumsName)
        guard names.contains(DossierWriter.checksumsName), Self.size(sumsURL) <= Self.textFileLimit,
            let sums = Self.readChecksums(sumsURL)
        else {
            check.problems.append("no readable \(DossierWriter.checksumsName): this is not a dossier pec wrote")
            check.files = results.values.sorted { $0.file < $1.file }
            return check
        }
        for (name, expected) in sums {
            guard names.contains(name) else {
                if results[name] == nil {
                    results[name] = .init(file: name, status: .missing, detail: "listed in SHA256SUMS")
                }
                continue
            }
            let actual = try? Self.sha256(of: directory.appendingPathComponent(name))
            results[name] = .init(file: name, status: actual == expected ? .ok : .altered, detail: nil)
        }
        for name in names where name != DossierWriter.checksumsName && sums[name] == nil {
            results[name] = .init(file: name, status: .unlisted, detail: "not in SHA256SUMS")
        }

        let reportURL = directory.appendingPathComponent("report.json")
        let report: DossierReport? =
            if results["report.json"]?.status == .ok, Self.size(reportURL) <= Self.textFileLimit {
                try? JSONDecoder().decode(DossierReport.self, from: Data(contentsOf: reportURL))
            } else {
                nil
            }
        guard let report else {
            check.problems.append("report.json is missing, altered or unreadable")
            check.files = results.values.sorted { $0.file < $1.file }
            return check
        }
        check.version = report.version
        if report.format != DossierReport.formatName || report.version > DossierReport.currentVersion {
            check.problems.append(
                "report.json is \(report.format) version \(report.version); this pec reads up to version "
                    + "\(DossierReport.currentVersion): update pec"
            )
        }
        if report.direction == .received {
            check.messageID = report.message.messageID
            let envelope = report.envelope?.file ?? report.message.file
            for name in names
            where ![envelope, "report.json", "report.html", DossierWriter.checksumsName].contains(name) {
                results[name] = .init(
                    file: name,
                    status: .unexpected,
                    detail: "a received message's dossier has no such file"
                )
            }
            verifyEnvelope(directory, report: report, results: &results, check: &check)
        } else {
            verifySent(directory, report: report, names: names, sums: sums, results: &results, check: &check)
        }
        check.files = results.values.sorted { $0.file < $1.file }
        check.valid = check.complete && check.problems.isEmpty && check.files.allSatisfy { $0.status == .ok }
        return check
    }

    /// A sent message's dossier: every `.eml` but the message is read as a receipt, whatever the report
    /// says of it; the recipients and the sender come from the signed acceptance; completeness is
    /// recomputed from the certified receipts and the report's claims are checked against it.
    private func verifySent(
        _ directory: URL,
        report: DossierReport,
        names: Set<String>,
        sums: [String: String],
        results: inout [String: DossierCheck.FileCheck],
        check: inout DossierCheck
    ) {
        let messageFile = report.message.file.flatMap { names.contains($0) ? $0 : nil }
        guard let messageFile else {
            check.problems.append("the message as sent is not in the dossier: its receipts prove nothing checkable")
            return
        }
        // The message file's headers, parsed once: its identity and its addressees.
        let headers = try? SpooledMessage(file: directory.appendingPathComponent(messageFile)).message.headers
        let messageID = messageIdentity(headers, file: messageFile, report: report, check: &check)
        check.messageID = messageID
        let known: Set<String> = [messageFile, "report.json", "report.html", DossierWriter.checksumsName]
        for name in names where !known.contains(name) && !name.lowercased().hasSuffix(".eml") {
            results[name] = .init(file: name, status: .unexpected, detail: "a dossier has no such file")
        }
        guard let messageID else { return }
        // The digest REM receipts are checked against: the message file's own (it matched SHA256SUMS).
        let sentSHA256 = results[messageFile]?.status == .ok ? sums[messageFile] : nil
        var proven: [String: ReceiptEventKind] = [:]
        var acceptance: ReceiptEventReader.Reading?
        var nonAcceptance = false
        for name in names.sorted() where !known.contains(name) && name.lowercased().hasSuffix(".eml") {
            let listed = results[name]?.status == .ok
            guard listed || results[name]?.status == .unlisted else { continue }
            let verdict = receiptVerdict(
                directory.appendingPathComponent(name),
                messageID: messageID,
                sentSHA256: sentSHA256
            )
            if listed {
                results[name] = .init(file: name, status: verdict.status, detail: verdict.detail)
            } else if verdict.status != .ok {
                results[name]?.detail = "not in SHA256SUMS, and \(verdict.detail ?? verdict.status.rawValue)"
            }
            // Only a listed, certified receipt about this message proves anything.
            guard listed, verdict.status == .ok, let reading = verdict.reading else { continue }
            for event in reading.events {
                if event.kind == .acceptance, acceptance == nil { acceptance = reading }
                if event.kind == .nonAcceptance { nonAcceptance = true }
                guard let recipient = event.recipient?.lowercased() else { continue }
                if event.kind == .delivery || event.kind == .deliveryError || event.kind == .handover {
                    proven[recipient] = proven[recipient] == .delivery ? .delivery : event.kind
                }
            }
        }
        // A non-acceptance proves every recipient failed only when nothing says the message was accepted.
        let failedAll = nonAcceptance && acceptance == nil
        let recipients = recipientsOf(headers, file: messageFile, acceptance: acceptance, check: &check)
        if acceptance == nil && !failedAll {
            check.problems.append("no certified acceptance receipt of the message in the dossier")
        }
        let unproven = recipients.filter { proven[$0.lowercased()] == nil && !failedAll }
        check.complete = !recipients.isEmpty && unproven.isEmpty && (acceptance != nil || failedAll)
        if recipients.isEmpty {
            check.problems.append("the dossier names no recipient")
        } else if !unproven.isEmpty {
            check.problems.append(
                "incomplete: no certified delivery or failure receipt for \(unproven.joined(separator: ", "))"
            )
        }
        // report.json is a summary, not evidence: where it says otherwise than the receipts, it is wrong.
        for claimed in report.recipients {
            let kind = proven[claimed.address.lowercased()]
            let actual: TrackingStatus? =
                failedAll ? .failed : kind.map { $0 == .deliveryError ? .failed : .delivered }
            if (claimed.status == .delivered || claimed.status == .failed), claimed.status != actual {
                check.problems.append(
                    "report.json says \(claimed.address) is \(claimed.status.rawValue), its receipts say "
                        + (actual?.rawValue ?? "nothing final")
                )
            }
        }
        if report.complete != check.complete {
            check.problems.append("report.json says complete: \(report.complete), its receipts say \(check.complete)")
        }
    }

    /// A received message's dossier: its envelope must be certified (posta-certificata, or a REM
    /// dispatch) and about the message the report names.
    private func verifyEnvelope(
        _ directory: URL,
        report: DossierReport,
        results: inout [String: DossierCheck.FileCheck],
        check: inout DossierCheck
    ) {
        guard let name = report.envelope?.file ?? report.message.file, results[name]?.status == .ok else {
            check.problems.append("the transport envelope is missing or altered")
            return
        }
        let details: MessageDetails
        do {
            let reader = MessageReader(trust: trust, options: .init(certification: true, signature: true))
            details = try reader.read(SpooledMessage(file: directory.appendingPathComponent(name))).details
        } catch {
            results[name] = .init(file: name, status: .invalid, detail: (error as? PECError)?.message ?? "\(error)")
            return
        }
        guard details.pecType == .postaCertificata || details.pecType == .remDispatch else {
            results[name] = .init(
                file: name,
                status: .init(notCertifiedWith: details.signature),
                detail: details.signature?.reason
            )
            return
        }
        let about = (details.pecCert?.msgid ?? details.rem?.uaMessageID).flatMap {
            try? MessageReference.normalizedMessageID($0)
        }
        guard about == report.message.messageID else {
            results[name] = .init(
                file: name,
                status: .otherMessage,
                detail: "it is about \(about ?? "no message"), not \(report.message.messageID)"
            )
            return
        }
        results[name]?.detail = details.pecType?.rawValue
        check.complete = true
    }

    /// The Message-ID the dossier is about: the sent message's own header (the file is in SHA256SUMS
    /// like the rest), checked against the report's.
    private func messageIdentity(
        _ headers: HeaderFields?,
        file: String,
        report: DossierReport,
        check: inout DossierCheck
    ) -> String? {
        let claimed = try? MessageReference.normalizedMessageID(report.message.messageID)
        guard let own = headers?.text("Message-ID").flatMap({ try? MessageReference.normalizedMessageID($0) })
        else {
            check.problems.append("\(file) has no Message-ID: it is not the message sent")
            return nil
        }
        if let claimed, claimed != own {
            check.problems.append("\(file) is \(own), but report.json is about \(claimed)")
        }
        return own
    }

    /// Who the message went to: as the signed acceptance names them when there is one (and then the
    /// message file's To, Cc and From must agree with it), else the message's own To and Cc.
    private func recipientsOf(
        _ headers: HeaderFields?,
        file: String,
        acceptance: ReceiptEventReader.Reading?,
        check: inout DossierCheck
    ) -> [String] {
        func addresses(_ names: [String]) -> [String] {
            names.flatMap { name in
                PECAddress.mailboxes(inHeader: headers?.text(name) ?? "").map {
                    PECAddress.addrSpec(ofMailbox: $0).lowercased()
                }
            }
        }
        let own = addresses(["To", "Cc"])
        guard let acceptance, !acceptance.signedRecipients.isEmpty else { return own }
        let signed = acceptance.signedRecipients.map { $0.lowercased() }
        if Set(own) != Set(signed) {
            check.problems.append(
                "\(file) is addressed to \(own.joined(separator: ", ")), but the signed acceptance names "
                    + signed.joined(separator: ", ")
            )
        }
        if let sender = acceptance.signedSender?.lowercased(), let from = addresses(["From"]).first, from != sender {
            check.problems.append("\(file) is from \(from), but the signed acceptance says \(sender)")
        }
        return signed
    }

    struct ReceiptVerdict {
        var status: DossierCheck.Status
        var detail: String?
        var reading: ReceiptEventReader.Reading? = nil
    }

    private func receiptVerdict(_ url: URL, messageID: String, sentSHA256: String?) -> ReceiptVerdict {
        let evidence = ReceiptEvidence(
            receiptMessageID: nil,
            folder: "",
            uid: 0,
            uidValidity: 0,
            sha256: nil,
            size: nil,
            path: url.path
        )
        let reading: ReceiptEventReader.Reading?
        do {
            reading = try ReceiptEventReader(trust: trust).read(
                SpooledMessage(file: url),
                account: "",
                evidence: evidence,
                now: Date()
            )
        } catch {
            return ReceiptVerdict(status: .invalid, detail: (error as? PECError)?.message ?? "\(error)")
        }
        guard let reading, let first = reading.events.first else {
            return ReceiptVerdict(status: .uncertified, detail: "not a PEC or REM receipt")
        }
        guard reading.certifiedKind != nil else {
            return ReceiptVerdict(
                status: .init(notCertifiedWith: first.signature),
                detail: first.signature?.reason ?? first.warnings?.first
            )
        }
        guard reading.reference == messageID, reading.referenceIsSigned else {
            if reading.reference == messageID {
                // Only an outer header names the message: anyone can edit it.
                return ReceiptVerdict(
                    status: .otherMessage,
                    detail: "only an unsigned header says it is about \(messageID)"
                )
            }
            return ReceiptVerdict(
                status: .otherMessage,
                detail: "it is about \(reading.reference ?? "another message"), not \(messageID)"
            )
        }
        if let digest = reading.remDigest, let sent = sentSHA256,
            Data(base64Encoded: digest).map(SHA256Digest.hex) != sent.lowercased()
        {
            return ReceiptVerdict(status: .otherMessage, detail: "its REM digest is not the message sent's")
        }
        let detail = ([first.kind.rawValue] + (first.recipient.map { [$0] } ?? [])).joined(separator: " ")
        return ReceiptVerdict(status: .ok, detail: detail, reading: reading)
    }

    /// `sha256sum` lines: `<64 hex>  <name>` (or ` *<name>`, binary mode); nil when unreadable.
    static func readChecksums(_ url: URL) -> [String: String]? {
        guard size(url) < 1 << 20, let data = try? Data(contentsOf: url), data.count < 1 << 20 else { return nil }
        var sums: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true) {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 64, parts[0].allSatisfy(\.isHexDigit) else { return nil }
            var name = String(parts[1])
            if name.hasPrefix(" ") || name.hasPrefix("*") { name.removeFirst() }
            sums[name] = parts[0].lowercased()
        }
        return sums
    }

    static func sha256(of url: URL) throws -> String {
        let digest = try SHA256Digest()
        try DossierWriter.readChunks(url) { digest.update($0) }
        return try digest.finalizeHex()
    }
}
