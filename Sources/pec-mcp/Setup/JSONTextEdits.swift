import PECCore

/// Changes to a JSON text that touch only the bytes of one member: everything else in the file stays
/// byte for byte as the user (or their editor) wrote it.
struct TextEdit: Sendable, Equatable {
    var range: Range<Int>
    var replacement: String
}

extension JSONText {
    func applying(_ edits: [TextEdit]) -> [UInt8] {
        var result = bytes
        // From the end, so earlier offsets stay valid; of two insertions at one place, the one listed
        // first ends up first.
        let ordered = edits.enumerated().sorted {
            ($0.element.range.lowerBound, $0.offset) > ($1.element.range.lowerBound, $1.offset)
        }
        for (_, edit) in ordered {
            result.replaceSubrange(edit.range, with: Array(edit.replacement.utf8))
        }
        return result
    }

    /// Adds `"key": value` as the last member of `object`, indented like its other members.
    func insertion(of key: String, value: JSONValue, into object: Node) -> [TextEdit] {
        let unit = indentUnit
        let members = object.members ?? []
        guard let last = members.last else {
            let indent = indentation(ofLineAt: object.range.lowerBound)
            let inner = indent + unit
            let member =
                JSONValue.quoted(key) + ": "
                + value.rendered(indent: inner, unit: unit)
            let open = object.range.lowerBound + 1
            let close = object.range.upperBound - 1
            let interior = bytes[open..<close]
            if interior.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) {
                if object.range != root?.range, !bytes.dropLast().contains(UInt8(ascii: "\n")) {
                    // A file written on one line stays on one line (but `{}` alone is expanded).
                    return [TextEdit(range: open..<close, replacement: " \(Self.compact(key: key, value: value)) ")]
                }
                return [TextEdit(range: open..<close, replacement: newline + inner + member + newline + indent)]
            }
            // Only comments inside: ours goes first, the comments stay.
            let closesOnSameLine = !interior.contains(UInt8(ascii: "\n"))
            return [
                TextEdit(
                    range: open..<open,
                    replacement: newline + inner + member + (closesOnSameLine ? newline + indent : "")
                )
            ]
        }
        let valueEnd = last.value.range.upperBound
        guard startsLine(last.start) else {
            // An object written on one line gets ours on the same line.
            return [TextEdit(range: valueEnd..<valueEnd, replacement: ", \(Self.compact(key: key, value: value))")]
        }
        let indent = indentation(ofLineAt: last.start)
        let member =
            JSONValue.quoted(key) + ": "
            + value.rendered(indent: indent, unit: unit)
        var edits: [TextEdit] = []
        let anchor: Int
        if let comma = last.comma {
            anchor = endOfLineContent(after: comma + 1)
        } else {
            edits.append(TextEdit(range: valueEnd..<valueEnd, replacement: ","))
            // After a comment that ends the last member's line, so the comment stays with its member.
            anchor = endOfLineContent(after: valueEnd)
        }
        edits.append(TextEdit(range: anchor..<anchor, replacement: newline + indent + member))
        return edits
    }

    /// Puts `value` in place of a member's value, indented like the member.
    func replacement(ofValueOf member: Member, with value: JSONValue) -> [TextEdit] {
        let text =
            startsLine(member.start)
            ? value.rendered(indent: indentation(ofLineAt: member.start), unit: indentUnit)
            : Self.compact(value)
        return [TextEdit(range: member.value.range, replacement: text)]
    }

    /// Cuts the member at `index` out of `object`, with its comma, and its line when it had one of its own.
    func removal(ofMemberAt index: Int, from object: Node) -> [TextEdit] {
        let members = object.members ?? []
        let member = members[index]
        var edits: [TextEdit] = []
        var start = member.start
        var end = member.comma.map { $0 + 1 } ?? member.value.range.upperBound
        if member.comma == nil, index > 0, let previousComma = members[index - 1].comma, !allowsComments {
            // The last member goes: in plain JSON the one before it must lose its comma (in JSON with
            // comments a trailing comma is allowed, and may well be the user's own: it stays).
            edits.append(TextEdit(range: previousComma..<(previousComma + 1), replacement: ""))
        }
        while end < bytes.count, bytes[end] == UInt8(ascii: " ") || bytes[end] == UInt8(ascii: "\t") { end += 1 }
        if startsLine(member.start) {
            while start > 0, bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
            if end < bytes.count, bytes[end] == UInt8(ascii: "\r") { end += 1 }
            if end < bytes.count, bytes[end] == UInt8(ascii: "\n") { end += 1 }
        }
        edits.append(TextEdit(range: start..<end, replacement: ""))
        return edits
    }

    static func compact(key: String, value: JSONValue) -> String {
        JSONValue.quoted(key) + ": " + compact(value)
    }

    /// On one line: `{ "command": "…", "args": ["…"] }`.
    static func compact(_ value: JSONValue) -> String {
        switch value {
        case .object(let members):
            members.isEmpty
                ? "{}" : "{ " + members.map { compact(key: $0.key, value: $0.value) }.joined(separator: ", ") + " }"
        case .array(let items):
            "[" + items.map(compact).joined(separator: ", ") + "]"
        default:
            value.rendered(indent: "", unit: "")
        }
    }
}
