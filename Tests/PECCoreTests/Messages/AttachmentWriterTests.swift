import Foundation
import Testing

@testable import PECCore

@Suite("saving attachments")
struct AttachmentWriterTests {
    @Test(
        "hostile or empty names become plain file names inside the directory",
        arguments: [
            ("../../etc/passwd", "passwd"), ("/etc/shadow", "shadow"), ("..\\..\\win.ini", "win.ini"),
            ("", "attachment"), ("..", "attachment"), ("con", "_con"), ("NUL.txt", "_NUL.txt"),
            ("fattura però €.pdf", "fattura però €.pdf"), ("a\u{0}b\u{1B}c.txt", "abc.txt"), ("  .hidden ", "hidden"),
            ("x:y?.pdf", "xy.pdf"), ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
        ]
    )
    func sanitize(input: String, expected: String) {
        #expect(AttachmentWriter.sanitize(input) == expected)
    }

    @Test("duplicates and existing files get new names; nothing is overwritten; no temporary file is left")
    func unique() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pec-att-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("old".utf8).write(to: directory.appendingPathComponent("a.pdf"))
        var writer = try AttachmentWriter(directory: directory.path)
        let first = try writer.write(suggestedName: "a.pdf") { try $0(Array("one".utf8)[...]) }
        let second = try writer.write(suggestedName: "../a.pdf") { try $0(Array("two".utf8)[...]) }
        #expect(first.lastPathComponent == "a (2).pdf")
        #expect(second.lastPathComponent == "a (3).pdf")
        #expect(try String(contentsOf: directory.appendingPathComponent("a.pdf"), encoding: .utf8) == "old")
        #expect(try String(contentsOf: second, encoding: .utf8) == "two")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == ["a (2).pdf", "a (3).pdf", "a.pdf"])
    }

    @Test("a failure while writing leaves no file behind")
    func failure() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pec-att-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var writer = try AttachmentWriter(directory: directory.path)
        struct Broken: Error {}
        #expect(throws: PECError.self) {
            _ = try writer.write(suggestedName: "x.bin") { sink in
                try sink(Array(repeating: 1, count: 1000)[...])
                throw Broken()
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("a directory that does not exist is created with its missing parents, mode 0700")
    func missingDirectory() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("pec-att-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let directory = base.appendingPathComponent("a/b")
        var writer = try AttachmentWriter(directory: directory.path)
        for created in [base, base.appendingPathComponent("a"), directory] {
            let mode = try FileManager.default.attributesOfItem(atPath: created.path)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o700, "\(created.path)")
        }
        let saved = try writer.write(suggestedName: "x.txt") { try $0(Array("x".utf8)[...]) }
        #expect(saved.deletingLastPathComponent().path == directory.path)
        // An existing directory is used as it is.
        _ = try AttachmentWriter(directory: directory.path)
    }

    @Test("a file, a path under a file, a symbolic link (also to a directory) are refused as io errors")
    func refusedDirectories() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("pec-att-\(UUID().uuidString)")
        let real = base.appendingPathComponent("real")
        try FileManager.default.createDirectory(at: real, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let file = base.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        let link = base.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
        for path in [file, file.appendingPathComponent("below"), link] {
            do {
                _ = try AttachmentWriter(directory: path.path)
                Issue.record("\(path.lastPathComponent) was accepted")
            } catch {
                #expect((error as? PECError)?.kind == .io, "\(error)")
            }
        }
        #expect(try Data(contentsOf: file) == Data("x".utf8))
    }

    @Test("a dangling symbolic link with the same name is neither followed nor replaced")
    func danglingLink() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pec-att-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("pec-outside-\(UUID().uuidString)")
        try FileManager.default.createSymbolicLink(
            atPath: directory.appendingPathComponent("r.pdf").path,
            withDestinationPath: outside.path
        )
        var writer = try AttachmentWriter(directory: directory.path)
        let saved = try writer.write(suggestedName: "r.pdf") { try $0(Array("data".utf8)[...]) }
        #expect(saved.lastPathComponent == "r (2).pdf")
        #expect(!FileManager.default.fileExists(atPath: outside.path), "nothing written through the link")
    }
}
