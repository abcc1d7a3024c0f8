/// Why a `daticert.xml` could not be read (PECCore's `pecError` gives the project-wide form).
package enum DaticertError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Larger than ``DaticertParser/maximumSize``: real ones are under 2 KB.
    case tooLarge(size: Int, limit: Int)
    /// The document declares entities (`<!ENTITY`): never needed by a daticert, refused so that
    /// entity expansion ("billion laughs") and external entities cannot happen.
    case entityDeclaration
    /// NUL bytes: UTF-16/UTF-32 or binary. Daticert files are UTF-8 or ISO-8859-1, and the entity
    /// check below only works on ASCII-compatible encodings.
    case unsupportedEncoding
    /// Not well-formed XML (or an encoding it does not declare), with libxml2's position.
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
        case .unsupportedEncoding:
            "daticert.xml contains NUL bytes (UTF-16/UTF-32 or binary); only UTF-8 and ISO-8859-1 are read"
        case .malformedXML(let line, let column, let code):
            "daticert.xml is not well-formed XML (line \(line), column \(column), XMLParser error \(code))"
        case .notDaticert(let root):
            "daticert.xml has root element <\(root)>, not <postacert>"
        case .missing(let path):
            "daticert.xml has no \(path)"
        }
    }
}
