import Foundation
import Testing

@testable import PECCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("outgoing message validation")
struct OutgoingMessageValidationTests {
    private static func message(
        from: String = "mittente@pec.esempio.it",
        to: [String] = ["destinatario@pec.esempio.it"],
        cc: [String] = [],
        subject: String = "Oggetto",
        attachments: [URL] = []
    ) -> OutgoingMessage {
        OutgoingMessage(from: from, to: to, cc: cc, subject: subject, body: "Testo", attachments: attachments)
    }

    private static func expectInvalid(_ message: OutgoingMessage, mentioning fragment: String) {
        do {
            try message.validate()
            Issue.record("accepted: \(message)")
        } catch let error as PECError {
            #expect(error.kind == .invalidInput)
            #expect(error.message.contains(fragment), "\(error.message)")
            #expect(error.hint != nil)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("a plain message passes")
    func valid() throws {
        try Self.message(cc: ["copia@pec.esempio.it", "o'brien+tag@sub.dominio-pec.it"]).validate()
    }

    @Test(
        "bad addresses are refused, in From, To and Cc",
        arguments: [
            ("", "is empty"),
            ("a@b.it\r\nBcc: x@y.it", "line break"),
            ("a@b.it\n", "line break"),
            ("a\u{0}@b.it", "NUL"),
            ("nome cognome@b.it", "spaces"),
            ("Nome <a@b.it>", "spaces"),
            ("<a@b.it>", "< or >"),
            ("senza-chiocciola.it", "no @"),
            ("a@", "no domain"),
            ("@b.it", "nothing before"),
            ("a@b@c.it", "more than one @"),
            ("a@b.it,c@d.it", "more than one @"),
            ("a@b.it,d.it", "contains \",\" in its domain"),
            ("a,c@d.it", "contains \",\" before"),
            ("a..b@c.it", "empty part"),
            ("a@b..it", "empty label"),
            ("a@-b.it", "starting or ending with -"),
            ("a@" + String(repeating: "b", count: 64) + ".it", "longer than 63"),
            ("però@b.it", "non-ASCII"),
            (String(repeating: "a", count: 65) + "@b.it", "longer than 64"),
            ("a@" + String(repeating: "b", count: 250) + ".it", "longer than 254"),
        ]
    )
    func badAddresses(address: String, fragment: String) {
        Self.expectInvalid(Self.message(from: address), mentioning: fragment)
        Self.expectInvalid(Self.message(to: [address]), mentioning: fragment)
        Self.expectInvalid(Self.message(cc: [address]), mentioning: fragment)
    }

    @Test("an address of exactly 254 characters is accepted")
    func longestAddress() throws {
        let domain = (0..<4).map { _ in String(repeating: "d", count: 60) }.joined(separator: ".") + ".it"
        let address = String(repeating: "l", count: 254 - 1 - domain.count) + "@" + domain
        #expect(address.count == 254)
        try Self.message(to: [address]).validate()
    }

    @Test("at least one To recipient")
    func noRecipient() {
        Self.expectInvalid(Self.message(to: [], cc: ["a@b.it"]), mentioning: "no To")
    }

    @Test("duplicate recipients across To and Cc, case-insensitive")
    func duplicates() {
        Self.expectInvalid(Self.message(to: ["a@b.it", "A@B.IT"]), mentioning: "more than once")
        Self.expectInvalid(Self.message(to: ["a@b.it"], cc: ["a@B.it"]), mentioning: "a@B.it is given more than once")
        Self.expectInvalid(Self.message(to: ["x@b.it"], cc: ["c@d.it", "C@d.it"]), mentioning: "C@d.it")
    }

    @Test(
        "subjects with CR, LF or NUL are refused, not stripped",
        arguments: ["a\rb", "a\nb", "a\r\nBcc: x@y.it", "a\u{0}"]
    )
    func badSubjects(subject: String) {
        Self.expectInvalid(Self.message(subject: subject), mentioning: "subject")
    }

    @Test("attachments must be readable regular files; the error names the file")
    func attachments() throws {
        let scratch = try ComposeScratchDirectory()
        defer { scratch.remove() }
        let regular = try scratch.file("fattura.pdf", [1, 2, 3])
        let directory = scratch.url.appendingPathComponent("cartella")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        let fifo = scratch.url.appendingPathComponent("coda")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let missing = scratch.url.appendingPathComponent("manca.pdf")
        let linkToFile = scratch.url.appendingPathComponent("link.pdf")
        try FileManager.default.createSymbolicLink(at: linkToFile, withDestinationURL: regular)
        let linkToDirectory = scratch.url.appendingPathComponent("link-cartella")
        try FileManager.default.createSymbolicLink(at: linkToDirectory, withDestinationURL: directory)
        let dangling = scratch.url.appendingPathComponent("rotto.pdf")
        try FileManager.default.createSymbolicLink(at: dangling, withDestinationURL: missing)

        try Self.message(attachments: [regular, linkToFile]).validate()
        Self.expectInvalid(
            Self.message(attachments: [regular, directory]),
            mentioning: directory.path + " is a directory"
        )
        Self.expectInvalid(Self.message(attachments: [fifo]), mentioning: fifo.path + " is a FIFO")
        Self.expectInvalid(
            Self.message(attachments: [URL(fileURLWithPath: "/dev/null")]),
            mentioning: "/dev/null is a device"
        )
        Self.expectInvalid(Self.message(attachments: [missing]), mentioning: missing.path + " does not exist")
        Self.expectInvalid(Self.message(attachments: [linkToDirectory]), mentioning: "is a directory")
        Self.expectInvalid(Self.message(attachments: [dangling]), mentioning: dangling.path + " does not exist")
        Self.expectInvalid(
            Self.message(attachments: [URL(string: "https://example.com/a.pdf")].compactMap { $0 }),
            mentioning: "not a local file"
        )
    }

    @Test("an unreadable file is refused", .enabled(if: getuid() != 0, "root reads any file"))
    func unreadable() throws {
        let scratch = try ComposeScratchDirectory()
        defer { scratch.remove() }
        let file = try scratch.file("segreto.pdf", [1])
        #expect(chmod(file.path, 0) == 0)
        Self.expectInvalid(Self.message(attachments: [file]), mentioning: "not readable")
    }

    @Test("compose validates first")
    func composeValidates() {
        #expect(throws: PECError.self) {
            try MessageComposer.compose(Self.message(to: []), date: Date())
        }
    }
}
