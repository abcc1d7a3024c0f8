/// Why a REM evidence document could not be read (PECCore words it for users).
package enum REMEvidenceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Larger than ``REMEvidenceParser/maximumSize``.
    case tooLarge(size: Int, limit: Int)
    /// A DTD, entity or unsupported encoding (``XMLSafetyGate``): evidence never needs one.
    case refused(String)
    /// Not well-formed XML, with ``XMLReader``'s position; `code` is its ``XMLReader/Error/Kind`` raw value.
    case malformedXML(line: Int, column: Int, code: Int)
    /// Well-formed, but not an ERDS evidence (root element and namespace as found).
    case notEvidence(root: String)
    /// A piece every evidence has is absent, e.g. `ERDSEventId`.
    case missing(String)

    package var description: String {
        switch self {
        case .tooLarge(let size, let limit):
            "the evidence is \(size) bytes, more than the \(limit)-byte limit"
        case .refused(let why):
            "the evidence is refused: \(why)"
        case .malformedXML(let line, let column, let code):
            "the evidence is not well-formed XML (line \(line), column \(column): \(XMLReader.Error.reason(code: code)))"
        case .notEvidence(let root):
            "the document is not an ERDS evidence (root element <\(root)>)"
        case .missing(let path):
            "the evidence has no \(path)"
        }
    }
}
