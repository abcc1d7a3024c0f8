import Foundation
import PECTestSupport
import Testing

@testable import PECWire

@Suite("XMLReader")
struct XMLReaderTests {
    typealias Event = XMLReader.Event
    typealias Name = XMLReader.Name
    typealias Kind = XMLReader.Error.Kind

    static func events(_ xml: String, namespaces: Bool = true) throws -> [Event] {
        try XMLReader.events(Array(xml.utf8), namespaces: namespaces)
    }

    /// The error the reader stops with, or nil when it reads the document.
    static func failure(_ bytes: [UInt8], maximumDepth: Int = XMLReader.defaultMaximumDepth) -> XMLReader.Error? {
        do {
            _ = try XMLReader.events(bytes, maximumDepth: maximumDepth)
            return nil
        } catch {
            return error
        }
    }

    static func failure(_ xml: String) -> XMLReader.Error? { failure(Array(xml.utf8)) }

    /// Only the text events, joined.
    static func text(_ xml: String) throws -> String {
        try events(xml).compactMap { event -> String? in
            if case .text(let text) = event { return text }
            return nil
        }
        .joined()
    }

    /// The attributes of the first start tag, by qualified name.
    static func attributes(_ xml: String) throws -> [String: String] {
        guard case .start(_, let attributes)? = try events(xml).first else { return [:] }
        return Dictionary(attributes.map { ($0.name.qualified, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    @Test("a small document: declaration, attributes in both quotes, text, an empty-element tag")
    func basics() throws {
        let events = try Self.events(#"<?xml version="1.0" encoding="UTF-8"?><a x="1" y='2'>hi<b/></a>"#)
        #expect(
            events == [
                .start(
                    Name(qualified: "a"),
                    [
                        .init(name: Name(qualified: "x"), value: "1"),
                        .init(name: Name(qualified: "y"), value: "2"),
                    ]
                ),
                .text("hi"),
                .start(Name(qualified: "b"), []),
                .end(Name(qualified: "b")),
                .end(Name(qualified: "a")),
            ]
        )
    }

    @Test("whitespace around attributes and before the end of tags is allowed; text is never empty")
    func whitespace() throws {
        let events = try Self.events("\n <a \t x = \"1\"\n y='2' >\n <b\n/></a\n>\n")
        #expect(events.count == 5)
        #expect(events[1] == .text("\n "))
        #expect(try Self.attributes("<a \t x = \"1\"\n y='2' ></a>") == ["x": "1", "y": "2"])
        #expect(try Self.events("<a></a>") == [.start(Name(qualified: "a"), []), .end(Name(qualified: "a"))])
    }

    @Test("the five predefined entities and decimal and hex character references, in text and attributes")
    func references() throws {
        #expect(try Self.text("<a>&lt;&gt;&amp;&apos;&quot; &#232;&#xE8;&#x1F600;&#x2603;&#60;</a>") == "<>&'\" èè😀☃<")
        #expect(try Self.attributes(#"<a v="&lt;x&gt; &amp; &quot;&apos; &#65;&#x42;"/>"#) == ["v": "<x> & \"' AB"])
        // A reference to `<` is data, not markup.
        #expect(try Self.attributes(#"<a v="&#60;b&#62;"/>"#) == ["v": "<b>"])
    }

    @Test(
        "a reference to anything else is an error at the ampersand",
        arguments: [
            ("<a>x&nbsp;y</a>", Kind.undefinedEntity),
            ("<a v='&copy;'/>", .undefinedEntity),
            ("<a>x&amp y</a>", .malformedReference),
            ("<a>x & y</a>", .malformedReference),
            ("<a>x&#;</a>", .malformedReference),
            ("<a>x&#x;</a>", .malformedReference),
            ("<a>x&#12a;</a>", .malformedReference),
            ("<a>x&#XE8;</a>", .malformedReference),
            ("<a>x&</a>", .malformedReference),
            ("<a>x&#0;</a>", .invalidCharacterReference),
            ("<a>x&#1;</a>", .invalidCharacterReference),
            ("<a>x&#xD800;</a>", .invalidCharacterReference),
            ("<a>x&#xFFFE;</a>", .invalidCharacterReference),
            ("<a>x&#x110000;</a>", .invalidCharacterReference),
            ("<a>x&#99999999999999999999999999999999999999;</a>", .invalidCharacterReference),
            ("<a>x&#xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF;</a>", .invalidCharacterReference),
        ]
    )
    func badReferences(xml: String, kind: Kind) throws {
        let error = try #require(Self.failure(xml), "\(xml) was read")
        #expect(error.kind == kind, "\(xml)")
        #expect(error.line == 1)
        #expect(error.column == (xml.firstIndex(of: "&").map { xml.distance(from: xml.startIndex, to: $0) } ?? 0) + 1)
    }

    @Test("CDATA is read verbatim and joined with the text around it; comments and PIs in between are dropped")
    func cdata() throws {
        #expect(try Self.text("<a>x<![CDATA[<b>&amp;]]]]><!-- c --><?pi data?>y</a>") == "x<b>&amp;]]y")
        #expect(try Self.text("<a><![CDATA[]]></a>").isEmpty)
        #expect(try Self.events("<a><![CDATA[]]></a>").count == 2)
        #expect(Self.failure("<a><![CDATA[x]]</a>")?.kind == .unterminatedCDATA)
        #expect(Self.failure("<![CDATA[x]]><a/>")?.kind == .contentOutsideRoot)
        #expect(Self.failure("<a>x]]>y</a>")?.kind == .cdataEndInText)
        #expect(try Self.text("<a>x]]y]>z</a>") == "x]]y]>z")
    }

    @Test("line ends are LF in text and CDATA; whitespace characters in attribute values are spaces")
    func lineEnds() throws {
        #expect(try Self.text("<a>1\r\n2\r3\n4<![CDATA[5\r\n6\r]]></a>") == "1\n2\n3\n45\n6\n")
        #expect(try Self.attributes("<a v='1\r\n2\r3\n4\t5&#10;6&#9;7'/>") == ["v": "1 2 3 4 5\n6\t7"])
    }

    @Test("comments and processing instructions are skipped anywhere; '--' inside a comment is an error")
    func commentsAndProcessingInstructions() throws {
        let events = try Self.events("<!-- a --><?style x?>\n<a><!----><!-- - --><?pi?></a><!-- z --><?end?>\n")
        #expect(events == [.start(Name(qualified: "a"), []), .end(Name(qualified: "a"))])
        #expect(Self.failure("<a><!-- a -- b --></a>")?.kind == .malformedComment)
        #expect(Self.failure("<a><!-- a ---></a>")?.kind == .malformedComment)
        #expect(Self.failure("<a><!-- a </a>")?.kind == .unterminatedComment)
        #expect(Self.failure("<a><!--></a>")?.kind == .unterminatedComment)
        #expect(Self.failure("<a><?pi x</a>")?.kind == .unterminatedProcessingInstruction)
        #expect(Self.failure("<a><? x?></a>")?.kind == .malformedProcessingInstruction)
        #expect(Self.failure("<a><?pi-x?></a>") == nil)
        #expect(Self.failure("<a><?pi\"x\"?></a>")?.kind == .malformedProcessingInstruction)
    }

    @Test("the XML declaration is read only at the very start, with version first")
    func declaration() throws {
        #expect(Self.failure(#"<?xml version='1.0' standalone='yes'?><a/>"#) == nil)
        #expect(Self.failure(#"<?xml version="1.0" encoding="us-ascii" standalone="no" ?><a/>"#) == nil)
        #expect(Self.failure([0xEF, 0xBB, 0xBF] + Array(#"<?xml version="1.0"?><a/>"#.utf8)) == nil)
        #expect(Self.failure(#" <?xml version="1.0"?><a/>"#)?.kind == .misplacedXMLDeclaration)
        #expect(Self.failure(#"<a><?xml version="1.0"?></a>"#)?.kind == .misplacedXMLDeclaration)
        #expect(Self.failure(#"<a><?XML version="1.0"?></a>"#)?.kind == .misplacedXMLDeclaration)
        #expect(Self.failure(#"<?xml version="1.0" encoding="UTF-16"?><a/>"#)?.kind == .unsupportedEncoding)
        for malformed in [
            #"<?xml encoding="UTF-8"?><a/>"#,
            #"<?xml version="2.0"?><a/>"#,
            #"<?xml version="1.0" version="1.0"?><a/>"#,
            #"<?xml version=1.0?><a/>"#,
            #"<?xml version="1.0"encoding="UTF-8"?><a/>"#,
            #"<?xml standalone="yes" version="1.0"?><a/>"#,
            #"<?xml version="1.0" standalone="maybe"?><a/>"#,
            #"<?xml version="1.0" other="x"?><a/>"#,
        ] {
            #expect(Self.failure(malformed)?.kind == .malformedXMLDeclaration, "\(malformed)")
        }
        #expect(Self.failure(#"<?xml version="1.0""#)?.kind == .unterminatedProcessingInstruction)
    }

    @Test("a DOCTYPE naming an external DTD is skipped; an internal subset must be empty")
    func doctype() throws {
        for doctype in [
            #"<!DOCTYPE a SYSTEM "Postacert.dtd">"#,
            #"<!DOCTYPE a PUBLIC "-//X//DTD Y//EN" 'y.dtd'>"#,
            "<!DOCTYPE a>",
            "<!DOCTYPE a [ ]>",
            #"<!DOCTYPE a SYSTEM "x.dtd" [] >"#,
        ] {
            #expect(Self.failure(#"<?xml version="1.0"?>\#n\#(doctype)<a/>"#) == nil, "\(doctype)")
        }
        #expect(Self.failure("<!DOCTYPE a [<!-- x -->]><a/>")?.kind == .internalSubset)
        #expect(Self.failure("<!DOCTYPE a [%p;]><a/>")?.kind == .internalSubset)
        #expect(Self.failure("<!DOCTYPE a><!DOCTYPE a><a/>")?.kind == .misplacedDoctype)
        #expect(Self.failure("<a/><!DOCTYPE a>")?.kind == .misplacedDoctype)
        #expect(Self.failure("<!DOCTYPE a SYSTEM><a/>")?.kind == .malformedDoctype)
        #expect(Self.failure("<!DOCTYPE a junk><a/>")?.kind == .malformedDoctype)
        #expect(Self.failure("<!DOCTYPE a SYSTEM \"x.dtd")?.kind == .unterminatedTag)
        #expect(Self.failure("<!DOCTYPEa><a/>")?.kind == .malformedDoctype)
        #expect(Self.failure("<!ELEMENT a ANY><a/>")?.kind == .malformedMarkup)
    }

    @Test("namespaces: prefixes and the default namespace resolve to their URIs, scoped to their element")
    func namespaces() throws {
        let xml = """
            <r xmlns="urn:default" xmlns:p="urn:p" a="1" p:b="2" xml:lang="it">\
            <p:c><d xmlns="" p:e="3"/><p:f xmlns:p="urn:inner"/></p:c><g/></r>
            """
        let starts = try Self.events(xml).compactMap { event -> (Name, [XMLReader.Attribute])? in
            if case .start(let name, let attributes) = event { return (name, attributes) }
            return nil
        }
        #expect(starts.map(\.0.local) == ["r", "c", "d", "f", "g"])
        #expect(starts.map(\.0.namespace) == ["urn:default", "urn:p", nil, "urn:inner", "urn:default"])
        #expect(starts.map(\.0.prefix) == [nil, "p", nil, "p", nil])
        #expect(starts[1].0.qualified == "p:c")
        // Declarations are not attributes; unprefixed attributes are in no namespace.
        let root = starts[0].1
        #expect(root.map(\.name.qualified) == ["a", "p:b", "xml:lang"])
        #expect(root.map(\.name.namespace) == [nil, "urn:p", XMLReader.xmlNamespace])
        #expect(root.map(\.name.local) == ["a", "b", "lang"])
        #expect(starts[2].1.map(\.name.namespace) == ["urn:p"])
        // An end tag gives the name its start tag resolved.
        #expect(
            try Self.events("<p:a xmlns:p='u'/>").last
                == .end(Name(qualified: "p:a", prefix: "p", local: "a", namespace: "u"))
        )
    }

    @Test(
        "namespace errors: unbound prefixes, invalid declarations, names with two colons, duplicates once resolved",
        arguments: [
            ("<p:a/>", Kind.unboundPrefix),
            ("<a p:x='1'/>", .unboundPrefix),
            ("<a><p:b xmlns:p='u'/><p:c/></a>", .unboundPrefix),
            ("<xmlns:a/>", .unboundPrefix),
            ("<a xmlns:p=''/>", .invalidNamespaceDeclaration),
            ("<a xmlns:xmlns='u'/>", .invalidNamespaceDeclaration),
            ("<a xmlns:xml='urn:other'/>", .invalidNamespaceDeclaration),
            ("<a xmlns:p='http://www.w3.org/XML/1998/namespace'/>", .invalidNamespaceDeclaration),
            ("<a xmlns='http://www.w3.org/2000/xmlns/'/>", .invalidNamespaceDeclaration),
            ("<a:b:c xmlns:a='u'/>", .invalidName),
            ("<:a/>", .invalidName),
            ("<a: xmlns:a='u'/>", .invalidName),
            ("<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>", .duplicateAttribute),
        ]
    )
    func namespaceErrors(xml: String, kind: Kind) {
        #expect(Self.failure(xml)?.kind == kind, "\(xml)")
    }

    @Test("without namespaces, names are opaque and declarations are plain attributes")
    func withoutNamespaces() throws {
        let events = try Self.events("<p:a xmlns:p='u' q:x='1'><b:c:d/></p:a>", namespaces: false)
        guard case .start(let name, let attributes)? = events.first else {
            Issue.record("no start")
            return
        }
        #expect(name == Name(qualified: "p:a"))
        #expect(attributes.map(\.name.qualified) == ["xmlns:p", "q:x"])
        #expect(events[1] == .start(Name(qualified: "b:c:d"), []))
    }

    @Test(
        "each well-formedness error, with its line and column",
        arguments: [
            ("", Kind.noRootElement, 1, 1),
            ("  \n <!-- only a comment -->", .noRootElement, 2, 25),
            ("daticert", .contentOutsideRoot, 1, 1),
            ("<a/>\nx", .contentOutsideRoot, 2, 1),
            ("&amp;<a/>", .contentOutsideRoot, 1, 1),
            ("<a/><b/>", .multipleRootElements, 1, 5),
            ("<a></a>\n<a></a>", .multipleRootElements, 2, 1),
            ("<a><b></a>", .mismatchedEndTag, 1, 7),
            ("<a>\n  <b>\n  </c>\n</a>", .mismatchedEndTag, 3, 3),
            ("</a>", .unexpectedEndTag, 1, 1),
            ("<a>x", .unclosedElement, 1, 5),
            ("<a><b/>\n", .unclosedElement, 2, 1),
            ("<a", .unterminatedTag, 1, 1),
            ("<a x='1'", .unterminatedTag, 1, 1),
            ("<a x", .unterminatedTag, 1, 1),
            ("<a/", .unterminatedTag, 1, 3),
            ("<a></a", .unterminatedTag, 1, 4),
            ("<", .unterminatedTag, 1, 1),
            ("<a x='1>", .unterminatedAttributeValue, 1, 6),
            ("<a x=1/>", .unquotedAttributeValue, 1, 6),
            ("<a x></a>", .malformedTag, 1, 5),
            ("<a x='1'y='2'/>", .malformedTag, 1, 9),
            ("<a /x>", .malformedTag, 1, 4),
            ("<a></a x>", .malformedTag, 1, 8),
            ("<a x='<'/>", .lessThanInAttributeValue, 1, 7),
            ("<a x='1' x=\"2\"/>", .duplicateAttribute, 1, 10),
            ("<1a/>", .invalidName, 1, 2),
            ("< a/>", .invalidName, 1, 2),
            ("<a><-/></a>", .invalidName, 1, 5),
            ("<a></ a>", .invalidName, 1, 6),
            ("<a><!x></a>", .malformedMarkup, 1, 4),
            ("<é>\n\t<ü x='1' x='2'/></é>", .duplicateAttribute, 2, 11),
        ] as [(String, Kind, Int, Int)]
    )
    func wellFormedness(xml: String, kind: Kind, line: Int, column: Int) throws {
        let error = try #require(Self.failure(xml), "\(xml.debugDescription) was read")
        #expect(error == XMLReader.Error(kind, line: line, column: column), "\(xml.debugDescription)")
        #expect(error.description == "line \(line), column \(column): \(kind.reason)")
    }

    @Test("bytes that are not UTF-8 XML characters are refused where they are")
    func invalidCharacters() throws {
        let cases: [(before: String, bytes: [UInt8], column: Int)] = [
            ("x", [0x01], 5),
            ("è", [0xFF], 5),
            ("", [0xC3], 4),
            ("", [0xED, 0xA0, 0x80], 4),  // a surrogate
            ("", [0xC0, 0xBC], 4),  // an overlong '<'
            ("", [0xEF, 0xBF, 0xBE], 4),  // U+FFFE
            ("", [0x00], 4),
        ]
        for (before, bytes, column) in cases {
            let document = Array("<a>\(before)".utf8) + bytes + Array("</a>".utf8)
            #expect(Self.failure(document) == XMLReader.Error(.invalidCharacter, line: 1, column: column), "\(bytes)")
        }
        // A sequence cut by the end of the document.
        #expect(
            Self.failure(Array("<a>".utf8) + [0xF0, 0x9F, 0x98])
                == XMLReader.Error(.invalidCharacter, line: 1, column: 4)
        )
        #expect(try Self.text("<a>\u{10FFFF}\u{FFFD}\u{E000}\t</a>") == "\u{10FFFF}\u{FFFD}\u{E000}\t")
    }

    @Test("non-ASCII names are read; columns count characters, not bytes")
    func unicodeNames() throws {
        #expect(
            try Self.events("<città·1 è='ü'/>").first
                == .start(Name(qualified: "città·1"), [.init(name: Name(qualified: "è"), value: "ü")])
        )
        #expect(Self.failure("<a>😀😀</b>")?.column == 6)
    }

    @Test("nesting is limited: the default 256 levels are read, one more is an error")
    func depthLimit() throws {
        func nested(_ depth: Int) -> [UInt8] {
            Array((String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth)).utf8)
        }
        #expect(XMLReader.defaultMaximumDepth == 256)
        #expect(Self.failure(nested(256)) == nil)
        #expect(Self.failure(nested(257)) == XMLReader.Error(.tooDeep, line: 1, column: 256 * 3 + 1))
        #expect(Self.failure(nested(3), maximumDepth: 2)?.kind == .tooDeep)
        // Far deeper than any stack would allow, were the reader recursive: refused, not crashed.
        #expect(Self.failure(nested(200_000))?.kind == .tooDeep)
    }

    @Test("after an error the reader keeps giving it; after the end, nil")
    func stickyEnd() throws {
        var broken = XMLReader(Array("<a></b>".utf8))
        #expect(try broken.next() == .start(Name(qualified: "a"), []))
        let first = #expect(throws: XMLReader.Error.self) { try broken.next() }
        let second = #expect(throws: XMLReader.Error.self) { try broken.next() }
        #expect(first == second)
        var reader = XMLReader(Array("<a/>".utf8))
        while try reader.next() != nil {}
        #expect(try reader.next() == nil)
    }

    @Test("error codes are stable and name their reason in the parsers' messages")
    func codes() {
        #expect(Kind.allCases.map(\.rawValue) == Array(1...Kind.allCases.count))
        #expect(Kind.mismatchedEndTag.rawValue == 12)
        #expect(
            DaticertError.malformedXML(line: 2, column: 3, code: Kind.mismatchedEndTag.rawValue).description
                == "daticert.xml is not well-formed XML (line 2, column 3: an end tag that does not match the open element)"
        )
        #expect(REMEvidenceError.malformedXML(line: 1, column: 1, code: 0).description.hasSuffix("XML error 0)"))
    }

    @Test("the parsers report the reader's position and kind")
    func parserPositions() {
        // The safety gate's declaration replaces the one written, on the same line.
        let xml = "<?xml version=\"1.0\"?>\n<postacert tipo=\"a\">\n<intestazione></dati></postacert>"
        #expect(throws: DaticertError.malformedXML(line: 3, column: 15, code: Kind.mismatchedEndTag.rawValue)) {
            try DaticertParser.parse(Array(xml.utf8))
        }
        #expect(throws: REMEvidenceError.malformedXML(line: 1, column: 40, code: Kind.unboundPrefix.rawValue)) {
            try REMEvidenceParser.parse(Array("<tns:Evidence/>".utf8))
        }
    }

    @Test("a large document is read in linear time (a quadratic step would take minutes)")
    func linear() throws {
        // About 1 MiB: deep long names, many siblings at the bottom, many attributes, long text.
        let name = String(repeating: "n", count: 1000)
        var xml = "<postacert tipo='x'>" + String(repeating: "<\(name)>", count: 200)
        xml += String(repeating: "<a b='1' c='2'/>", count: 20_000)
        xml += String(repeating: "&amp;x", count: 20_000)
        xml += String(repeating: "</\(name)>", count: 200) + "</postacert>"
        let bytes = Array(xml.utf8)
        let start = Date()
        #expect(Self.failure(bytes) == nil)
        #expect(throws: DaticertError.missing("postacert/intestazione/mittente")) { try DaticertParser.parse(bytes) }
        #expect(Date().timeIntervalSince(start) < 20)
    }

    /// The daticert of a real message when the shared corpus is here, a synthetic one otherwise.
    static func realDaticert() throws -> [UInt8] {
        if DaticertFixtures.corpusAvailable {
            return try DaticertFixtures.bytes("OCA_l10n-italy_CONSEGNA_IT03339130126_00009")
        }
        return try DaticertFixtures.bytes("synthetic_accettazione-destinatari-misti")
    }

    /// A random edit of `bytes`: a byte changed or inserted (often markup), a range deleted or
    /// repeated, or the end cut.
    static func mutate(_ bytes: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        let markup = Array("<>&;#x\"'/=![]-?:".utf8) + [0x00, 0x0D, 0x80, 0xC3, 0xFF]
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            guard !bytes.isEmpty else { return bytes }
            let index = Int.random(in: 0..<bytes.count, using: &random)
            let length = min(Int.random(in: 1...16, using: &random), bytes.count - index)
            switch Int.random(in: 0..<6, using: &random) {
            case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
            case 1: bytes[index] = markup.randomElement(using: &random) ?? 0
            case 2: bytes.insert(markup.randomElement(using: &random) ?? 0, at: index)
            case 3: bytes.removeSubrange(index..<(index + length))
            case 4: bytes.insert(contentsOf: bytes[index..<(index + length)], at: index)
            default: bytes.removeSubrange(index...)
            }
        }
        return bytes
    }

    @Test("seeded random mutations of a real daticert: no crash, a result or a typed error, balanced events")
    func mutations() throws {
        let original = try Self.realDaticert()
        #expect(try DaticertParser.parse(original).identificativo.isEmpty == false)
        var random = SplitMix64(seed: 0x0DA7_1CE7)
        var read = 0
        for _ in 0..<3000 {
            let bytes = Self.mutate(original, using: &random)
            do {
                let events = try XMLReader.events(bytes)
                var depth = 0
                for event in events {
                    switch event {
                    case .start: depth += 1
                    case .end: depth -= 1
                    case .text(let text): #expect(!text.isEmpty && depth > 0)
                    }
                    #expect(depth >= 0)
                }
                #expect(depth == 0)
                read += 1
            } catch {
                #expect(error.line >= 1 && error.column >= 1)
            }
            do {
                _ = try DaticertParser.parse(bytes)
            } catch {
                #expect(error is DaticertError, "\(error)")
            }
        }
        // Both outcomes were exercised.
        #expect(read > 0 && read < 3000)
    }
}
