import Foundation
import Testing

@testable import PECWire

@Suite("XMLSafetyGate: the quick check before the declaration search")
struct XMLSafetyGatePrefilterTests {
    static let documents = [
        #"<?xml version="1.0"?><!DOCTYPE postacert SYSTEM "Certificazione.dtd"><postacert/>"#,
        "<!-- a comment --><a/>", "<a>no markup declarations</a>", "", "<!", "<!D", "<!-",
        "<!DOCTYPE x [<!ENTITY a \"b\">]><x/>", "<!ENTITY", "<!ATTLIST a b CDATA #IMPLIED>", "<!ELEMENT a ANY>",
        "<!NOTATION n SYSTEM \"n\">", "<!\u{0301}ENTITY", "<!entity lower>", "<<!!ENTITY", "<!DOCTYPE<!ENTITY",
    ]

    @Test func neverHidesADeclaration() {
        for document in Self.documents {
            let found = XMLSafetyGate.declarations.contains { document.contains($0) }
            if found { #expect(XMLSafetyGate.mayDeclare(document), "\(document)") }
        }
        #expect(!XMLSafetyGate.mayDeclare(Self.documents[0]))
        #expect(!XMLSafetyGate.mayDeclare("<a/>"))
    }

    @Test func declarationsAreStillRefused() {
        for document in ["<!DOCTYPE x [<!ENTITY a \"b\">]><x/>", "<x/><!ELEMENT a ANY>"] {
            #expect(throws: XMLSafetyGate.Refusal.self) { _ = try XMLSafetyGate.admit(Array(document.utf8)) }
        }
        #expect((try? XMLSafetyGate.admit(Array(Self.documents[0].utf8))) != nil)
    }
}
