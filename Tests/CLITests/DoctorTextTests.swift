import Foundation
import PECCore
import Testing

@testable import pec

@Suite("pec doctor's text")
struct DoctorTextTests {
    @Test("a failure: its mark, what it found, and each fix worded for pec under it")
    func failureLine() {
        let result = DoctorResult(
            "smtp.tcp",
            .failed,
            "connection refused by 127.0.0.1:1",
            fix: [.checkServer(.smtp, address: "127.0.0.1:1")]
        )
        let lines = DoctorCommand.text(result).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("✗ smtp.tcp "))
        #expect(lines[0].hasSuffix("connection refused by 127.0.0.1:1"))
        #expect(lines[1].hasPrefix("    fix: nothing answers at 127.0.0.1:1: check the SMTP port (usually 465)"))
    }

    @Test("ok and skipped: one line, no fix")
    func okAndSkipped() {
        #expect(DoctorCommand.text(DoctorResult("ledger", .ok, "opens")) == "✓ ledger             opens\n")
        let skipped = DoctorCommand.text(DoctorResult("clock", .skipped, "no server time", fix: [.synchronizeClock]))
        #expect(skipped == "- clock              skipped: no server time\n")
    }

    @Test("every doctor fix has words, and the remedies keep theirs")
    func wording() {
        #expect(DoctorFix.remedy(.allowMoreTime).commandLine == PECError.Remedy.allowMoreTime.commandLine)
        #expect(DoctorFix.restrictMode(path: "/a b", mode: "600").commandLine == "chmod 600 '/a b'")
        #expect(DoctorFix.makeWritable(path: "/s").commandLine.hasPrefix("chmod u+w /s"))
    }
}
