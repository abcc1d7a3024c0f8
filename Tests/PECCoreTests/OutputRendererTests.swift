import Foundation
import Testing

@testable import PECCore

@Suite("OutputRenderer")
struct OutputRendererTests {
    struct Message: Encodable {
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

    @Test("text: key: value lines, records separated by a blank line, multi-line values indented")
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
                  riga 1
                  riga 2
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
        struct Row: Encodable { var body: String }
        let row = Row(body: "ok\u{1B}[8mhidden\u{202E}txt.exe\nnext\tline")
        let text = try OutputRenderer(format: .text).render(record: row)
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x202E })
        #expect(text.contains("\u{241B}[8mhidden"))
        #expect(text.contains("next\tline"))
        let json = try OutputRenderer(format: .json).render(record: row)
        #expect(json.contains("\\u001b"))
    }
}
