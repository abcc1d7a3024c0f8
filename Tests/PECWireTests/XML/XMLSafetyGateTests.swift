import Foundation
import Testing

@testable import PECWire

@Suite("XMLSafetyGate")
struct XMLSafetyGateTests {
    /// The REM evidence files of the shared corpus (`rem/standalone-evidence`), when present.
    static var remEvidence: [URL] {
        guard let pec = MIMEFixtures.directory else { return [] }
        let directory = pec.deletingLastPathComponent().appendingPathComponent("rem/standalone-evidence")
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "xml" }.sorted { $0.path < $1.path }
    }

    @Test("every real REM evidence is admitted, its text unchanged after the declaration")
    func remEvidenceAdmitted() throws {
        let files = Self.remEvidence
        try #require(!files.isEmpty || !DaticertFixtures.corpusAvailable, "the corpus has no REM evidence")
        for file in files {
            let bytes = Array(try Data(contentsOf: file))
            let admitted = try XMLSafetyGate.admit(bytes)
            let declarationEnd = try #require(bytes.firstIndex(of: UInt8(ascii: ">")))
            let admittedEnd = try #require(admitted.firstIndex(of: UInt8(ascii: ">")))
            #expect(
                Array(admitted[(admittedEnd + 1)...]) == Array(bytes[(declarationEnd + 1)...]),
                "\(file.lastPathComponent)"
            )
        }
    }

    @Test("an entity declaration is refused after decoding, in UTF-8 and in ISO-8859-1")
    func entityAfterDecoding() throws {
        for encoding in ["UTF-8", "ISO-8859-1"] {
            let xml = #"<?xml version="1.0" encoding="\#(encoding)"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>"#
            #expect(throws: XMLSafetyGate.Refusal.declaration("<!ENTITY")) { try XMLSafetyGate.admit(Array(xml.utf8)) }
        }
    }

    @Test("a UTF-8 byte order mark is dropped; the result always declares UTF-8")
    func byteOrderMark() throws {
        let admitted = try XMLSafetyGate.admit([0xEF, 0xBB, 0xBF] + Array("<a>è</a>".utf8))
        #expect(String(decoding: admitted, as: UTF8.self) == #"<?xml version="1.0" encoding="UTF-8"?><a>è</a>"#)
    }

    @Test("ISO-8859-1 is transcoded to UTF-8 for the parser")
    func transcoded() throws {
        let declared = Array(#"<?xml version='1.0' encoding='iso-8859-1'?><a>"#.utf8)
        let admitted = try XMLSafetyGate.admit(declared + [0xE8] + Array("</a>".utf8))
        #expect(String(decoding: admitted, as: UTF8.self) == #"<?xml version="1.0" encoding="UTF-8"?><a>è</a>"#)
    }

    @Test(
        "a malformed XML declaration is refused rather than guessed at",
        arguments: [
            #"<?xml version="1.0" encoding="UTF-8" encoding="UTF-7"?><a/>"#,
            #"<?xml version="1.0" encoding=UTF-8?><a/>"#,
            #"<?xml version="1.0" encoding="UTF-8""#,
            #"<?xml encoding="UTF-8"?><a/>"#,
        ]
    )
    func malformedDeclaration(xml: String) {
        #expect(throws: XMLSafetyGate.Refusal.self) { try XMLSafetyGate.admit(Array(xml.utf8)) }
    }
}
