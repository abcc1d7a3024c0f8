import Foundation

/// `report.html` of an evidence dossier: the same facts as `report.json`, laid out for people who read
/// it on paper (a lawyer, a court clerk). Labels are Italian first, then English.
///
/// The document is self-contained and inert: inline CSS only, no script, no image, no external URL, and a
/// Content-Security-Policy that forbids them anyway. Every value of the report came from mail and may be
/// hostile, so each one is HTML-escaped, and only a plain file name of the dossier becomes a link.
enum DossierHTML {
    static func render(_ report: DossierReport) -> String {
        let parts = [
            header(report),
            verdict(report),
            warningsSection(report),
            messageSection(report.message, direction: report.direction),
            report.envelope.map(envelopeSection) ?? "",
            recipientsSection(report.recipients),
            receiptsSection(report.receipts),
            footer(report),
        ]
        let subject = report.message.subject ?? report.message.messageID
        return document(
            title: "Dossier probatorio / Evidence dossier — \(subject)",
            body: parts.filter { !$0.isEmpty }.joined(separator: "\n")
        )
    }

    // MARK: - Document

    private static func document(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="it">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }

    /// Light colours only, so that it prints as it shows; hashes and DNs break anywhere to fit A4.
    private static let style = """
        body { font-family: Georgia, "Times New Roman", serif; color: #111; background: #fff;
          max-width: 60em; margin: 2em auto; padding: 0 1em; line-height: 1.4; }
        h1 { font-size: 1.6em; margin-bottom: 0.2em; }
        h2 { font-size: 1.3em; border-bottom: 1px solid #999; margin-top: 1.6em; }
        h3 { font-size: 1.1em; margin-top: 1.4em; }
        h4 { font-size: 1em; margin: 0.8em 0 0.3em; }
        table { border-collapse: collapse; width: 100%; margin: 0.4em 0; }
        th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
        th { background: #f2f2f2; font-weight: normal; width: 16em; }
        thead th { font-weight: bold; width: auto; }
        code, .hash { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em;
          word-break: break-all; }
        td { overflow-wrap: anywhere; }
        .verdict { border: 2px solid; padding: 0.6em 1em; margin: 1em 0; }
        .verdict.ok { border-color: #2a7a2a; background: #eef7ee; }
        .verdict.ko { border-color: #b03030; background: #fbeeee; }
        .alert { border-left: 4px solid #c07a00; background: #fff6e5; padding: 0.4em 1em; margin: 1em 0; }
        .ok-text { color: #1f6b1f; }
        .ko-text { color: #a02020; font-weight: bold; }
        .receipt { border-top: 1px dashed #999; }
        footer { margin-top: 2em; border-top: 1px solid #999; font-size: 0.9em; }
        @media print {
          @page { size: A4; margin: 15mm; }
          body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
          a { color: inherit; text-decoration: none; }
          .receipt, .verdict, .alert { break-inside: avoid; page-break-inside: avoid; }
          h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
        }
        """

    private static func header(_ report: DossierReport) -> String {
        let direction =
            switch report.direction {
            case .sent: "messaggio inviato / sent message"
            case .received: "messaggio ricevuto / received message"
            }
        return """
            <header>
            <h1>Dossier probatorio di posta certificata / Certified mail evidence dossier</h1>
            <p>\(escape(direction)) · \(escape(report.format)) v\(report.version)</p>
            </header>
            """
    }

    // MARK: - Verdict and warnings

    private static func verdict(_ report: DossierReport) -> String {
        if report.direction == .received {
            return report.complete
                ? """
                <div class="verdict ok"><p><strong>Busta di trasporto certificata</strong>: la firma del gestore                 è valida.<br><strong>Certified transport envelope</strong>: the provider's signature is valid.</p></div>
                """
                : """
                <div class="verdict ko"><p><strong>Busta non certificata / Envelope not certified</strong>:                 vedere la firma. / See the signature.</p></div>
                """
        }
        if report.complete {
            return """
                <div class="verdict ok"><p><strong>Prova completa</strong>: ogni destinatario ha una ricevuta \
                certificata di consegna o di mancata consegna.<br><strong>Complete proof</strong>: every \
                recipient has a certified delivery or failure receipt.</p></div>
                """
        }
        // A recipient lacks a final receipt when none is named, or when what is named is not final.
        let lacking = report.recipients.filter { $0.proof == nil || !$0.status.isFinal }
        let detail: String
        if report.recipients.isEmpty {
            detail = "<p>Il dossier non elenca destinatari. / The dossier lists no recipients.</p>"
        } else if lacking.isEmpty {
            detail = "<p>Vedere gli avvisi. / See the warnings.</p>"
        } else {
            let items = lacking.map { "<li>\(escape($0.address)) — \(escape(statusLabel($0.status)))</li>" }
            detail = """
                <p>Senza ricevuta finale di consegna o di mancata consegna / Without a final delivery or failure \
                receipt:</p>
                <ul>\(items.joined())</ul>
                """
        }
        return """
            <div class="verdict ko"><p><strong>Prova incompleta / Incomplete proof</strong>: non tutti i \
            destinatari hanno una ricevuta certificata di consegna o di mancata consegna. / Not every recipient \
            has a certified delivery or failure receipt.</p>
            \(detail)</div>
            """
    }

    /// A PEC delivery receipt whose type is not stated counts as not `completa`: only the completa one
    /// carries the message, which a notification needs. REM evidence has no such type.
    private static func isIncompleteDelivery(_ receipt: DossierReport.Receipt) -> Bool {
        guard receipt.kind == .delivery else { return false }
        guard let type = receipt.receiptType else { return receipt.standard == .pec }
        return type.lowercased() != "completa"
    }

    private static func warningsSection(_ report: DossierReport) -> String {
        var items: [String] = []
        for receipt in report.receipts where isIncompleteDelivery(receipt) {
            let type = escape(receipt.receiptType ?? "non indicato / not stated")
            let recipient = receipt.recipient.map { " (\(escape($0)))" } ?? ""
            items.append(
                """
                <li>La ricevuta di avvenuta consegna \(escape(receipt.file))\(recipient) è di tipo «\(type)», \
                non «completa»: per le notificazioni ai sensi della L. 53/1994 occorre la ricevuta completa. / \
                The delivery receipt \(escape(receipt.file))\(recipient) is of type “\(type)”, not “completa”: \
                notifications under L. 53/1994 need the completa delivery receipt.</li>
                """
            )
        }
        items += report.warnings.map { "<li>\(escape($0))</li>" }
        guard !items.isEmpty else { return "" }
        return "<div class=\"alert\"><h2>Avvisi / Warnings</h2>\n<ul>\n\(items.joined(separator: "\n"))\n</ul></div>"
    }

    // MARK: - Sections

    private static func messageSection(_ message: DossierReport.Message, direction: DossierReport.Direction) -> String {
        let title = direction == .sent ? "Messaggio inviato / Message sent" : "Messaggio ricevuto / Message received"
        let rows = [
            row("Message-ID", message.messageID),
            row("Identificativo / Identifier", message.identificativo),
            row("Mittente / From", message.from),
            row("Destinatari / To", list(message.to)),
            row("Copia / Cc", list(message.cc)),
            row("Oggetto / Subject", message.subject),
            row("Data / Date", message.date),
            row(
                "Tipo di ricevuta richiesto / Receipt type asked",
                message.receiptType ?? "predefinito del gestore / provider's default"
            ),
            htmlRow("File", message.file.map(link) ?? "non conservato / not kept"),
            row("Dimensione (byte) / Size (bytes)", message.size.map(String.init)),
            htmlRow("SHA-256", message.sha256.map(hash)),
        ]
        return section(title, table(rows) + attachmentsTable(message.attachments))
    }

    private static func attachmentsTable(_ attachments: [DossierReport.Attachment]) -> String {
        guard !attachments.isEmpty else { return "" }
        let rows = attachments.map { attachment in
            "<tr><td>\(escape(attachment.filename))</td><td>\(escape(attachment.size.map(String.init) ?? "—"))"
                + "</td><td>\(attachment.sha256.map(hash) ?? "—")</td></tr>"
        }
        return """
            <h3>Allegati / Attachments</h3>
            <table><thead><tr><th>Nome / Name</th><th>Dimensione (byte) / Size (bytes)</th><th>SHA-256</th></tr>\
            </thead>
            <tbody>\(rows.joined(separator: "\n"))</tbody></table>
            """
    }

    private static func recipientsSection(_ recipients: [DossierReport.Recipient]) -> String {
        guard !recipients.isEmpty else {
            return section("Destinatari / Recipients", "<p>Nessuno / None</p>")
        }
        let rows = recipients.map { recipient in
            let final = recipient.status.isFinal && recipient.proof != nil
            let status =
                "<span class=\"\(final ? "ok-text" : "ko-text")\">\(escape(statusLabel(recipient.status)))</span>"
            let errors = [recipient.errore, recipient.erroreEsteso].compactMap { $0 }.map(escape)
            return "<tr><td>\(escape(recipient.address))</td><td>\(status)</td>"
                + "<td>\(recipient.proof.map(link) ?? "nessuna / none")</td>"
                + "<td>\(errors.isEmpty ? "" : errors.joined(separator: "<br>"))</td></tr>"
        }
        let head =
            "<thead><tr><th>Indirizzo / Address</th><th>Stato / Status</th><th>Ricevuta / Receipt</th>"
            + "<th>Errore / Error</th></tr></thead>"
        return section(
            "Destinatari / Recipients",
            "<table>\(head)\n<tbody>\(rows.joined(separator: "\n"))</tbody></table>"
        )
    }

    private static func receiptsSection(_ receipts: [DossierReport.Receipt]) -> String {
        guard !receipts.isEmpty else {
            return section("Ricevute / Receipts", "<p>Nessuna ricevuta nel dossier. / No receipt in the dossier.</p>")
        }
        let blocks = receipts.enumerated().map { receiptBlock($0.element, number: $0.offset + 1) }
        return section("Ricevute / Receipts", blocks.joined(separator: "\n"))
    }

    /// A received message's transport envelope (or REM dispatch) and its check.
    private static func envelopeSection(_ envelope: DossierReport.Envelope) -> String {
        let rows = [
            htmlRow("File", link(envelope.file)),
            row("Standard", envelope.standard.rawValue.uppercased()),
            row("Tipo firmato / Signed type", envelope.pecType),
            row("Ora del gestore / Provider's time", envelope.at),
            row("Gestore / Provider", envelope.gestore),
            row("Identificativo / Identifier", envelope.identificativo),
            row("Dimensione (byte) / Size (bytes)", String(envelope.size)),
            htmlRow("SHA-256", hash(envelope.sha256)),
        ]
        return section(
            "Busta di trasporto / Transport envelope",
            """
            \(table(rows))
            <h4>Firma / Signature</h4>
            \(signatureTable(envelope.signature))
            <h4>Catena di certificati / Certificate chain</h4>
            \(chainTable(envelope.chain))
            """
        )
    }

    private static func receiptBlock(_ receipt: DossierReport.Receipt, number: Int) -> String {
        let rows = [
            htmlRow("File", link(receipt.file)),
            row("Standard", receipt.standard.rawValue.uppercased()),
            row("Tipo firmato / Signed type", receipt.pecType),
            row("Destinatario / Recipient", receipt.recipient),
            row("Ora del gestore / Provider's time", receipt.at),
            row("Gestore / Provider", receipt.gestore),
            row("Identificativo / Identifier", receipt.identificativo),
            row("Riferita a (Message-ID) / Refers to", receipt.refersTo),
            row("Errore / Error", receipt.errore),
            row("Errore esteso / Extended error", receipt.erroreEsteso),
            row("Tipo di ricevuta / Receipt type", receipt.receiptType),
            row("Dimensione (byte) / Size (bytes)", String(receipt.size)),
            htmlRow("SHA-256", hash(receipt.sha256)),
        ]
        return """
            <section class="receipt">
            <h3>\(number). \(escape(kindLabel(receipt.kind)))</h3>
            \(table(rows))
            <h4>Firma / Signature</h4>
            \(signatureTable(receipt.signature))
            <h4>Catena di certificati / Certificate chain</h4>
            \(chainTable(receipt.chain))
            </section>
            """
    }

    private static func signatureTable(_ signature: SignatureCheck) -> String {
        let good = signature.status == .valid
        let status =
            "<span class=\"\(good ? "ok-text" : "ko-text")\">\(escape(signatureLabel(signature.status)))</span>"
        return table([
            htmlRow("Esito / Status", status),
            row("Firmatario / Signer", signature.signerSubject),
            row("Indirizzo del firmatario / Signer's address", signature.signerEmail),
            row("Emittente / Issuer", signature.signerIssuer),
            row("Ora della firma / Signing time", signature.signingTime),
            row("Algoritmo di digest / Digest algorithm", signature.digestAlgorithm),
            row(
                "Certificato di gestore PEC (policy \(SignatureCheck.gestorePolicyOID)) / PEC provider certificate",
                signature.gestorePolicy ? "sì / yes" : "no"
            ),
            row("Motivo / Reason", signature.reason),
        ])
    }

    private static func chainTable(_ chain: [CertificateSummary]) -> String {
        guard !chain.isEmpty else { return "<p>Non disponibile / Not available</p>" }
        let rows = chain.map { certificate in
            "<tr><td>\(escape(certificate.subject))</td><td>\(escape(certificate.issuer))</td>"
                + "<td>\(hash(certificate.serial))</td><td>\(escape(certificate.notBefore))</td>"
                + "<td>\(escape(certificate.notAfter))</td></tr>"
        }
        let head =
            "<thead><tr><th>Soggetto / Subject</th><th>Emittente / Issuer</th><th>Seriale / Serial</th>"
            + "<th>Valido dal / Not before</th><th>Valido fino al / Not after</th></tr></thead>"
        return "<table>\(head)\n<tbody>\(rows.joined(separator: "\n"))</tbody></table>"
    }

    private static func footer(_ report: DossierReport) -> String {
        """
        <footer>
        <p>Generato da / Generated by \(escape(report.tool)) — \(escape(report.generatedAt))</p>
        <p>Il file SHA256SUMS elenca l'hash SHA-256 di ogni file del dossier; <code>pec evidence verify</code> \
        verifica il dossier offline. / The SHA256SUMS file lists the SHA-256 hash of every file in the dossier; \
        <code>pec evidence verify</code> checks the dossier offline.</p>
        </footer>
        """
    }

    // MARK: - Labels

    private static func statusLabel(_ status: TrackingStatus) -> String {
        switch status {
        case .delivered: "consegnato / delivered"
        case .failed: "non consegnato / not delivered"
        case .accepted: "accettato, senza ricevuta di consegna / accepted, no delivery receipt"
        case .relayed: "preso in carico dal gestore del destinatario / taken over by the recipient's provider"
        case .pending: "in attesa di accettazione / awaiting acceptance"
        case .timedOut: "scaduto senza ricevuta / timed out without a receipt"
        }
    }

    private static func kindLabel(_ kind: ReceiptEventKind) -> String {
        switch kind {
        case .acceptance: "ricevuta di accettazione / acceptance receipt"
        case .delivery: "ricevuta di avvenuta consegna / delivery receipt"
        case .deliveryError: "avviso di mancata consegna / delivery failure notice"
        case .relay: "ricevuta di presa in carico / take-over receipt"
        case .nonAcceptance: "avviso di non accettazione / non-acceptance notice"
        case .virus: "avviso di rilevazione virus / virus detection notice"
        case .deliveryWarning: "preavviso di mancata consegna / delivery failure warning"
        case .handover: "evidenza REM ContentHandover (ritiro) / REM ContentHandover evidence (retrieval)"
        // Computed by pec, never a file; named anyway so that the page says what it is.
        case .timeout: "scadenza senza ricevuta / deadline passed without a receipt"
        }
    }

    private static func signatureLabel(_ status: SignatureCheck.Status) -> String {
        switch status {
        case .valid: "valida / valid"
        case .invalid: "non valida / invalid"
        case .untrusted: "integra, ma firmatario non attendibile / intact, but signer not trusted"
        case .unsigned: "assente / unsigned"
        }
    }

    // MARK: - Helpers

    /// The five characters that can end a text node or a quoted attribute value.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A file of the dossier, as a relative link when its name can only point next to `report.html`:
    /// no path separator, no scheme, no dot file or `..`, no percent-encoding, no control character.
    static func link(_ file: String) -> String {
        let plain =
            !file.isEmpty && !file.hasPrefix(".")
            && !file.unicodeScalars.contains {
                "/\\:%".unicodeScalars.contains($0) || $0.value < 0x20 || $0.value == 0x7F
            }
        let name = escape(file)
        return plain ? "<a href=\"\(name)\">\(name)</a>" : "<span class=\"file\">\(name)</span>"
    }

    private static func hash(_ value: String) -> String {
        "<span class=\"hash\">\(escape(value))</span>"
    }

    private static func list(_ values: [String]) -> String? {
        values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// A table row of escaped text; none when there is no value.
    private static func row(_ label: String, _ value: String?) -> String? {
        guard let value else { return nil }
        return htmlRow(label, escape(value))
    }

    /// A table row whose value is already HTML (escaped by the caller).
    private static func htmlRow(_ label: String, _ html: String?) -> String? {
        html.map { "<tr><th>\(escape(label))</th><td>\($0)</td></tr>" }
    }

    private static func table(_ rows: [String?]) -> String {
        "<table>\n\(rows.compactMap { $0 }.joined(separator: "\n"))\n</table>"
    }

    private static func section(_ title: String, _ content: String) -> String {
        "<section>\n<h2>\(escape(title))</h2>\n\(content)\n</section>"
    }
}
