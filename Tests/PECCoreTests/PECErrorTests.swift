import Foundation
import Testing

@testable import PECCore

@Suite("PECError")
struct PECErrorTests {
    @Test("the --json error object has kind, message, retryable and hint")
    func envelope() throws {
        let error = PECError(
            .timeout,
            "no answer from imaps.pec.aruba.it:993 in 30 s",
            hint: "check the network",
            retryable: true
        )
        let line = try OutputRenderer(format: .json).render(record: PECError.Envelope(error, wording: \.action))
        #expect(
            line
                == #"{"error":{"kind":"timeout","message":"no answer from imaps.pec.aruba.it:993 in 30 s","retryable":true,"hint":"check the network"}}"#
                + "\n"
        )
        let noHint = try OutputRenderer(format: .json).render(
            record: PECError.Envelope(PECError(.usage, "bad flag"), wording: \.action)
        )
        #expect(noHint == #"{"error":{"kind":"usage","message":"bad flag","retryable":false}}"# + "\n")
    }

    @Test("remedies: the hint is the advice in the front-end's words, remedies their structured form")
    func remedies() throws {
        let error = PECError(
            .sendRefused,
            "<a@b> was already sent",
            hint: "look first",
            remedies: [.trace(messageID: "<a@b>"), .resend]
        )
        let line = try OutputRenderer(format: .json).render(
            record: PECError.Envelope(error, wording: { "[\($0.action)]" })
        )
        #expect(
            line
                == #"{"error":{"kind":"send_refused","message":"<a@b> was already sent","retryable":false,"hint":"look first; [trace]; [resend]","remedies":[{"action":"trace","message_id":"<a@b>"},{"action":"resend"}]}}"#
                + "\n"
        )
        #expect(error.description(wording: \.action) == "<a@b> was already sent (look first; trace; resend)")
    }

    @Test(
        "every remedy survives a JSON round trip",
        arguments: [
            PECError.Remedy.login(address: "anna@pec.it"), .login(address: nil), .listFolders, .chooseFolder,
            .listProviders, .listMessages(folder: "Posta inviata"), .chooseAccount, .attachLargeText, .resend,
            .trace(messageID: "<x@y>"), .sync, .searchOtherFolders, .allowMoreTime, .trustServerCA,
            .checkServerCA(file: "/etc/ca.pem"),
            .useImplicitTLS(.imap), .useImplicitTLS(.smtp),
        ]
    )
    func roundTrip(remedy: PECError.Remedy) throws {
        let error = PECError(.notFound, "x", remedy: remedy)
        let decoded = try JSONDecoder().decode(PECError.self, from: JSONEncoder().encode(error))
        #expect(decoded == error)
        #expect(decoded.remedies == [remedy])
    }
}
