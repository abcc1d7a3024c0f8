import Foundation
import Testing

@testable import PECCore

/// `report.html` of an evidence dossier: inert whatever the mail put in it, and plain about what it proves.
@Suite struct DossierHTMLTests {
    static let hostileSubject = "<script>alert(1)</script> & \"x\""

    static func receipt(
        file: String,
        kind: ReceiptEventKind,
        recipient: String? = nil,
        receiptType: String? = nil
    ) -> DossierReport.Receipt {
        DossierReport.Receipt(
            file: file,
            kind: kind,
            standard: .pec,
            pecType: kind == .delivery ? "avvenuta-consegna" : "accettazione",
            recipient: recipient,
            at: "2024-05-02T09:30:00Z",
            gestore: "Gestore <test> & C.",
            identificativo: "opec210.20240502093000.12345.01.1.1@pec.example",
            refersTo: "<abc@example.it>",
            errore: nil,
            erroreEsteso: nil,
            receiptType: receiptType,
            size: 4096,
            sha256: String(repeating: "ab", count: 32),
            signature: SignatureCheck(
                status: .valid,
                signerSubject: "CN=Posta Certificata Test,O=Test S.p.A.",
                signerIssuer: "CN=Test CA",
                signingTime: "2024-05-02T09:30:01Z",
                digestAlgorithm: "sha256"
            ),
            chain: [
                CertificateSummary(
                    subject: "CN=Posta Certificata Test,O=Test S.p.A.",
                    issuer: "CN=Test CA",
                    serial: "0A1B",
                    notBefore: "2023-01-01T00:00:00Z",
                    notAfter: "2026-01-01T00:00:00Z"
                )
            ]
        )
    }

    /// A message to two recipients, accepted and delivered to both: a complete proof.
    static func report(
        subject: String = "Notifica atto",
        deliveryType: String? = "completa",
        receiptFile: String = "03-ricevuta-consegna.eml"
    ) -> DossierReport {
        DossierReport(
            direction: .sent,
            tool: "pec 0.1.0",
            generatedAt: "2024-05-03T10:00:00Z",
            message: DossierReport.Message(
                messageID: "<abc@example.it>",
                identificativo: "opec210.20240502093000.12345.01.1.1@pec.example",
                from: "avvocato@pec.example.it",
                to: ["uno@pec.example.it", "due@pec.example.it"],
                cc: [],
                subject: subject,
                date: "Thu, 02 May 2024 11:29:58 +0200",
                receiptType: "completa",
                file: "01-messaggio-inviato.eml",
                size: 2048,
                sha256: String(repeating: "cd", count: 32),
                attachments: [
                    DossierReport.Attachment(
                        filename: "atto.pdf",
                        size: 1000,
                        sha256: String(repeating: "ef", count: 32)
                    )
                ]
            ),
            complete: true,
            recipients: [
                DossierReport.Recipient(address: "uno@pec.example.it", status: .delivered, proof: receiptFile),
                DossierReport.Recipient(
                    address: "due@pec.example.it",
                    status: .delivered,
                    proof: "04-ricevuta-consegna.eml"
                ),
            ],
            receipts: [
                receipt(file: "02-ricevuta-accettazione.eml", kind: .acceptance),
                receipt(file: receiptFile, kind: .delivery, recipient: "uno@pec.example.it", receiptType: deliveryType),
                receipt(
                    file: "04-ricevuta-consegna.eml",
                    kind: .delivery,
                    recipient: "due@pec.example.it",
                    receiptType: deliveryType
                ),
            ]
        )
    }

    @Test func aHostileSubjectIsEscaped() {
        let html = DossierHTML.render(Self.report(subject: Self.hostileSubject))
        #expect(!html.contains("<script"))
        #expect(!html.contains("alert(1)</script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"))
        // The Message-ID and the gestore's name carry < > & too.
        #expect(html.contains("&lt;abc@example.it&gt;"))
        #expect(!html.contains("<abc@example.it>"))
        #expect(html.contains("Gestore &lt;test&gt; &amp; C."))
    }

    @Test func escapeCoversTheFiveCharacters() {
        #expect(DossierHTML.escape("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&#39;f")
        #expect(DossierHTML.escape("perché è già") == "perché è già")
    }

    @Test func theDocumentIsSelfContained() {
        let html = DossierHTML.render(Self.report()).lowercased()
        for forbidden in ["<script", "<link", "<img", "<iframe", "<object", "http://", "https://", "url(", "src="] {
            #expect(!html.contains(forbidden), "\(forbidden)")
        }
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
        #expect(html.contains("@media print"))
        #expect(html.contains("<style>"))
        for href in html.components(separatedBy: "href=\"").dropFirst() {
            let target = String(href.prefix { $0 != "\"" })
            #expect(!target.contains(":") && !target.contains("/") && !target.hasPrefix("."), "\(target)")
        }
    }

    @Test func theSectionsAreThere() {
        let html = DossierHTML.render(Self.report())
        for label in [
            "Messaggio inviato / Message sent", "Destinatari / Recipients", "Ricevute / Receipts",
            "Firma / Signature", "Catena di certificati / Certificate chain", "consegnato / delivered",
            "ricevuta di accettazione", "ricevuta di avvenuta consegna", "atto.pdf", "SHA256SUMS",
            "pec evidence verify", "pec 0.1.0", "2024-05-03T10:00:00Z", "0A1B", String(repeating: "ef", count: 32),
        ] {
            #expect(html.contains(label), "\(label)")
        }
        #expect(html.contains("<a href=\"02-ricevuta-accettazione.eml\">02-ricevuta-accettazione.eml</a>"))
        #expect(html.contains("<a href=\"01-messaggio-inviato.eml\">"))
    }

    @Test func aCompleteProofSaysSo() {
        let html = DossierHTML.render(Self.report())
        #expect(html.contains("Prova completa"))
        #expect(html.contains("Complete proof"))
        #expect(!html.contains("Prova incompleta"))
    }

    @Test func anIncompleteProofNamesTheRecipientsWithoutAFinalReceipt() throws {
        var report = Self.report()
        report.complete = false
        // No proof at all, and a proof that is not final.
        report.recipients[1] = DossierReport.Recipient(address: "due<x>@pec.example.it", status: .accepted)
        report.recipients.append(
            DossierReport.Recipient(address: "tre@pec.example.it", status: .relayed, proof: "05-presa-in-carico.eml")
        )
        let html = DossierHTML.render(report)
        #expect(html.contains("Prova incompleta"))
        #expect(html.contains("Incomplete proof"))
        #expect(!html.contains("Prova completa"))
        let start = try #require(html.range(of: "<div class=\"verdict ko\">"))
        let end = try #require(html.range(of: "</div>", range: start.upperBound..<html.endIndex))
        let verdict = html[start.upperBound..<end.lowerBound]
        #expect(verdict.contains("due&lt;x&gt;@pec.example.it"))
        #expect(verdict.contains("tre@pec.example.it"))
        #expect(!verdict.contains("uno@pec.example.it"))
    }

    @Test func aBreveDeliveryReceiptIsWarnedAbout() {
        let html = DossierHTML.render(Self.report(deliveryType: "breve"))
        #expect(html.contains("L. 53/1994"))
        #expect(html.contains("non «completa»"))
        #expect(html.contains("not “completa”"))
        #expect(html.contains("breve"))
    }

    @Test func aCompletaDeliveryReceiptIsNotWarnedAbout() {
        let html = DossierHTML.render(Self.report(deliveryType: "completa"))
        #expect(!html.contains("L. 53/1994"))
        #expect(!html.contains("Avvisi / Warnings"))
    }

    @Test func theReportWarningsAreListed() {
        var report = Self.report()
        report.warnings = ["Ricevuta <b>non</b> firmata"]
        let html = DossierHTML.render(report)
        #expect(html.contains("Avvisi / Warnings"))
        #expect(html.contains("Ricevuta &lt;b&gt;non&lt;/b&gt; firmata"))
    }

    @Test(arguments: ["../x.eml", "javascript:alert(1)", ".hidden.eml", "dir/x.eml", "..\\x.eml", "%2e%2e"])
    func aHostileFileNameGetsNoLink(file: String) {
        let html = DossierHTML.render(Self.report(receiptFile: file))
        let escaped = DossierHTML.escape(file)
        #expect(!html.contains("href=\"\(escaped)\""))
        #expect(!html.contains("href=\"\(file)\""))
        #expect(!html.contains("href=\"javascript"))
        #expect(!html.contains("href=\".."))
        #expect(html.contains("<span class=\"file\">\(escaped)</span>"))
        // The other files still link.
        #expect(html.contains("<a href=\"04-ricevuta-consegna.eml\">"))
    }
}
