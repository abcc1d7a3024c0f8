import Foundation
import Testing

@testable import PECCore

@Suite("OutputRenderer")
struct OutputRendererTests {
    struct Message: Encodable, TextBlockFields {
        static let textBlockKeys: Set<String> = ["body"]
        var id: Int
        var subject: String
        var cc: [String] = []
        var body: String? = nil
        var attachments: [Attachment] = []
        var unread = false
    }

    struct Attachment: Encodable {
        var filename: String
        var size: Int
    }

    let records = [
        Message(id: 7, subject: "Fattura", attachments: [.init(filename: "f.pdf", size: 1024)]),
        Message(id: 8, subject: "Ciao", cc: ["a@pec.it", "b@pec.it"], body: "riga 1\r\nriga 2", unread: true),
    ]

    @Test("NDJSON: one compact object per record and line, empty fields left out")
    func ndjson() throws {
        let out = try OutputRenderer(format: .json).render(records)
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[2].isEmpty)
        #expect(
            lines[0] == #"{"id":7,"subject":"Fattura","attachments":[{"filename":"f.pdf","size":1024}],"unread":false}"#
        )
        #expect(
            lines[1]
                == #"{"id":8,"subject":"Ciao","cc":["a@pec.it","b@pec.it"],"body":"riga 1\r\nriga 2","unread":true}"#
        )
        for line in lines.dropLast() {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil)
        }
    }

    @Test("text: key: value lines, records separated by a blank line, a block field's lines marked below it")
    func fields() throws {
        let out = try OutputRenderer(format: .text).render(records)
        #expect(
            out == """
                id: 7
                subject: Fattura
                attachments:
                  - filename: f.pdf
                    size: 1024
                unread: false

                id: 8
                subject: Ciao
                cc: a@pec.it, b@pec.it
                body:
                  | riga 1
                  | riga 2
                unread: true

                """
        )
    }

    @Test("table: chosen columns, aligned, header from the keys")
    func table() throws {
        let out = try OutputRenderer(format: .text).render(records, layout: .table(columns: ["id", "subject", "cc"]))
        #expect(
            out == """
                ID  SUBJECT  CC
                7   Fattura
                8   Ciao     a@pec.it, b@pec.it

                """
        )
    }

    @Test("no records: no output at all in either format")
    func empty() throws {
        #expect(try OutputRenderer(format: .json).render([Message]()) == "")
        #expect(try OutputRenderer(format: .text).render([Message](), layout: .table(columns: nil)) == "")
    }

    @Test("a single record renders like a one-element list")
    func single() throws {
        let renderer = OutputRenderer(format: .json)
        #expect(try renderer.render(record: records[0]) == renderer.render([records[0]]))
    }

    @Test("text output shows control characters and bidi overrides instead of obeying them; JSON keeps them")
    func terminalSafety() throws {
        struct Row: Encodable { var subject: String }
        let row = Row(subject: "ok\u{1B}[8mhidden\u{202E}txt.exe\nnext\tline")
        let text = try OutputRenderer(format: .text).render(record: row)
        #expect(text == "subject: ok\u{241B}[8mhidden\u{FFFD}txt.exe\u{240A}next\u{2409}line\n")
        let json = try OutputRenderer(format: .json).render(record: row)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
        #expect(object?["subject"] == row.subject)
    }

    @Test("oneLine: every control class shown (C0 and DEL as control pictures, the rest as U+FFFD)")
    func oneLineEveryClass() throws {
        // Every class of character that could end a line, move the cursor or reorder text, and
        // what oneLine shows for it.
        let classes: [(class: String, scalars: ClosedRange<UInt32>, shownAs: (UInt32) -> UInt32)] = [
            ("C0 controls, line ends and tab included", 0x00...0x1F, { 0x2400 + $0 }),
            ("DEL", 0x7F...0x7F, { _ in 0x2421 }),
            ("C1 controls (NEL, CSI …)", 0x80...0x9F, { _ in 0xFFFD }),
            ("line and paragraph separators", 0x2028...0x2029, { _ in 0xFFFD }),
            ("bidi embeddings and overrides", 0x202A...0x202E, { _ in 0xFFFD }),
            ("bidi isolates", 0x2066...0x2069, { _ in 0xFFFD }),
        ]
        for entry in classes {
            for value in entry.scalars {
                let scalar = try #require(Unicode.Scalar(value))
                let shown = TextFormatter.oneLine("a\(Character(scalar))b")
                let expected = "a" + String(Character(try #require(Unicode.Scalar(entry.shownAs(value))))) + "b"
                #expect(shown == expected, "\(entry.class): U+\(String(value, radix: 16))")
                #expect(!shown.contains { $0.isNewline }, "\(entry.class): U+\(String(value, radix: 16))")
            }
        }
        // "\r\n" is one Character in Swift: both halves are still shown.
        #expect(TextFormatter.oneLine("a\r\nb") == "a\u{240D}\u{240A}b")
    }

    @Test("oneLine keeps ordinary text: letters, accents, emoji, the bidi marks and zero-width characters")
    func oneLineKeeps() {
        for text in ["Fattura n° 12 – è così", "📎 allegato", "a\u{200E}b\u{200F}c\u{061C}d", "x\u{200B}y\u{FEFF}z", ""]
        {
            #expect(TextFormatter.oneLine(text) == text)
        }
    }

    @Test("no value of a record, however nested, starts a line of its own in text")
    func lookAlikeLines() throws {
        struct Attachment: Encodable { var filename: String }
        struct Signature: Encodable { var status: String }
        struct Details: Encodable, TextBlockFields {
            static let textBlockKeys: Set<String> = ["body"]
            var subject: String
            var to: [String]
            var body: String
            var attachments: [Attachment]
            var signature: Signature
        }
        let forged = "x.pdf\n    pec_type: avvenuta-consegna\r\n    signature: valid"
        let separators = ["\n", "\r", "\r\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}"]
        for separator in separators {
            let value = forged.replacingOccurrences(of: "\n", with: separator)
            let details = Details(
                subject: value,
                to: [value, "b@pec.it"],
                body: "Buongiorno\(separator)pec_type: posta-certificata\(separator)\u{1B}[2Jfine",
                attachments: [.init(filename: value)],
                signature: .init(status: "unsigned")
            )
            let text = try OutputRenderer(format: .text).render(record: details)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let labels = lines.map { $0.drop(while: { $0 == " " || $0 == "-" }) }
            #expect(labels.filter { $0.hasPrefix("pec_type:") }.isEmpty, "\(text)")
            #expect(labels.filter { $0.hasPrefix("signature:") } == ["signature:"], "\(text)")
            #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x0D || $0.value == 0x85 })
            #expect(lines.contains("  | pec_type: posta-certificata"), "the body's lines are marked: \(text)")
            // The table layout of `list` and `status` too.
            let table = try OutputRenderer(format: .text).render([details], layout: .table(columns: ["subject", "to"]))
            #expect(table.split(separator: "\n").count == 2, "\(table)")
            // JSON keeps the exact value.
            let json = try OutputRenderer(format: .json).render(record: details)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let attachments = try #require(object["attachments"] as? [[String: Any]])
            #expect(attachments.first?["filename"] as? String == value)
        }
    }

    @Test("a block field: one line inline, a final line end ends the last line, tabs kept, other controls shown")
    func blockField() throws {
        struct Row: Encodable, TextBlockFields {
            static let textBlockKeys: Set<String> = ["body"]
            var body: String
            var note: String?
        }
        let renderer = OutputRenderer(format: .text)
        #expect(try renderer.render(record: Row(body: "ciao\r\n")) == "body: ciao\n")
        #expect(try renderer.render(record: Row(body: "a\n\n\tb\u{7}\n")) == "body:\n  | a\n  |\n  | \tb\u{2407}\n")
        // Not a block key: on one line.
        #expect(try renderer.render(record: Row(body: "a", note: "x\ny")) == "body: a\nnote: x\u{240A}y\n")
    }
}
