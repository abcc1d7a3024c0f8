import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Reads a `daticert.xml` (pec-standard.md §6) with Foundation's `XMLParser`, leniently: no DTD
/// validation, no namespaces, unknown elements and stray text ignored, values trimmed.
///
/// Safe on hostile input: the size is capped, and ``XMLSafetyGate`` decodes the document (UTF-8,
/// ISO-8859-1 or US-ASCII only) and refuses any DTD declaration, entities included, before libxml2
/// reads it; a DOCTYPE naming an external DTD (`SYSTEM "Postacert.dtd"`) is never fetched.
package enum DaticertParser {
    /// Real daticert files are under 2 KB; anything above this is refused unread.
    package static let maximumSize = 1 << 20

    package static func parse(_ bytes: [UInt8]) throws -> Daticert {
        guard bytes.count <= maximumSize else {
            throw DaticertError.tooLarge(size: bytes.count, limit: maximumSize)
        }
        let input: [UInt8]
        do {
            input = try XMLSafetyGate.admit(bytes)
        } catch {
            throw DaticertError(error)
        }

        let parser = XMLParser(data: Data(input))
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = false
        parser.shouldReportNamespacePrefixes = false
        let collector = Collector()
        parser.delegate = collector
        let succeeded = parser.parse()
        // XMLParser (libxml2 in recovery mode on Linux) may return true after reporting an error,
        // e.g. for a truncated document: trust only a clean run that closed the root element.
        if let error = collector.error ?? parser.parserError {
            throw DaticertError.malformedXML(
                line: parser.lineNumber,
                column: parser.columnNumber,
                code: (error as NSError).code
            )
        }
        guard succeeded, collector.rootClosed else {
            throw DaticertError.malformedXML(line: parser.lineNumber, column: parser.columnNumber, code: 0)
        }
        return try collector.result()
    }
}

/// The SAX delegate: remembers the first value of each element at its schema path.
private final class Collector: NSObject, XMLParserDelegate {
    var error: (any Error)?
    var rootClosed = false

    private var stack: [String] = []
    private var root: String?
    private var tipo: String?
    private var errore: String?
    private var capture: (path: String, depth: Int, attribute: String?)?
    private var buffer = ""
    private var values: [String: String] = [:]
    private var destinatari: [Daticert.Destinatario] = []
    private var ricezione: [String] = []
    private var zona: String?
    private var ricevutaTipo: String?

    /// Leaf elements whose text is read, by their parent path.
    private static let leaves: [String: Set<String>] = [
        "postacert/intestazione": ["mittente", "destinatari", "risposte", "oggetto"],
        "postacert/dati": ["gestore-emittente", "identificativo", "msgid", "consegna", "ricezione", "errore-esteso"],
        "postacert/dati/data": ["giorno", "ora"],
    ]

    private static func localName(_ name: String) -> String {
        name.split(separator: ":").last.map(String.init) ?? name
    }

    private static func trimmed(_ value: String?) -> String? {
        guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    private static func attribute(_ name: String, in attributes: [String: String]) -> String? {
        attributes.first { localName($0.key) == name }?.value
    }

    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        let name = Self.localName(elementName)
        let parent = stack.joined(separator: "/")
        stack.append(name)
        guard capture == nil else { return }
        if stack.count == 1 {
            root = name
            tipo = Self.trimmed(Self.attribute("tipo", in: attributeDict))
            errore = Self.trimmed(Self.attribute("errore", in: attributeDict))
            return
        }
        switch (parent, name) {
        case ("postacert/dati", "data"):
            if zona == nil { zona = Self.trimmed(Self.attribute("zona", in: attributeDict)) }
        case ("postacert/dati", "ricevuta"):
            if ricevutaTipo == nil {
                ricevutaTipo = Self.trimmed(Self.attribute("tipo", in: attributeDict)) ?? "completa"
            }
        default:
            if Self.leaves[parent]?.contains(name) == true {
                let attribute = name == "destinatari" ? Self.attribute("tipo", in: attributeDict) : nil
                capture = (parent + "/" + name, stack.count, attribute)
                buffer = ""
            }
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if capture != nil { buffer += string }
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        if capture != nil { buffer += String(decoding: CDATABlock, as: UTF8.self) }
    }

    func parser(
        _ parser: XMLParser,
        didEndElement elementName: String,
        namespaceURI: String?,
        qualifiedName qName: String?
    ) {
        if let current = capture, current.depth == stack.count {
            let value = Self.trimmed(buffer)
            switch current.path {
            case "postacert/intestazione/destinatari":
                if let value {
                    destinatari.append(.init(address: value, tipo: Self.trimmed(current.attribute) ?? ""))
                }
            case "postacert/dati/ricezione":
                if let value { ricezione.append(value) }
            default:
                if values[current.path] == nil { values[current.path] = value }
            }
            capture = nil
        }
        stack.removeLast()
        if stack.isEmpty { rootClosed = true }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        if error == nil { error = parseError }
    }

    func parser(_ parser: XMLParser, validationErrorOccurred validationError: any Error) {
        if error == nil { error = validationError }
    }

    func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
        nil
    }

    func result() throws -> Daticert {
        guard let root, root == "postacert" else { throw DaticertError.notDaticert(root: root ?? "") }
        func required(_ path: String) throws -> String {
            guard let value = values[path] else { throw DaticertError.missing(path) }
            return value
        }
        guard let tipo else { throw DaticertError.missing("postacert/@tipo") }
        let mittente = try required("postacert/intestazione/mittente")
        guard !destinatari.isEmpty else { throw DaticertError.missing("postacert/intestazione/destinatari") }
        let gestore = try required("postacert/dati/gestore-emittente")
        let giorno = try required("postacert/dati/data/giorno")
        let ora = try required("postacert/dati/data/ora")
        let identificativo = try required("postacert/dati/identificativo")
        return Daticert(
            tipo: tipo,
            errore: errore ?? "nessuno",
            mittente: mittente,
            destinatari: destinatari,
            risposte: values["postacert/intestazione/risposte"],
            oggetto: values["postacert/intestazione/oggetto"],
            gestoreEmittente: gestore,
            data: .init(giorno: giorno, ora: ora, zona: zona),
            identificativo: identificativo,
            msgid: values["postacert/dati/msgid"],
            ricevutaTipo: ricevutaTipo,
            consegna: values["postacert/dati/consegna"],
            ricezione: ricezione,
            erroreEsteso: values["postacert/dati/errore-esteso"]
        )
    }
}
