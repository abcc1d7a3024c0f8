/// Why a `daticert.xml` could not be read (PECCore's `pecError` gives the project-wide form).
package enum DaticertError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Larger than ``DaticertParser/maximumSize``: real ones are under 2 KB.
    case tooLarge(size: Int, limit: Int)
    /// The document declares entities (`<!ENTITY`): never needed by a daticert, refused so that
    /// entity expansion ("billion laughs") and external entities cannot happen.
    case entityDeclaration
    /// Another DTD declaration (`<!ATTLIST`, `<!ELEMENT`, `<!NOTATION`): a daticert has no DTD of
    /// its own, and an attribute default could add what the gestore never wrote.
    case dtdDeclaration(String)
    /// An encoding other than UTF-8, ISO-8859-1 or US-ASCII (``XMLSafetyGate/encodings``), e.g.
    /// UTF-7 or UTF-16, whose bytes would hide a declaration from any check but a full decoder.
    case unsupportedEncoding(String)
    /// Bytes that are not valid in the declared encoding.
    case undecodable(encoding: String)
    /// Not well-formed XML, with ``XMLReader``'s position; `code` is its ``XMLReader/Error/Kind`` raw value.
    case malformedXML(line: Int, column: Int, code: Int)
    /// Well-formed, but the root element is not `postacert`.
    case notDaticert(root: String)
    /// A piece the schema requires is absent or empty, e.g. `postacert/dati/identificativo`.
    case missing(String)

    package var description: String {
        switch self {
        case .tooLarge(let size, let limit):
            "daticert.xml is \(size) bytes, more than the \(limit)-byte limit"
        case .entityDeclaration:
            "daticert.xml declares XML entities (<!ENTITY>), which a daticert never needs: refused"
        case .dtdDeclaration(let declaration):
            "daticert.xml declares a DTD (\(declaration)), which a daticert never needs: refused"
        case .unsupportedEncoding(let encoding):
            "daticert.xml is in \(encoding); only UTF-8, ISO-8859-1 and US-ASCII are read"
        case .undecodable(let encoding):
            "daticert.xml declares \(encoding) but its bytes are not valid \(encoding)"
        case .malformedXML(let line, let column, let code):
            "daticert.xml is not well-formed XML (line \(line), column \(column): \(XMLReader.Error.reason(code: code)))"
        case .notDaticert(let root):
            "daticert.xml has root element <\(root)>, not <postacert>"
        case .missing(let path):
            "daticert.xml has no \(path)"
        }
    }
}

extension DaticertError {
    init(_ refusal: XMLSafetyGate.Refusal) {
        switch refusal {
        case .unsupportedEncoding(let encoding): self = .unsupportedEncoding(encoding)
        case .undecodable(let encoding): self = .undecodable(encoding: encoding)
        case .declaration("<!ENTITY"): self = .entityDeclaration
        case .declaration(let declaration): self = .dtdDeclaration(declaration)
        }
    }
}
