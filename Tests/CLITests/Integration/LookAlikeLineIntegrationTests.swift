import Foundation
import Testing
@testable import PECTestSupport

/// Values from mail that try to print lines of their own: a file name with line ends (RFC 2231),
/// a subject and a sender name with CR, LF, ESC and a bidi override (RFC 2047). Text output keeps
/// each on its line; JSON keeps the exact value.
@Suite(
    "values from mail never print look-alike lines (sandbox)",
    .enabled(if: SandboxHarness.isAnnounced, "run through `make test`")
)
struct LookAlikeLineIntegrationTests {
    let sandbox: SandboxHarness
    /// A recipient's mailbox: other tests only add to it, none counts it.
    static let user = "luca.verdi"
    static let forgedFilename = "x.pdf\n    pec_type: avvenuta-consegna\n    signature: valid"

    init() throws {
        sandbox = try SandboxHarness()
        let login = try sandbox.login(Self.user)
        try #require(login.status == 0, "login failed: \(login.stderr)")
    }

    /// The hostile message, its unique token in the subject.
    static func message(token: String) -> String {
        // RFC 2231: the file name's bytes percent-encoded, line ends included.
        let filename = forgedFilename.utf8.map { byte -> String in
            let c = Character(Unicode.Scalar(byte))
            return c.isLetter || c.isNumber || c == "." || c == "-" ? String(c) : String(format: "%%%02X", byte)
        }.joined()
        return [
            "From: =?UTF-8?Q?Mario=0D=0Asignature:_valid=1B[2J?= <mario.rossi@pec.sandbox>",
            "To: \(user)@pec.sandbox",
            "Subject: =?UTF-8?Q?\(token)=0D=0Apec=5Ftype:_avvenuta-consegna=1B]0;x=07=E2=80=AEfdp.exe?=",
            "Message-ID: <\(token)@pec.sandbox>",
            "Date: \(DateFormatter.rfc5322.string(from: Date()))",
            "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=\"BB\"",
            "",
            "--BB",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Buongiorno,",
            "pec_type: posta-certificata",
            "--BB",
            "Content-Type: application/pdf",
            "Content-Disposition: attachment; filename*=UTF-8''\(filename)",
            "Content-Transfer-Encoding: base64",
            "",
            "JVBERi0xLjQK",
            "--BB--",
            "",
        ].joined(separator: "\r\n")
    }

    /// Writes a message into the user's Maildir the way Dovecot expects (owner of the folder, `new/`).
    func drop(_ text: String) throws {
        let maildir = URL(fileURLWithPath: sandbox.directory)
            .appendingPathComponent("mail/pec.sandbox/\(Self.user)/Maildir/new")
        let file = maildir.appendingPathComponent("\(Int(Date().timeIntervalSince1970)).\(UUID().uuidString).look")
        try Data(text.utf8).write(to: file)
        var info = stat()
        if stat(maildir.path, &info) == 0 { _ = chown(file.path, info.st_uid, info.st_gid) }
    }

    /// The lines of a text output that, once their indentation and list marker are set aside,
    /// start with `label`.
    static func lines(in text: String, startingWith label: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter {
            $0.drop(while: { $0 == " " || $0 == "-" }).hasPrefix(label)
        }
    }

    static func expectOneLineEach(_ text: String, command: String) {
        #expect(lines(in: text, startingWith: "pec_type:").isEmpty, "\(command): \(text)")
        #expect(lines(in: text, startingWith: "signature:").allSatisfy { $0 == "signature:" }, "\(command): \(text)")
        #expect(!text.unicodeScalars.contains { [0x1B, 0x07, 0x0D, 0x202E].contains($0.value) }, "\(command)")
        let filenames = lines(in: text, startingWith: "filename:")
        #expect(filenames == ["  - filename: x.pdf␊    pec_type: avvenuta-consegna␊    signature: valid"], "\(command)")
        #expect(text.contains("\n  | pec_type: posta-certificata\n"), "\(command): the body's lines are marked")
    }

    @Test("get, search and verify show the file name, subject and sender on one line; JSON keeps the file name")
    func oneLinePerValue() throws {
        defer { sandbox.cleanUp() }
        let token = "Lookalike\(UUID().uuidString.prefix(8))"
        try drop(Self.message(token: token))

        var rows: [[String: Any]] = []
        for _ in 0..<20 {
            rows = try sandbox.pec(["search", token, "--field", "subject", "--json"]).jsonLines()
            if !rows.isEmpty { break }
            Thread.sleep(forTimeInterval: 0.25)
        }
        let uid = try #require(rows.first?["id"] as? Int, "the dropped message is not found")

        let search = try sandbox.pec(["search", token, "--field", "subject"])
        #expect(search.status == 0, "stderr: \(search.stderr)")
        #expect(search.stdoutLines.count == 2, "the header and one row: \(search.stdout)")

        let get = try sandbox.pec(["get", "\(uid)", "--verify"])
        #expect(get.status == 0, "stderr: \(get.stderr)")
        Self.expectOneLineEach(get.stdout, command: "get")

        let json = try #require(try sandbox.pec(["get", "\(uid)", "--json"]).jsonLines().first)
        let attachments = try #require(json["attachments"] as? [[String: Any]])
        #expect(attachments.map { $0["filename"] as? String } == [Self.forgedFilename])

        let file = sandbox.configHome.appendingPathComponent("lookalike.eml").path
        #expect(try sandbox.pec(["get", "\(uid)", "--save-eml", file]).status == 0)
        let verify = try sandbox.pec(["verify", file])
        #expect(verify.status == 1, "not a PEC: \(verify.stderr)")
        Self.expectOneLineEach(verify.stdout, command: "verify")
        let verified = try #require(try sandbox.pec(["verify", file, "--json"]).jsonLines().first)
        #expect(((verified["attachments"] as? [[String: Any]])?.first?["filename"] as? String) == Self.forgedFilename)
    }
}

extension DateFormatter {
    fileprivate static var rfc5322: DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, d MMM yyyy HH:mm:ss Z"
        return formatter
    }
}
