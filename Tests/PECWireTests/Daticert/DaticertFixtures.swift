import Foundation
import Testing

@testable import PECWire

/// The daticert.xml files the parser tests read: synthetic ones in the `Fixtures` resource folder,
/// and the real ones, taken at test time from the shared corpus of real PEC messages (its licences
/// keep the messages, and what is cut out of them, out of this repository).
enum DaticertFixtures {
    static var sharedExpected: URL {
        (MIMEFixtures.directory ?? URL(fileURLWithPath: "/nonexistent"))
            .appendingPathComponent("expected.ndjson")
    }

    static var corpusAvailable: Bool { (MIMEFixtures.directory != nil) }

    static func url(_ name: String, extension ext: String) -> URL? {
        Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures")
    }

    /// `<name>.daticert.xml` from the bundle, or the daticert.xml of the corpus message `<name>.eml`.
    static func bytes(_ name: String) throws -> [UInt8] {
        if let location = url(name + ".daticert", extension: "xml") {
            return Array(try Data(contentsOf: location))
        }
        let directory = try #require(MIMEFixtures.directory, "no fixture \(name) and no shared corpus")
        let message = Array(try Data(contentsOf: directory.appendingPathComponent(name + ".eml")))
        guard let daticert = extractDaticert(from: message) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: name + ".eml: no daticert.xml part"])
        }
        return daticert
    }

    static func parse(_ name: String) throws -> Daticert {
        try DaticertParser.parse(bytes(name))
    }

    /// The decoded daticert.xml part of a raw message: the part whose headers name daticert.xml,
    /// its body up to the next boundary line, base64-decoded when so encoded. Deliberately simple
    /// and independent of the MIME parser, so the two can check each other.
    static func extractDaticert(from message: [UInt8]) -> [UInt8]? {
        // Split on the bytes: in a Swift String "\r\n" is one Character and would never match "\n".
        let lines = message.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
            String(decoding: $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0, as: UTF8.self)
        }
        // The part header that names the file (not the body text that mentions it).
        guard
            let named = lines.firstIndex(where: {
                let line = $0.lowercased()
                return line.contains("name=\"daticert.xml\"") || line.contains("name=daticert.xml")
            })
        else { return nil }
        var headerStart = named
        while headerStart > 0, !lines[headerStart - 1].isEmpty, !lines[headerStart - 1].hasPrefix("--") {
            headerStart -= 1
        }
        guard let blank = lines[named...].firstIndex(where: \.isEmpty) else { return nil }
        let headers = lines[headerStart..<blank].joined(separator: "\n").lowercased()
        let body = lines[(blank + 1)...].prefix { !$0.hasPrefix("--") }
        if headers.contains("base64") {
            return Data(base64Encoded: body.joined(), options: .ignoreUnknownCharacters).map { Array($0) }
        }
        return Array(body.joined(separator: "\r\n").utf8)
    }

    /// One expected.ndjson line that has a daticert.
    struct Expectation: Sendable, CustomTestStringConvertible {
        var file: String
        /// Every scalar key of the `daticert` object (null → nil).
        var values: [String: String?]
        var destinatari: [String]?

        var testDescription: String { file }

        /// The name of the extracted fixture: `<eml name without .eml>`.
        var fixtureName: String { file.hasSuffix(".eml") ? String(file.dropLast(4)) : file }
    }

    static func expectations(at url: URL?) -> [Expectation] {
        guard let url, let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let file = object["file"] as? String,
                let daticert = object["daticert"] as? [String: Any]
            else { return nil }
            var values: [String: String?] = [:]
            var destinatari: [String]?
            for (key, value) in daticert {
                if key == "destinatari" {
                    destinatari = value as? [String]
                } else {
                    values[key] = value as? String
                }
            }
            return Expectation(file: file, values: values, destinatari: destinatari)
        }
    }

    static let sharedExpectations = expectations(at: sharedExpected)

    /// Compares every key the expectation has with the parsed value; unknown keys are failures.
    static func check(_ expectation: Expectation) throws {
        let daticert = try DaticertParser.parse(bytes(expectation.fixtureName))
        for (key, expected) in expectation.values.sorted(by: { $0.key < $1.key }) {
            let actual: String?? =
                switch key {
                case "tipo": daticert.tipo
                case "errore": daticert.errore
                case "mittente": daticert.mittente
                case "risposte": daticert.risposte
                case "oggetto": daticert.oggetto
                case "gestore_emittente": daticert.gestoreEmittente
                case "giorno": daticert.data.giorno
                case "ora": daticert.data.ora
                case "zona": daticert.data.zona
                case "identificativo": daticert.identificativo
                case "msgid": daticert.msgid
                case "ricevuta_tipo": daticert.ricevutaTipo
                case "consegna": daticert.consegna
                case "errore_esteso": daticert.erroreEsteso
                default: .none
                }
            guard let actual else {
                Issue.record("\(expectation.file): expected.ndjson key \(key) is not checked by this test")
                continue
            }
            #expect(actual == expected, "\(expectation.file): \(key)")
        }
        if let destinatari = expectation.destinatari {
            #expect(daticert.destinatari.map(\.address) == destinatari, "\(expectation.file): destinatari")
        }
    }
}
