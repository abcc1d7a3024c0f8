import Foundation
import MCP
import PECCore

/// A tool call's arguments, read with the checks the tool's input schema promises: unknown names,
/// wrong types and out-of-range values are `usage` errors naming the argument (clients do not
/// always validate against the schema before calling).
struct ToolArguments: Sendable {
    let tool: String
    let values: [String: Value]

    init(tool: String, values: [String: Value], known: [String]) throws(PECError) {
        self.tool = tool
        self.values = values.filter { $0.value != .null }
        if let unknown = self.values.keys.sorted().first(where: { !known.contains($0) }) {
            throw PECError(
                .usage,
                "\(tool) has no argument \"\(unknown)\"",
                hint: known.isEmpty ? "it takes no arguments" : "it takes: \(known.joined(separator: ", "))"
            )
        }
    }

    func string(_ name: String) throws(PECError) -> String? {
        guard let value = values[name] else { return nil }
        switch value {
        case .string(let text): return text
        // The SDK reads a string that looks like a data: URL as data; give the text back.
        case .data(let mimeType, let data):
            return "data:\(mimeType ?? "");base64,\(data.base64EncodedString())"
        default: throw wrongType(name, "a string")
        }
    }

    func requiredString(_ name: String) throws(PECError) -> String {
        guard let text = try string(name) else { throw missing(name) }
        return text
    }

    func bool(_ name: String) throws(PECError) -> Bool? {
        guard let value = values[name] else { return nil }
        guard case .bool(let flag) = value else { throw wrongType(name, "true or false") }
        return flag
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws(PECError) -> Int? {
        guard let value = values[name] else { return nil }
        let number: Int
        switch value {
        case .int(let int): number = int
        case .double(let double) where double.rounded() == double && abs(double) < 1e15: number = Int(double)
        default: throw wrongType(name, "a whole number")
        }
        guard range.contains(number) else {
            throw PECError(
                .usage,
                "\(tool): \(name) must be between \(range.lowerBound) and \(range.upperBound), not \(number)"
            )
        }
        return number
    }

    func requiredInt(_ name: String, in range: ClosedRange<Int>) throws(PECError) -> Int {
        guard let number = try int(name, in: range) else { throw missing(name) }
        return number
    }

    /// A list of strings; a single string is taken as a list of one.
    func strings(_ name: String) throws(PECError) -> [String]? {
        guard let value = values[name] else { return nil }
        switch value {
        case .string(let text): return [text]
        case .array(let elements):
            return try elements.map { element throws(PECError) in
                guard case .string(let text) = element else { throw wrongType(name, "a list of strings") }
                return text
            }
        default: throw wrongType(name, "a list of strings")
        }
    }

    func choice<Choice: RawRepresentable & CaseIterable>(_ name: String, _: Choice.Type) throws(PECError) -> Choice?
    where Choice.RawValue == String {
        guard let text = try string(name) else { return nil }
        guard let choice = Choice(rawValue: text) else {
            throw PECError(
                .usage,
                "\(tool): \(name) must be one of \(Choice.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(text)\""
            )
        }
        return choice
    }

    func day(_ name: String) throws(PECError) -> CalendarDay? {
        guard let text = try string(name) else { return nil }
        guard let day = CalendarDay(text) else {
            throw PECError(.usage, "\(tool): \(name) takes a date as YYYY-MM-DD, not \"\(text)\"")
        }
        return day
    }

    private func missing(_ name: String) -> PECError {
        PECError(.usage, "\(tool) needs the argument \"\(name)\"")
    }

    private func wrongType(_ name: String, _ expected: String) -> PECError {
        PECError(.usage, "\(tool): \(name) must be \(expected)")
    }
}
