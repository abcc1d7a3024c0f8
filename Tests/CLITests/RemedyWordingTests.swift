import Foundation
import Testing

@testable import PECCore
@testable import pec

/// Core names no flag: `pec` words the network and TLS remedies as the flags that fix them.
@Suite("remedies in pec's words")
struct RemedyWordingTests {
    @Test func connectionRemediesNameTheirFlags() {
        #expect(PECError.Remedy.allowMoreTime.commandLine.contains("--timeout SECONDS"))
        #expect(PECError.Remedy.trustServerCA.commandLine.contains("pec auth login --ca-file"))
        #expect(PECError.Remedy.checkServerCA(file: "/etc/pec/ca.pem").commandLine.contains("/etc/pec/ca.pem"))
        #expect(PECError.Remedy.useImplicitTLS(.imap).commandLine.contains("--imap-security tls (usually port 993)"))
        #expect(PECError.Remedy.useImplicitTLS(.smtp).commandLine.contains("--smtp-security tls (usually port 465)"))
    }

    @Test func providerLimitRemediesNameTheirFlags() {
        #expect(
            PECError.Remedy.fewerRecipients(atMost: 2).commandLine.contains("each to at most 2 recipients (--to, --cc)")
        )
        #expect(
            PECError.Remedy.removeAttachment(file: "/tmp/a b.exe").commandLine == "leave out --attach '/tmp/a b.exe'"
        )
        let after = Date(timeIntervalSince1970: 1_750_000_060)
        #expect(
            PECError.Remedy.sendAfter(after).commandLine == "run the same `pec send` again after 2025-06-15T15:07:40Z"
        )
    }

    @Test func aTimeoutSaysWhatToCheckAndWhichFlagGivesMoreTime() {
        let error = PECError(.timeout, "no answer", hint: "check the host and port", remedies: [.allowMoreTime])
        #expect(error.hint(wording: \.commandLine) == "check the host and port; allow more time with --timeout SECONDS")
    }
}
