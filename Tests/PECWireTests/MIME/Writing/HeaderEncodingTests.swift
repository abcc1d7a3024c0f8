import Foundation
import Testing

@testable import PECWire

@Suite("outgoing header encoding")
struct HeaderEncodingTests {
    @Test(
        "Date in RFC 5322 form, UTC, English names",
        arguments: [
            (0.0, "Thu, 01 Jan 1970 00:00:00 +0000"),
            (1_763_715_963.0, "Fri, 21 Nov 2025 09:06:03 +0000"),
            (951_782_400.0, "Tue, 29 Feb 2000 00:00:00 +0000"),
            (1_767_225_599.9, "Wed, 31 Dec 2025 23:59:59 +0000"),
        ]
    )
    func date(seconds: Double, expected: String) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(HeaderEncoding.rfc5322Date(date) == expected)
        #expect(MailDate(parsing: expected)?.date == Date(timeIntervalSince1970: seconds.rounded(.down)))
    }

    @Test("the Message-ID minute is the UTC minute")
    func minute() {
        #expect(HeaderEncoding.utcMinute(Date(timeIntervalSince1970: 1_763_715_963)) == "202511210906")
    }

    @Test(
        "encoded words: ≤ 75 characters, whole UTF-8 sequences, decode to the text",
        arguments: [
            "Perché la pratica è già pagata",
            String(repeating: "è", count: 100),
            String(repeating: "👍🏽 ", count: 40),
            "x",
            "",
            String(repeating: "a", count: 200) + "€",
        ]
    )
    func encodedWords(text: String) {
        let words = HeaderEncoding.encodedWords(text, firstWordLength: 67, laterWordLength: 75)
        #expect(words.first.map { $0.count <= 67 } ?? false)
        for word in words {
            #expect(word.count <= 75)
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            // Each word alone is valid UTF-8: no sequence was split.
            let payload = String(word.dropFirst(10).dropLast(2))
            let bytes = Data(base64Encoded: payload).map { [UInt8]($0) }
            #expect(bytes.flatMap { String(validating: $0, as: UTF8.self) } != nil)
        }
        // As a reader sees them once the folded field is unfolded.
        let decoded = HeaderText.decode(Array(words.joined(separator: " ").utf8))
        #expect(decoded == HeaderText.collapseWhitespace(text))
    }

    @Test("structured fields fold between atoms at 78 columns")
    func structuredFolding() {
        let addresses = (1...12).map { "destinatario\($0)@pec.esempio.it" + ($0 < 12 ? "," : "") }
        let field = HeaderEncoding.structuredField("To", atoms: addresses)
        let lines = field.components(separatedBy: "\r\n").dropLast()
        #expect(lines.count > 1)
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix(" ") })
        #expect(HeaderFields(parsing: Array(field.utf8)).text("To") == addresses.joined(separator: " "))
    }

    @Test("plain subjects fold before existing whitespace and unfold to the same text")
    func unstructuredFolding() {
        let subject = (1...40).map { "parola\($0)" }.joined(separator: " ") + "  doppio\tspazio"
        let field = HeaderEncoding.unstructuredField("Subject", asciiValue: subject)
        let lines = field.components(separatedBy: "\r\n").dropLast()
        #expect(lines.count > 1)
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        let unfolded = field.replacingOccurrences(of: "\r\n", with: "")
        #expect(unfolded == "Subject: " + subject)
    }

    @Test(
        "RFC 2231 file names: one parameter or continuations, lines ≤ 78, parsed back",
        arguments: [
            "fattura è.pdf",
            "Relazione tecnica sull'immobile di via Garibaldi — perizia giurata, versione definitiva.pdf",
            String(repeating: "😀", count: 30) + ".txt",
            "a;b=\"c\"%.pdf",
        ]
    )
    func extendedParameter(name: String) {
        let atoms = HeaderEncoding.extendedParameter("filename", value: name)
        let field = HeaderEncoding.structuredField("Content-Disposition", atoms: ["attachment;"] + atoms)
        #expect(field.utf8.allSatisfy { $0 < 0x80 })
        #expect(field.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        let headers = HeaderFields(parsing: Array(field.utf8))
        #expect(MIMEContentDisposition(headers: headers)?.filename == name)
    }

    @Test(
        "content types by extension, case-insensitive",
        arguments: [
            ("fattura.PDF", "application/pdf"), ("doc.p7m", "application/pkcs7-mime"),
            ("firma.p7s", "application/pkcs7-signature"), ("a.XML", "application/xml"), ("n.txt", "text/plain"),
            ("t.csv", "text/csv"), ("p.html", "text/html"), ("f.JPeG", "image/jpeg"), ("f.jpg", "image/jpeg"),
            ("i.png", "image/png"), ("g.gif", "image/gif"), ("s.tif", "image/tiff"), ("s.tiff", "image/tiff"),
            ("z.zip", "application/zip"), ("w.doc", "application/msword"),
            ("w.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            ("x.xls", "application/vnd.ms-excel"),
            ("x.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("o.odt", "application/vnd.oasis.opendocument.text"),
            ("o.ods", "application/vnd.oasis.opendocument.spreadsheet"), ("r.rtf", "application/rtf"),
            ("m.eml", "application/octet-stream"), ("j.json", "application/json"),
            ("noextension", "application/octet-stream"), (".pdf", "application/octet-stream"),
            ("archivio.tar.gz", "application/octet-stream"), ("trailingdot.", "application/octet-stream"),
        ]
    )
    func contentTypes(filename: String, expected: String) {
        #expect(AttachmentContentType.forFilename(filename) == expected)
    }
}
