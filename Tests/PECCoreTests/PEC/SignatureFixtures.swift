import Foundation
import PECTestSupport

/// Messages the verifier tests read: bundled ones (always there) and the shared real corpus (when present).
enum SignatureFixtures {
    static func bundled(_ name: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
        }
        return [UInt8](try Data(contentsOf: url))
    }

    static func bundledPath(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")?.path ?? name
    }

    /// `shared/fixtures/pec` (``PECFixtureCorpus``).
    static var corpusDirectory: URL? { PECFixtureCorpus.directory }

    static var corpusAvailable: Bool { corpusDirectory != nil }

    /// file name → the `signature` field of expected.ndjson.
    static let corpusExpectations: [String: String] = {
        guard let directory = corpusDirectory,
            let text = try? String(contentsOf: directory.appendingPathComponent("expected.ndjson"), encoding: .utf8)
        else { return [:] }
        var result: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let file = object["file"] as? String, let signature = object["signature"] as? String
            else { continue }
            result[file] = signature
        }
        return result
    }()

    static var corpusFiles: [String] { corpusExpectations.keys.sorted() }

    static var corpusValidFiles: [String] { corpusFiles.filter { corpusExpectations[$0] == "valid" } }

    static func corpus(_ name: String) throws -> [UInt8] {
        guard let directory = corpusDirectory else { throw CocoaError(.fileNoSuchFile) }
        return [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// A copy with one letter of the signed content (the first part of the multipart/signed) changed in case.
    static func tampered(_ message: [UInt8]) -> [UInt8]? {
        let text = String(decoding: message.map { $0 < 0x80 ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
        guard let boundaryRange = text.range(of: #"boundary="?([^";\r\n]+)"?"#, options: .regularExpression)
        else { return nil }
        var boundary = String(text[boundaryRange].dropFirst("boundary=".count))
        boundary = boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard let delimiter = text.range(of: "--" + boundary, range: boundaryRange.upperBound..<text.endIndex),
            let second = text.range(of: "--" + boundary, range: delimiter.upperBound..<text.endIndex)
        else { return nil }
        let start = text.utf8.distance(from: text.startIndex, to: delimiter.upperBound)
        let end = text.utf8.distance(from: text.startIndex, to: second.lowerBound)
        // A letter about half-way into the signed part: inside the content, far from the delimiters.
        let middle = start + (end - start) / 2
        guard let index = (middle..<end).first(where: { isLetter(message[$0]) }) else { return nil }
        var copy = message
        copy[index] ^= 0x20
        return copy
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// The corpus `signature` field as a status: valid; stub (placeholder smime.p7s) → invalid;
    /// absent (no multipart/signed) → unsigned.
    static func expectedStatus(_ signature: String) -> String? {
        switch signature {
        case "valid": "valid"
        case "stub", "none": "invalid"
        case "absent": "unsigned"
        default: nil
        }
    }
}
