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
            for entry in archive {
                guard entry.type == .file, isPlainName(entry.path) else {
                    throw PECError(.invalidInput, "\(url.path) holds \(entry.path), which no dossier has")
                }
                let handle = try TemporaryFiles.create(directory.appendingPathComponent(entry.path))
                defer { try? handle.close() }
                _ = try archive.extract(entry, skipCRC32: false) { data in try handle.write(contentsOf: data) }
            }
        } catch {
            TemporaryFiles.removeDirectory(directory)
            if let error = error as? PECError { throw error }
            throw PECError(.invalidInput, "\(url.path) cannot be read as a zip: \(error.localizedDescription)")
        }
        return directory
    }

    /// A file name with no directory part and no leading dot: what a dossier's files are.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && !name.contains("\\") && !name.hasPrefix(".") && name.count < 256
    }

    private func verifyDirectory(_ directory: URL, shownAs path: String) throws -> DossierCheck {
        var check = DossierCheck(path: path, valid: false, complete: false, files: [], problems: [])
        let names = Set(
            ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") }
        )
        guard names.contains(DossierWriter.checksumsName),
            let sums = Self.readChecksums(directory.appendingPathComponent(DossierWriter.checksumsName))
        else {
            check.problems.append("no readable \(DossierWriter.checksumsName): this is not a dossier pec wrote")
            return check
        }
        var results: [String: DossierCheck.FileCheck] = [:]
        for (name, expected) in sums {
            let url = directory.appendingPathComponent(name)
            guard Self.isPlainName(name), names.contains(name) else {
                results[name] = .init(file: name, status: .missing, detail: "listed in SHA256SUMS")
                continue
            }
            let actual = try? Self.sha256(of: url)
            results[name] = .init(file: name, status: actual == expected ? .ok : .altered, detail: nil)
        }
        for name in names where name != DossierWriter.checksumsName && sums[name] == nil {
            results[name] = .init(file: name, status: .unlisted, detail: "not in SHA256SUMS")
        }

        let report: DossierReport? =
            if results["report.json"]?.status == .ok {
                try? JSONDecoder().decode(
                    DossierReport.self,
                    from: Data(contentsOf: directory.appendingPathComponent("report.json"))
                )
            } else {
                nil
            }
        if let report {
            check.version = report.version
            if report.format != DossierReport.formatName || report.version > DossierReport.currentVersion {
                check.problems.append(
                    "report.json is \(report.format) version \(report.version); this pec reads up to version "
                        + "\(DossierReport.currentVersion): update pec"
                )
            }
        } else {
            check.problems.append("report.json is missing, altered or unreadable")
        }
        if let report, report.direction == .received {
            check.messageID = report.message.messageID
            verifyEnvelope(directory, report: report, results: &results, check: &check)
            check.files = results.values.sorted { $0.file < $1.file }
            check.valid = check.complete && check.problems.isEmpty && check.files.allSatisfy { $0.status == .ok }
            return check
        }
        let messageFile = report?.message.file
        let messageID = try messageIdentity(directory, file: messageFile, report: report, check: &check)
        check.messageID = messageID

        // Every .eml but the message is a receipt, whatever the report says of it.
        var proven: [String: ReceiptEventKind] = [:]
        var failedAll = false
        // The digest REM receipts are checked against: the message file's own (it matched SHA256SUMS).
        let sentSHA256 = messageFile.flatMap { results[$0]?.status == .ok ? sums[$0] : nil }
        for name in names.sorted() where name.hasSuffix(".eml") && name != messageFile {
            let listed = results[name]?.status == .ok
            guard let messageID, listed || results[name]?.status == .unlisted else { continue }
            let verdict = try receiptVerdict(
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
            guard listed, verdict.status == .ok else { continue }
            for event in verdict.events {
                if event.kind == .nonAcceptance { failedAll = true }
                guard let recipient = event.recipient?.lowercased() else { continue }
                if event.kind == .delivery || event.kind == .deliveryError || event.kind == .handover {
                    proven[recipient] = proven[recipient] == .delivery ? .delivery : event.kind
                }
            }
        }
        let recipients = try recipientsOf(directory, file: messageFile, report: report)
        let unproven = recipients.filter { proven[$0.lowercased()] == nil && !failedAll }
        check.complete = !recipients.isEmpty && unproven.isEmpty
        if recipients.isEmpty {
            check.problems.append("the dossier names no recipient")
        } else if !unproven.isEmpty {
            check.problems.append(
                "incomplete: no certified delivery or failure receipt for \(unproven.joined(separator: ", "))"
            )
        }
        check.files = results.values.sorted { $0.file < $1.file }
        check.valid = check.complete && check.problems.isEmpty && check.files.allSatisfy { $0.status == .ok }
        return check
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
            let status: DossierCheck.Status =
                switch details.signature?.status {
                case .unsigned, nil: .unsigned
                case .invalid: .invalid
                case .untrusted: .untrusted
                case .valid: .uncertified
                }
            results[name] = .init(file: name, status: status, detail: details.signature?.reason)
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

    /// The Message-ID the dossier is about: the sent message's own header when it is there (it is in
    /// SHA256SUMS like the rest), checked against the report's.
    private func messageIdentity(
        _ directory: URL,
        file: String?,
        report: DossierReport?,
        check: inout DossierCheck
    ) throws -> String? {
        let claimed = report.flatMap { try? MessageReference.normalizedMessageID($0.message.messageID) }
        guard let file else { return claimed }
        guard let headers = try? SpooledMessage(file: directory.appendingPathComponent(file)).message.headers,
            let own = headers.text("Message-ID").flatMap({ try? MessageReference.normalizedMessageID($0) })
        else {
            check.problems.append("\(file) has no Message-ID: it is not the message sent")
            return claimed
        }
        if let claimed, claimed != own {
            check.problems.append("\(file) is \(own), but report.json is about \(claimed)")
        }
        return own
    }

    /// To and Cc of the message as sent (its own headers), else the report's.
    private func recipientsOf(_ directory: URL, file: String?, report: DossierReport?) throws -> [String] {
        if let file, let headers = try? SpooledMessage(file: directory.appendingPathComponent(file)).message.headers {
            let addresses = ["To", "Cc"].flatMap { name in
                PECAddress.mailboxes(inHeader: headers.text(name) ?? "").map(PECAddress.addrSpec)
            }
            if !addresses.isEmpty { return addresses }
        }
        return report.map { $0.message.to + $0.message.cc } ?? []
    }

    struct ReceiptVerdict {
        var status: DossierCheck.Status
        var detail: String?
        var events: [TrackingEvent] = []
    }

    private func receiptVerdict(_ url: URL, messageID: String, sentSHA256: String?) throws -> ReceiptVerdict {
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
            let signature = first.signature
            let status: DossierCheck.Status =
                switch signature?.status {
                case .unsigned, nil: .unsigned
                case .invalid: .invalid
                case .untrusted: .untrusted
                case .valid: .uncertified
                }
            return ReceiptVerdict(status: status, detail: signature?.reason ?? first.warnings?.first)
        }
        guard reading.reference == messageID else {
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
        return ReceiptVerdict(status: .ok, detail: detail, events: reading.events)
    }

    /// `sha256sum` lines: `<64 hex>  <name>` (or ` *<name>`, binary mode); nil when unreadable.
    static func readChecksums(_ url: URL) -> [String: String]? {
        guard let data = try? Data(contentsOf: url), data.count < 1 << 20 else { return nil }
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
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        // Bounded: ends at end of file.
        while let data = try handle.read(upToCount: 1 << 16), !data.isEmpty { digest.update(data) }
        return try digest.finalizeHex()
    }
}
