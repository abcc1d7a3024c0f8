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

/// Renders any `Encodable` value the same way for every command, in `pec` and in `pec-mcp`'s text
/// copies. Empty fields (null, "", [], {}) are left out in both formats; `false` and `0` are kept.
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
        case .text: return TextFormatter.fields(value)
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
            case .fields: return values.map(TextFormatter.fields).joined(separator: "\n")
            case .table(let columns): return TextFormatter.table(values, columns: columns)
            }
        }
    }
}

public enum TextFormatter {
    static func fields(_ value: JSONValue) -> String {
        var lines: [String] = []
        appendFields(of: value, indent: "", to: &lines)
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    private static func appendFields(of value: JSONValue, indent: String, to lines: inout [String]) {
        guard case .object(let members) = value else {
            appendText(scalarText(value), prefix: indent, indent: indent, to: &lines)
            return
        }
        for member in members {
            let label = indent + member.key + ":"
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
            default:
                appendText(scalarText(member.value), prefix: label + " ", indent: indent + "  ", to: &lines)
            }
        }
    }

    /// Multi-line text goes below its label, indented, so each record stays readable.
    private static func appendText(_ text: String, prefix: String, indent: String, to lines: inout [String]) {
        // isNewline also splits "\r\n", which Swift sees as one Character.
        let textLines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        if textLines.count <= 1 {
            lines.append(prefix + text)
        } else {
            lines.append(prefix.hasSuffix(" ") ? String(prefix.dropLast()) : prefix)
            lines += textLines.map { indent + $0 }
        }
    }

    static func scalarText(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n
        case .string(let s): terminalSafe(s)
        case .array(let elements): elements.map(scalarText).joined(separator: ", ")
        case .object: value.serialized
        }
    }

    /// Text from a message must not drive the terminal: control characters (ESC sequences could
    /// hide a warning or rewrite the screen) become visible control pictures (␛), and bidirectional
    /// overrides (which make `invoice‮fdp.exe` look like `invoiceexe.pdf`) are shown as U+FFFD.
    /// Line ends and tabs stay. JSON output keeps the exact text, escaped by JSON itself.
    public static func terminalSafe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if !isUnsafe(scalar) {
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

    private static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x0D, 0x09: false
        case 0x00..<0x20, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
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
        let header = columns.map { $0.replacingOccurrences(of: "_", with: " ").uppercased() }
        let cells = rows.map { row in
            columns.map { key in
                scalarText(row[key] ?? .null).split(whereSeparator: \.isNewline).joined(separator: " ")
            }
        }
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
