import Foundation

/// How results are written: compact text for people, NDJSON for programs.
public enum OutputFormat: String, Sendable, CaseIterable {
    case text
    case json
}

/// How a list of records looks in text form.
public enum TextLayout: Sendable, Equatable {
    /// `key: value` lines per record, records separated by a blank line.
    case fields
    /// One row per record under a header; `columns` picks and orders the keys (nil: all of them).
    case table(columns: [String]?)
}

/// A record with fields of prose (a message's text) that text output shows as a block of lines, each
/// marked `| ` so that no line of it can pass for a field line; every other value is shown on one
/// line (``TextFormatter/oneLine(_:)``). Only top-level keys of the record count.
public protocol TextBlockFields {
    static var textBlockKeys: Set<String> { get }
}

/// Renders any `Encodable` value the same way for every command, in `pec` and in `pec-mcp`'s text
/// copies. Empty fields (null, "", [], {}) are left out in both formats; `false` and `0` are kept.
/// In text every string goes through ``TextFormatter/oneLine(_:)`` (or, for a ``TextBlockFields``
/// key, its block form), so a value from mail can never print a line of its own.
public struct OutputRenderer: Sendable {
    public var format: OutputFormat
    private let encoder = JSONValueEncoder(emptyValues: .omitted())

    public init(format: OutputFormat) {
        self.format = format
    }

    /// One record: a single NDJSON line, or its fields as text. Ends with a newline.
    public func render<T: Encodable>(record: T) throws -> String {
        let value = try encoder.encode(record)
        switch format {
        case .json: return value.serialized + "\n"
        case .text: return TextFormatter.fields(value, blocks: Self.blockKeys(of: T.self))
        }
    }

    /// A list of records: one NDJSON line each, or text in the given layout. Empty for no records.
    public func render<T: Encodable>(_ records: [T], layout: TextLayout = .fields) throws -> String {
        let values = try records.map { try encoder.encode($0) }
        switch format {
        case .json:
            return values.map { $0.serialized + "\n" }.joined()
        case .text:
            switch layout {
            case .fields:
                let blocks = Self.blockKeys(of: T.self)
                return values.map { TextFormatter.fields($0, blocks: blocks) }.joined(separator: "\n")
            case .table(let columns): return TextFormatter.table(values, columns: columns)
            }
        }
    }

    private static func blockKeys<T>(of type: T.Type) -> Set<String> {
        (type as? any TextBlockFields.Type)?.textBlockKeys ?? []
    }
}

public enum TextFormatter {
    static func fields(_ value: JSONValue, blocks: Set<String> = []) -> String {
        var lines: [String] = []
        appendFields(of: value, indent: "", blocks: blocks, to: &lines)
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    private static func appendFields(
        of value: JSONValue,
        indent: String,
        blocks: Set<String> = [],
        to lines: inout [String]
    ) {
        guard case .object(let members) = value else {
            lines.append(indent + scalarText(value))
            return
        }
        for member in members {
            let label = indent + oneLine(member.key) + ":"
            switch member.value {
            case .object:
                lines.append(label)
                appendFields(of: member.value, indent: indent + "  ", to: &lines)
            case .array(let elements) where elements.contains(where: \.isContainer):
                lines.append(label)
                for element in elements {
                    var item: [String] = []
                    appendFields(of: element, indent: indent + "    ", to: &item)
                    // The first line of each element carries the list marker.
                    if let first = item.first {
                        item[0] = indent + "  - " + first.dropFirst(indent.count + 4)
                    }
                    lines += item
                }
            case .string(let text) where blocks.contains(member.key):
                let block = blockLines(text)
                if block.count <= 1 {
                    lines.append(label + " " + (block.first ?? ""))
                } else {
                    lines.append(label)
                    lines += block.map { indent + "  |" + ($0.isEmpty ? "" : " " + $0) }
                }
            default:
                lines.append(label + " " + scalarText(member.value))
            }
        }
    }

    static func scalarText(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n
        case .string(let s): oneLine(s)
        case .array(let elements): elements.map(scalarText).joined(separator: ", ")
        case .object: oneLine(value.serialized)
        }
    }

    /// The one rule for text that is not ours (names, subjects, addresses, file names, daticert
    /// fields, header values, folder names, server replies) in text output: it stays on one line
    /// and cannot drive the terminal, so it can never pass for a line of ours. Shown instead of
    /// obeyed:
    /// - C0 controls, line ends and tabs included, as their control pictures (`\n` → ␊, ESC → ␛),
    ///   DEL as ␡;
    /// - C1 controls (NEL, CSI …), U+2028/U+2029 (line and paragraph separators) and the
    ///   bidirectional embeddings, overrides and isolates (U+202A–202E, U+2066–2069, which make
    ///   `invoice‮fdp.exe` look like `invoiceexe.pdf`) as U+FFFD, for which there is no picture.
    /// The bidi marks (LRM, RLM, ALM) and other invisible format characters are kept: they cannot
    /// break a line or reorder text across it. JSON output keeps the exact text.
    public static func oneLine(_ text: String) -> String {
        visible(text, keepingTabs: false)
    }

    /// The old name of ``oneLine(_:)``, which it now is: every control shown, line ends included.
    @available(*, deprecated, renamed: "oneLine")
    public static func terminalSafe(_ text: String) -> String { oneLine(text) }

    /// Prose (a message body) as lines: split at its line ends (CRLF, LF, CR, VT, FF, NEL, U+2028,
    /// U+2029), each line by ``oneLine(_:)``'s rule except that tabs stay (they indent prose and
    /// cannot start a line of ours).
    /// A final line end ends the last line rather than start an empty one.
    static func blockLines(_ text: String) -> [String] {
        // isNewline also splits "\r\n", which Swift sees as one Character.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        if lines.count > 1, lines.last?.isEmpty == true { lines.removeLast() }
        return lines.map { visible(String($0), keepingTabs: true) }
    }

    private static func visible(_ text: String, keepingTabs: Bool) -> String {
        func isShown(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x09: !keepingTabs
            case 0x00..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
            default: false
            }
        }
        guard text.unicodeScalars.contains(where: isShown) else { return text }
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if !isShown(scalar) {
                output.append(scalar)
            } else if scalar.value < 0x20 {
                output.append(Unicode.Scalar(0x2400 + scalar.value) ?? "\u{FFFD}")
            } else if scalar.value == 0x7F {
                output.append("\u{2421}")
            } else {
                output.append("\u{FFFD}")
            }
        }
        return String(output)
    }

    static func table(_ rows: [JSONValue], columns requested: [String]?) -> String {
        guard !rows.isEmpty else { return "" }
        var columns = requested ?? []
        if requested == nil {
            for row in rows {
                guard case .object(let members) = row else { continue }
                for member in members where !columns.contains(member.key) { columns.append(member.key) }
            }
        }
        let header = columns.map { oneLine($0.replacingOccurrences(of: "_", with: " ").uppercased()) }
        let cells = rows.map { row in columns.map { key in scalarText(row[key] ?? .null) } }
        let widths = columns.indices.map { i in
            ([header[i]] + cells.map { $0[i] }).map(\.count).max() ?? 0
        }
        func line(_ fields: [String]) -> String {
            var out = ""
            for (i, field) in fields.enumerated() {
                if i == fields.count - 1 {
                    out += field
                } else {
                    out += field + String(repeating: " ", count: widths[i] - field.count + 2)
                }
            }
            return String(out.reversed().drop(while: { $0 == " " }).reversed())
        }
        return ([line(header)] + cells.map(line)).joined(separator: "\n") + "\n"
    }
}

extension JSONValue {
    fileprivate var isContainer: Bool {
        switch self {
        case .object, .array: true
        default: false
        }
    }
}
