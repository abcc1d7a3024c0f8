import Foundation
import MCP
import PECCore

/// Evidence dossiers (`pec evidence`, `pec evidence verify`): the proof of a sent PEC as files, made
/// and checked only inside the server's save directory (`--save-dir`, `PEC_MCP_SAVE_DIR`).
enum EvidenceTools {
    /// pec_evidence writes files, so, like pec_send, a read-only server neither lists it nor runs it
    /// (`--read-only`: "offer no tool that sends or changes anything"); pec_evidence_verify only reads.
    static func all(readOnly: Bool) -> [PECTool] {
        readOnly ? [verify] : [evidence, verify]
    }

    static let evidenceName = "pec_evidence"

    /// Why a read-only server does not know pec_evidence (the hint of its "unknown tool" error).
    static let readOnlyHint =
        "this server is read-only (--read-only or PEC_MCP_READ_ONLY): it writes no dossier; "
        + "pec_evidence_verify checks one, and the user can make one in a terminal with `pec evidence ID`"

    static let dossierWords = """
        A dossier is the proof of one PEC sent with pec: the message exactly as it was handed to SMTP \
        (01-messaggio-inviato.eml), every receipt a gestore signed exactly as received \
        (02-ricevuta-accettazione.eml, 03-ricevuta-consegna-<recipient>.eml, …), report.json, \
        report.html (printable) and SHA256SUMS.
        """

    static let noSaveDirectoryHint =
        "start pec-mcp with --save-dir DIR (or PEC_MCP_SAVE_DIR) to allow dossiers in DIR"

    // MARK: - pec_evidence

    static let evidence = PECTool(
        tool: Tool(
            name: evidenceName,
            title: "Make the evidence dossier of a sent PEC",
            description: """
                Writes the evidence dossier of a message sent with pec. \(dossierWords) It first looks \
                for receipts not yet in the ledger (read-only, as pec_trace; sync: false uses the ledger \
                only). It is written only inside this server's save directory (--save-dir), as a new \
                directory or a new .zip (filename ending in .zip), complete or not at all, never \
                overwriting. complete says whether every recipient has a certified delivery or failure \
                receipt; warnings say what is missing, and when a delivery receipt is not completa \
                (a notification under L. 53/1994 needs the completa one). It never sends anything and \
                changes nothing in the mailbox. pec_evidence_verify checks a dossier.
                """,
            inputSchema: Schema.object(
                [
                    "id": Schema.string(
                        "The Message-ID pec_send returned, or the PEC identificativo, of a message sent with pec."
                    ),
                    "filename": Schema.string(
                        "The new dossier's name in the save directory: a directory name, or a name ending in "
                            + ".zip for a zip archive. A plain name: no /, no .., no leading dot. Default: "
                            + "pec-evidence-<short id>.",
                        pattern: #"^[^/.][^/]*$"#
                    ),
                    "sync": Schema.boolean(
                        "Look for receipts not yet in the ledger first (read-only); false: the ledger only.",
                        default: true
                    ),
                ],
                required: ["id"]
            ),
            // It writes new files in the save directory (and, as pec_trace, pec's own ledger), never
            // replaces one and changes nothing in the mailbox; each call makes a new dossier.
            annotations: .init(
                title: "Make the evidence dossier of a sent PEC",
                readOnlyHint: false,
                destructiveHint: false,
                idempotentHint: false,
                openWorldHint: true
            ),
            outputSchema: Schema.object(
                [
                    "path": Schema.string("Where the dossier was written (inside the save directory)."),
                    "zip": Schema.boolean("The dossier is a zip archive (else a directory)."),
                    "files": Schema.array(Schema.string(), "Its files, in order (SHA256SUMS last)."),
                    "report": reportSchema,
                ],
                required: ["path", "zip", "files", "report"],
                closed: false
            )
        ),
        run: { arguments, context in
            let id = try arguments.requiredString("id")
            let name = try arguments.string("filename")
            let sync = try arguments.bool("sync") ?? true
            // Checked before anything is contacted: a refused name writes nothing.
            let output = try outputPath(name, id: id, saveDirectory: context.configuration.saveDirectory)
            let result: DossierResult
            do {
                result = try await context.core.dossiers(caFiles: context.configuration.caFiles, keeper: context.keeper)
                    .make(DossierRequest(id: id, output: output, sync: sync))
            } catch var error as PECError where error.kind == .notFound {
                // The core's hint names `pec status`; the tools are what an agent can call.
                error.hint =
                    "pec_evidence takes the message_id pec_send returned, or an identificativo; "
                    + "pec_status without message_id lists the recent sends"
                throw error
            }
            return try evidenceOutput(result)
        }
    )

    /// The dossier's full path: `name` (or the default name) in the save directory; refused unless
    /// there is a save directory and `name` is a plain new name in it.
    static func outputPath(_ name: String?, id: String, saveDirectory: String?) throws(PECError) -> String {
        guard let saveDirectory else {
            throw PECError(
                .usage,
                "this server writes no dossiers: it has no save directory",
                hint: noSaveDirectoryHint
            )
        }
        guard let name else {
            // The default, as `pec evidence`'s, made unique: an agent need not pick a name.
            let base = defaultName(id: id)
            for n in 1...1000 {
                let candidate = saveDirectory + "/" + (n == 1 ? base : "\(base)-\(n)")
                if !exists(candidate) { return candidate }
            }
            throw PECError(.invalidInput, "\(base) and its numbered copies already exist", hint: "pass a filename")
        }
        guard isPlainName(name) else {
            throw PECError(
                .usage,
                "\(evidenceName): filename must be a plain new name in the save directory (no /, no .., no leading "
                    + "dot, no control characters, at most 200 bytes), not \"\(name)\"",
                hint: "pass a name such as pec-evidence-1 (a directory) or d.zip (a zip archive): it is written in "
                    + saveDirectory
            )
        }
        let path = saveDirectory + "/" + name
        guard !exists(path) else {
            throw PECError(
                .invalidInput,
                "\(name) already exists in the save directory",
                hint: "a dossier never replaces anything: pass another filename, or none for a new default name"
            )
        }
        return path
    }

    /// No directory part, nothing that climbs or hides (`..`, a leading dot), no controls; short enough
    /// for the writer's temporary name beside it (`.<name>.pec-XXXXXXXX.partial`).
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && !name.contains("\\") && !name.contains("..") && !name.hasPrefix(".")
            && name.utf8.count <= 200
            && !name.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    /// `pec-evidence-<the id's first letters and digits>`, as `pec evidence` names it.
    static func defaultName(id: String) -> String {
        let local = id.trimmingCharacters(in: CharacterSet(charactersIn: "<> ")).prefix { $0 != "@" }
        let short = String(local.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }.prefix(12))
        return "pec-evidence-\(short.isEmpty ? "message" : short)"
    }

    /// Whether anything is at `path`, a dangling symbolic link included.
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// The text copy: what pec concluded (its own words) on lines of ours, then the report, whose
    /// values come from the message and the gestori's receipts, fenced as untrusted.
    static func evidenceOutput(_ result: DossierResult) throws -> ToolOutput {
        struct Summary: Encodable {
            var path: String
            var zip: Bool
            var complete: Bool
            var files: [String]
            var warnings: [String]
        }
        let summary = Summary(
            path: result.path,
            zip: result.zip,
            complete: result.report.complete,
            files: result.files,
            warnings: result.report.warnings
        )
        let renderer = OutputRenderer(format: .text)
        let text =
            try renderer.render(record: summary)
            + ToolOutput.untrusted(try renderer.render(record: result.report), what: "dossier report")
        return ToolOutput(value: result, text: text)
    }

    static let reportSchema = Schema.object(
        [
            "format": Schema.string("pec-evidence-dossier."),
            "version": Schema.integer(minimum: 1),
            "direction": Schema.enumeration(["sent", "received"]),
            "tool": Schema.string(),
            "generated_at": Schema.string(),
            "message": Schema.object(
                [
                    "message_id": Schema.string(),
                    "identificativo": Schema.string(),
                    "from": Schema.string(),
                    "to": Schema.array(Schema.string()),
                    "cc": Schema.array(Schema.string()),
                    "subject": Schema.string(),
                    "date": Schema.string(),
                    "receipt_type": Schema.string("The delivery receipt kind asked for: completa, breve, sintetica."),
                    "file": Schema.string("The message as sent in the dossier; absent when it was not kept."),
                    "size": Schema.integer(minimum: 0),
                    "sha256": Schema.string(),
                    "attachments": Schema.array(Schema.anyObject),
                ],
                required: ["message_id"],
                closed: false
            ),
            "complete": Schema.boolean("Every recipient has a certified delivery or failure receipt in the dossier."),
            "recipients": Schema.array(
                Schema.object(
                    [
                        "address": Schema.string(),
                        "status": Schema.enumeration(TrackingStatus.allCases.map(\.rawValue)),
                        "proof": Schema.string("The receipt file that proves the status."),
                        "errore": Schema.string(),
                        "errore_esteso": Schema.string(),
                    ],
                    required: ["address", "status"],
                    closed: false
                )
            ),
            "receipts": Schema.array(
                Schema.object(
                    [
                        "file": Schema.string(),
                        "kind": Schema.enumeration(ReceiptEventKind.allCases.map(\.rawValue)),
                        "standard": Schema.string("pec or rem."),
                        "pec_type": Schema.string(),
                        "recipient": Schema.string(),
                        "at": Schema.string(),
                        "gestore": Schema.string(),
                        "receipt_type": Schema.string("For a delivery receipt: completa, breve or sintetica."),
                        "size": Schema.integer(minimum: 0),
                        "sha256": Schema.string(),
                        "signature": Schema.anyObject,
                        "chain": Schema.array(Schema.anyObject),
                    ],
                    required: ["file", "kind", "sha256"],
                    closed: false
                )
            ),
            "warnings": Schema.array(Schema.string()),
        ],
        required: ["format", "version", "message", "complete"],
        closed: false
    )

    // MARK: - pec_evidence_verify

    static let verify = PECTool(
        tool: Tool(
            name: "pec_evidence_verify",
            title: "Check a PEC evidence dossier",
            description: """
                Checks an evidence dossier offline, as `pec evidence verify` does. \(dossierWords) valid is \
                true only when every file matches SHA256SUMS, every receipt is certified by a trusted gestore \
                and is about the message in the dossier, and the dossier is complete (every recipient has a \
                certified delivery or failure receipt); otherwise files and problems say what is wrong \
                (altered, missing, unlisted, unsigned, invalid, untrusted, uncertified, other_message). A \
                dossier that does not hold is a result (valid: false), not an error. Reads only inside this \
                server's save directory (--save-dir); contacts nothing, writes nothing, never sends.
                """,
            inputSchema: Schema.object(
                [
                    "path": Schema.string(
                        "The dossier, a directory or a .zip: the path pec_evidence returned, or a name in the save "
                            + "directory."
                    )
                ],
                required: ["path"]
            ),
            annotations: .readOnly("Check a PEC evidence dossier", openWorld: false),
            outputSchema: Schema.object(
                [
                    "path": Schema.string(),
                    "valid": Schema.boolean("The dossier proves its message: every check holds."),
                    "complete": Schema.boolean(
                        "Every recipient has a certified delivery or failure receipt in the dossier."
                    ),
                    "message_id": Schema.string("The Message-ID of the message as sent, in the dossier."),
                    "version": Schema.integer("report.json's version.", minimum: 1),
                    "files": Schema.array(
                        Schema.object(
                            [
                                "file": Schema.string(),
                                "status": Schema.enumeration([
                                    "ok", "altered", "missing", "unlisted", "unsigned", "invalid", "untrusted",
                                    "uncertified", "other_message",
                                ]),
                                "detail": Schema.string(),
                            ],
                            required: ["file", "status"],
                            closed: false
                        )
                    ),
                    "problems": Schema.array(Schema.string(), "What is wrong beyond single files."),
                ],
                required: ["path", "valid", "complete", "files", "problems"],
                closed: false
            )
        ),
        run: { arguments, context in
            let path = try readablePath(
                try arguments.requiredString("path"),
                saveDirectory: context.configuration.saveDirectory
            )
            // A dossier that does not hold is the answer (valid: false); only an unreadable path throws.
            let check = try DossierVerifier(trust: PECTrustStore(caFiles: context.configuration.caFiles)).verify(path)
            return try verifyOutput(check)
        }
    )

    /// `path` (absolute, or relative to the save directory) as a real path inside the save directory,
    /// symbolic links resolved; refused anywhere else. The lexical check comes first, so that nothing
    /// is said about what exists outside.
    static func readablePath(_ path: String, saveDirectory: String?) throws(PECError) -> String {
        guard let saveDirectory else {
            throw PECError(
                .usage,
                "this server reads no dossiers: it reads them only in its save directory, and has none",
                hint: noSaveDirectoryHint
            )
        }
        let full = path.hasPrefix("/") ? path : saveDirectory + "/" + path
        let inside = saveDirectory.hasSuffix("/") ? saveDirectory : saveDirectory + "/"
        let outside = PECError(
            .usage,
            "pec_evidence_verify reads dossiers only in the save directory \(saveDirectory), not \(path)",
            hint: "pass the path pec_evidence returned, or a name in \(saveDirectory)"
        )
        guard URL(fileURLWithPath: full).standardizedFileURL.path.hasPrefix(inside) else { throw outside }
        guard let real = SendPolicy.realPath(full) else {
            throw PECError(.invalidInput, "\(path) does not exist", hint: "pass the path pec_evidence returned")
        }
        guard real.hasPrefix(inside) else { throw outside }
        return real
    }

    /// The verdict on lines of ours; the check's file names, details and Message-ID come from the
    /// dossier's files (anyone's), so they are fenced as untrusted.
    static func verifyOutput(_ check: DossierCheck) throws -> ToolOutput {
        let renderer = OutputRenderer(format: .text)
        var text = "valid: \(check.valid)\ncomplete: \(check.complete)\n"
        if !check.valid {
            let failing = check.files.filter { $0.status != .ok }.count
            text +=
                "the dossier does not prove its message: \(failing) file(s) not ok, \(check.problems.count) problem(s)\n"
        }
        text += ToolOutput.untrusted(try renderer.render(record: check), what: "dossier check")
        return ToolOutput(value: check, text: text)
    }
}
