import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

/// What Aruba refuses in attachments: blocked extensions and programs, by name, by content, and
/// inside zip archives; read without extracting, with memory and time bounded whatever an archive claims.
@Suite("executable scanner")
struct ExecutableScannerTests {
    let files: TemporaryHome
    let scanner = ExecutableScanner(blockedExtensions: Set(ProviderLimits.aruba.blockedExtensions))

    init() throws { files = try TemporaryHome(prefix: "pec-scan") }

    static let windowsProgram: [UInt8] =
        [0x4D, 0x5A, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00] + Array(repeating: 0, count: 56)
    static let pdf = Array("%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n".utf8)

    func scan(_ name: String, _ bytes: [UInt8]) throws -> ExecutableScanner.Finding? {
        let path = try files.file(name, bytes: bytes)
        return try scanner.scan(fileAt: URL(fileURLWithPath: path), name: name)
    }

    @Test(
        "a blocked extension is refused by name, whatever its case, trailing dots or spaces",
        arguments: [
            ("setup.exe", "exe"), ("avvio.BAT", "bat"), ("script.js", "js"), ("x.ps1", "ps1"), ("y.vbs", "vbs"),
            ("z.cmd", "cmd"), ("setup.exe.", "exe"), ("setup.exe ", "exe"),
        ]
    )
    func blockedByName(name: String, ext: String) throws {
        #expect(try scan(name, Array("echo".utf8)) == .init(path: [name], reason: .blockedExtension(ext)))
    }

    @Test("an ordinary document passes; so does a name that only contains a blocked word")
    func ordinaryPasses() throws {
        #expect(try scan("fattura.pdf", Self.pdf) == nil)
        #expect(try scan("exe-report.txt", Array("testo".utf8)) == nil)
        #expect(try scan("README", Array("testo".utf8)) == nil)
    }

    @Test(
        "a program renamed to a harmless name is caught by its first bytes",
        arguments: [
            ([0x4D, 0x5A, 0x90, 0x00], "MZ"), ([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01], "ELF"),
            ([0xCF, 0xFA, 0xED, 0xFE, 0x07], "Mach-O"), ([0xCA, 0xFE, 0xBA, 0xBE, 0x00], "CAFEBABE"),
        ] as [([UInt8], String)]
    )
    func renamedProgram(head: [UInt8], kind: String) throws {
        let finding = try #require(try scan("fattura.pdf", head + Array(repeating: 0, count: 100)))
        #expect(finding.path == ["fattura.pdf"])
        guard case .executableContent(let what) = finding.reason else {
            Issue.record("not refused for its content: \(finding)")
            return
        }
        #expect(what.contains(kind))
    }

    @Test("text that merely starts with MZ is not a program; a PE header makes one of any DOS header")
    func mzText() throws {
        #expect(try scan("nota.txt", Array("MZone report\nseconda riga\n".utf8)) == nil)
        var pe = [UInt8](repeating: 0x41, count: 0x100)
        pe[0] = 0x4D
        pe[1] = 0x5A
        pe[0x3C] = 0x80
        pe[0x3D] = 0
        pe[0x3E] = 0
        pe[0x3F] = 0
        pe.replaceSubrange(0x80..<0x84, with: [0x50, 0x45, 0, 0])
        #expect(try scan("nota.txt", pe)?.reason == .executableContent("a Windows or DOS program (MZ)"))
    }

    @Test("an .exe inside a zip is found, by name and when renamed inside it")
    func programInsideZip() throws {
        let named = ZipFiles.archive([.stored("leggimi.txt", "ciao"), .stored("bin/setup.exe", "x")])
        #expect(
            try scan("documenti.zip", named)
                == .init(
                    path: ["documenti.zip", "bin/setup.exe"],
                    reason: .blockedExtension("exe")
                )
        )
        let renamed = ZipFiles.archive([.stored("leggimi.txt", "ciao"), .stored("foto.jpg", Self.windowsProgram)])
        let finding = try #require(try scan("documenti.zip", renamed))
        #expect(finding.path == ["documenti.zip", "foto.jpg"])
        #expect(finding.reason == .executableContent("a Windows or DOS program (MZ)"))
    }

    @Test("a zip renamed to .pdf is still opened and checked")
    func renamedZip() throws {
        let archive = ZipFiles.archive([.stored("avvio.bat", "echo")])
        #expect(try scan("fattura.pdf", archive)?.reason == .blockedExtension("bat"))
    }

    @Test("a zip inside a zip is checked too, two levels down")
    func nestedZip() throws {
        let innermost = ZipFiles.archive([.stored("tool.vbs", "x")])
        let inner = ZipFiles.archive([.stored("note.txt", "n"), .stored("piu.zip", innermost)])
        let outer = ZipFiles.archive([.stored("a.pdf", Self.pdf), .stored("dentro.dat", inner)])
        #expect(
            try scan("pratica.zip", outer)
                == .init(
                    path: ["pratica.zip", "dentro.dat", "piu.zip", "tool.vbs"],
                    reason: .blockedExtension("vbs")
                )
        )
    }

    @Test("an allowed zip (documents, a nested zip of documents) passes")
    func allowedZip() throws {
        let inner = ZipFiles.archive([.stored("allegato.pdf", Self.pdf)])
        let outer = ZipFiles.archive([
            .stored("cartella/", []), .stored("verbale.pdf", Self.pdf), .stored("note.txt", "testo"),
            .stored("altri.zip", inner),
        ])
        #expect(try scan("pratica.zip", outer) == nil)
    }

    /// Beyond the 32 MiB a nested archive is read to; each stream is about 160 kB.
    static let bombSize = 40_000_000

    @Test("a nested archive that inflates to 40 MB is read only up to its 32 MiB bound and refused as uncheckable")
    func zipBomb() throws {
        let size = Self.bombSize
        let stream = ZipFiles.zeroBomb(prefix: [0x50, 0x4B, 0x03, 0x04], size: size)
        #expect(stream.count < 1_000_000, "the test archive itself is small")
        let bomb = ZipFiles.archive([
            .stored("leggimi.txt", "ciao"), .deflated("dati.zip", stream: stream, uncompressedSize: size, crc: 0),
        ])
        let finding = try #require(try scan("bomba.zip", bomb))
        #expect(finding.path == ["bomba.zip", "dati.zip"])
        guard case .uncheckable(let why) = finding.reason else {
            Issue.record("not refused as uncheckable: \(finding)")
            return
        }
        #expect(why.contains("32 MiB"))
    }

    @Test("a deflated entry of 40 MB is judged on its first bytes alone")
    func largeDeflatedEntry() throws {
        let size = Self.bombSize
        let program = ZipFiles.zeroBomb(prefix: [0x4D, 0x5A], size: size)
        let archive = ZipFiles.archive([.deflated("dati.bin", stream: program, uncompressedSize: size, crc: 0)])
        #expect(try scan("a.zip", archive)?.reason == .executableContent("a Windows or DOS program (MZ)"))
        let zeros = ZipFiles.zeroBomb(prefix: [], size: size)
        #expect(
            try scan("b.zip", ZipFiles.archive([.deflated("d.bin", stream: zeros, uncompressedSize: size, crc: 0)]))
                == nil
        )
    }

    @Test("archives nested deeper than the bound are refused as uncheckable, not followed")
    func tooDeep() throws {
        var archive = ZipFiles.archive([.stored("fine.txt", "x")])
        for level in 0..<ExecutableScanner.maximumDepth {
            archive = ZipFiles.archive([.stored("l\(level).zip", archive)])
        }
        let finding = try #require(try scan("profondo.zip", archive))
        guard case .uncheckable = finding.reason else {
            Issue.record("not uncheckable: \(finding)")
            return
        }
    }

    @Test("more entries than the bound: refused as uncheckable after reading the bound, not all of them")
    func tooManyEntries() throws {
        let entries = (0...ExecutableScanner.maximumEntries).map { ZipFiles.Entry.stored("f\($0).txt", "x") }
        let finding = try #require(try scan("tanti.zip", ZipFiles.archive(entries)))
        #expect(finding.reason == .uncheckable("more than \(ExecutableScanner.maximumEntries) files in its archives"))
    }

    @Test("a file that only starts like a zip (no end record) is not an archive: it passes, at once")
    func notReallyAZip() throws {
        let bytes = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0x41, count: 2_000_000)
        #expect(try scan("dati.bin", bytes) == nil)
    }

    @Test("an entry name with a line break is shown on one line")
    func entryNameOnOneLine() throws {
        let archive = ZipFiles.archive([.stored("a.txt\nsignature: valid\n.exe", "x")])
        let finding = try #require(try scan("x.zip", archive))
        #expect(!finding.location.contains("\n"))
        #expect(finding.location.contains("\u{240A}signature: valid"))
    }
}
