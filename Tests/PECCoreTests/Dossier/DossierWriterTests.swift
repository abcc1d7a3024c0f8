import Foundation
import Testing

@testable import PECCore

/// The dossier appears whole or not at all, is never written over an existing path, and a store
/// file that no longer matches its hash is refused rather than copied.
@Suite struct DossierWriterTests {
    static func workDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pec-dossier-writer-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func file(_ text: String, in directory: URL, named name: String) throws -> (URL, String) {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return (url, try DossierVerifier.sha256(of: url))
    }

    @Test("a directory and a zip with every file and SHA256SUMS; the zip reads back the same")
    func writesBoth() throws {
        let work = try Self.workDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let (source, digest) = try Self.file("From: a@b\r\n\r\nciao\r\n", in: work, named: "source.eml")
        let entries = [
            DossierWriter.Entry(name: "01-messaggio-inviato.eml", source: .file(source, sha256: digest)),
            DossierWriter.Entry(name: "report.json", source: .bytes(Array("{}\n".utf8))),
        ]
        let directory = work.appendingPathComponent("d")
        let sums = try DossierWriter.write(entries, to: directory)
        #expect(sums["01-messaggio-inviato.eml"] == digest)
        let listed = try #require(DossierVerifier.readChecksums(directory.appendingPathComponent("SHA256SUMS")))
        #expect(listed == sums)
        #expect(
            try Data(contentsOf: directory.appendingPathComponent("01-messaggio-inviato.eml"))
                == Data(contentsOf: source)
        )

        let zip = work.appendingPathComponent("d.zip")
        #expect(try DossierWriter.write(entries, to: zip) == sums)
        let extracted = try DossierVerifier.extract(zip)
        defer { TemporaryFiles.removeDirectory(extracted) }
        #expect(
            Set(try FileManager.default.contentsOfDirectory(atPath: extracted.path))
                == ["01-messaggio-inviato.eml", "report.json", "SHA256SUMS"]
        )
        #expect(DossierVerifier.readChecksums(extracted.appendingPathComponent("SHA256SUMS")) == sums)
    }

    @Test("a source that no longer matches its hash: an error, and nothing left, neither dossier nor temporary")
    func alteredSourceLeavesNothing() throws {
        let work = try Self.workDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let (good, goodDigest) = try Self.file("first", in: work, named: "good.eml")
        let (bad, _) = try Self.file("second", in: work, named: "bad.eml")
        let entries = [
            DossierWriter.Entry(name: "01-a.eml", source: .file(good, sha256: goodDigest)),
            DossierWriter.Entry(name: "02-b.eml", source: .file(bad, sha256: String(repeating: "0", count: 64))),
        ]
        for name in ["d", "d.zip"] {
            let output = work.appendingPathComponent(name)
            #expect(throws: PECError.self) { try DossierWriter.write(entries, to: output) }
            #expect(!FileManager.default.fileExists(atPath: output.path), "\(name)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: work.path).sorted()
        #expect(left == ["bad.eml", "good.eml"], "\(left)")
    }

    @Test("an existing path is never replaced, even an empty directory")
    func neverReplaces() throws {
        let work = try Self.workDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let entries = [DossierWriter.Entry(name: "report.json", source: .bytes(Array("{}".utf8)))]
        let directory = work.appendingPathComponent("d")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        let zip = work.appendingPathComponent("d.zip")
        try Data("mine".utf8).write(to: zip)
        for output in [directory, zip] {
            #expect(throws: PECError.self) { try DossierWriter.write(entries, to: output) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        #expect(try Data(contentsOf: zip) == Data("mine".utf8))
    }
}
