import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

@Suite("Send policy: attachment directories and recipient allow-list")
struct SendPolicyTests {
    /// The real path, files created with `file(_:_:)`.
    typealias Files = TemporaryHome

    func request(attachments: [String] = [], to: [String] = ["a@pec.example.it"], cc: [String] = []) -> SendRequest {
        SendRequest(
            draft: OutgoingMessage(
                from: "mario@pec.example.it",
                to: to,
                cc: cc,
                subject: "s",
                body: "b",
                attachments: attachments.map { URL(fileURLWithPath: $0) }
            )
        )
    }

    @Test("a file inside an allowed directory is sent by its real path")
    func allowed() throws {
        let files = try Files()
        let invoice = try files.file("allegati/sub/fattura.pdf")
        let policy = SendPolicy(attachmentDirectories: [files.path + "/allegati"])
        let checked = try policy.apply(to: request(attachments: [files.path + "/allegati/./sub/../sub/fattura.pdf"]))
        #expect(checked.draft.attachments.map(\.path) == [invoice])
    }

    @Test("outside, through a symbolic link, by .., relative, missing, or with no directory configured: refused")
    func refused() throws {
        let files = try Files()
        _ = try files.file("allegati/ok.pdf")
        let secret = try files.file("id_rsa", "PRIVATE KEY")
        try FileManager.default.createSymbolicLink(
            atPath: files.path + "/allegati/link.pdf",
            withDestinationPath: secret
        )
        // A directory whose name starts like the allowed one is not inside it.
        let sibling = try files.file("allegati-bis/x.pdf")
        let policy = SendPolicy(attachmentDirectories: [files.path + "/allegati"])
        for path in [secret, files.path + "/allegati/link.pdf", files.path + "/allegati/../id_rsa", sibling, "ok.pdf"] {
            let error = try #require(
                throws: PECError.self,
                performing: { try policy.apply(to: request(attachments: [path])) }
            )
            #expect(error.kind == .sendRefused, "\(path)")
        }
        let missing = try #require(throws: PECError.self) {
            try policy.apply(to: request(attachments: [files.path + "/allegati/nope.pdf"]))
        }
        #expect(missing.kind == .invalidInput)
        let none = try #require(throws: PECError.self) {
            try SendPolicy(attachmentDirectories: []).apply(to: request(attachments: [files.path + "/allegati/ok.pdf"]))
        }
        #expect(none.hint?.contains("--attachments-dir") == true)
        // No restriction (the CLI): the path is left as given.
        let unchecked = try SendPolicy.unrestricted.apply(to: request(attachments: ["ok.pdf"]))
        #expect(unchecked.draft.attachments == [URL(fileURLWithPath: "ok.pdf")])
    }

    @Test("recipients: whole addresses or @domains, any case, To and Cc")
    func recipients() throws {
        let policy = SendPolicy(allowedRecipients: ["ufficio@pec.comune.it", "@pec.studio.it"])
        _ = try policy.apply(to: request(to: ["Ufficio@PEC.comune.it"], cc: ["anna@pec.studio.it"]))
        for (to, cc) in [(["altro@pec.comune.it"], []), (["ufficio@pec.comune.it"], ["x@pec.studio.it.evil.com"])] {
            let error = try #require(throws: PECError.self) { try policy.apply(to: request(to: to, cc: cc)) }
            #expect(error.kind == .sendRefused)
        }
        // `@domain` matches the domain, not a longer one ending the same way.
        #expect(SendPolicy.matches("x@notpec.studio.it", ["@pec.studio.it"]) == false)
        #expect(SendPolicy.matches("x@sub.pec.studio.it", ["@pec.studio.it"]) == false)
        #expect(SendPolicy.matches("X@PEC.Studio.it", ["@pec.studio.IT"]))
        // An entry that is no allowed-recipient pattern (pec-mcp refuses it at start) allows nobody.
        #expect(SendPolicy.matches("a@pec", ["@pec"]) == false)
    }
}
