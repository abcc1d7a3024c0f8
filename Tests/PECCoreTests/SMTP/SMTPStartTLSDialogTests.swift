import Testing

@testable import PECCore

@Suite("SMTP STARTTLS dialog")
struct SMTPStartTLSDialogTests {
    /// Runs the dialog over `lines` as StartTLSHandler would (line end removed), returning each step.
    func run(_ lines: [String]) -> [StartTLSStep] {
        let dialog = SMTPStartTLSDialog(clientName: "client.example", address: "smtp.example.it:587")
        return lines.enumerated().map { dialog.step(after: Array($0.element.utf8), number: $0.offset) }
    }

    func sent(_ step: StartTLSStep) -> String? {
        if case .send(let bytes) = step { String(decoding: bytes, as: UTF8.self) } else { nil }
    }

    func failure(_ step: StartTLSStep?) -> PECError? {
        if case .fail(let error) = step { error } else { nil }
    }

    @Test("greeting, EHLO, STARTTLS, upgrade")
    func success() {
        let steps = run([
            "220-smtp.example.it ESMTP", "220 welcome", "250-smtp.example.it", "250-STARTTLS", "250 SIZE 100",
            "220 2.0.0 Ready to start TLS",
        ])
        #expect(sent(steps[0]) == nil)
        #expect(sent(steps[1]) == "EHLO client.example\r\n")
        #expect(sent(steps[2]) == nil && sent(steps[3]) == nil)
        #expect(sent(steps[4]) == "STARTTLS\r\n")
        guard case .upgrade = steps[5] else {
            Issue.record("expected an upgrade, got \(steps[5])")
            return
        }
    }

    @Test("a server that does not offer STARTTLS fails with a TLS error naming it")
    func notOffered() throws {
        let steps = run(["220 hi", "250-smtp.example.it", "250 AUTH PLAIN"])
        let error = try #require(failure(steps.last))
        #expect(error.kind == .tls)
        #expect(error.message.contains("does not offer STARTTLS"))
    }

    @Test("STARTTLS refused")
    func refused() throws {
        let steps = run(["220 hi", "250-x", "250 STARTTLS", "454 4.7.0 TLS not available"])
        let error = try #require(failure(steps.last))
        #expect(error.kind == .tls && error.retryable)
    }

    @Test("a 421 greeting is a retryable server error, 554 a final one")
    func greetings() throws {
        let busy = try #require(failure(run(["421 4.3.2 too busy"]).first))
        #expect(busy.kind == .server && busy.retryable)
        let refused = try #require(failure(run(["554 5.7.1 go away"]).first))
        #expect(refused.kind == .server && !refused.retryable)
        let notSMTP = try #require(failure(run(["* OK IMAP4rev1 ready"]).first))
        #expect(notSMTP.kind == .malformed)
    }
}
