import Foundation

/// Reads a `daticert.xml` (pec-standard.md §6) with ``XMLReader``, leniently: no DTD validation,
/// elements matched by local name (prefixes are resolved, then dropped), unknown elements and stray
/// text ignored, values trimmed.
///
/// Safe on hostile input: the size is capped, and ``XMLSafetyGate`` decodes the document (UTF-8,
/// ISO-8859-1 or US-ASCII only) and refuses any DTD declaration, entities included, before the reader
/// sees it; a DOCTYPE naming an external DTD (`SYSTEM "Postacert.dtd"`) is skipped, never fetched.
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

        var reader = XMLReader(input)
        var collector = Collector()
        do {
            while let event = try reader.next() {
                switch event {
                case .start(let name, let attributes): collector.start(name.local, attributes: attributes)
                case .end: collector.end()
                case .text(let text): collector.characters(text)
                }
            }
        } catch {
            throw DaticertError.malformedXML(line: error.line, column: error.column, code: error.kind.rawValue)
        }
        return try collector.result()
    }
}

/// What the reader's events say: remembers the first value of each element at its schema path.
private struct Collector {
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

    private static func trimmed(_ value: String?) -> String? {
        guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    private static func attribute(_ name: String, in attributes: [XMLReader.Attribute]) -> String? {
        attributes.first { $0.name.local == name }?.value
    }

    mutating func start(_ name: String, attributes attributeDict: [XMLReader.Attribute]) {
        // Every path read is at most three deep: deeper parents are not joined (that would be quadratic).
        let parent = stack.count <= 3 ? stack.joined(separator: "/") : ""
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

    /// Text and CDATA alike.
    mutating func characters(_ string: String) {
        if capture != nil { buffer += string }
    }

    mutating func end() {
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
        _ = stack.popLast()
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
