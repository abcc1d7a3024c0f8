import Testing

@testable import PECCore

@Suite("PECError")
struct PECErrorTests {
    @Test(
        "exit codes: 2 when not authenticated, 3 when a send is refused, 1 otherwise",
        arguments: PECError.Kind.allCases
    )
    func exitCodes(kind: PECError.Kind) {
        let expected: PECExitCode =
            switch kind {
            case .notAuthenticated: .notAuthenticated
            case .sendRefused: .sendRefused
            default: .error
            }
        #expect(PECError(kind, "x").exitCode == expected)
        #expect(expected.rawValue != 0)
    }

    @Test("the --json error object has kind, message, retryable and hint")
    func envelope() throws {
        let error = PECError(
            .timeout,
            "no answer from imaps.pec.aruba.it:993 in 30 s",
            hint: "check the network",
            retryable: true
        )
        let line = try OutputRenderer(format: .json).render(record: PECError.Envelope(error))
        #expect(
            line
                == #"{"error":{"kind":"timeout","message":"no answer from imaps.pec.aruba.it:993 in 30 s","retryable":true,"hint":"check the network"}}"#
                + "\n"
        )
        let noHint = try OutputRenderer(format: .json).render(record: PECError.Envelope(PECError(.usage, "bad flag")))
        #expect(noHint == #"{"error":{"kind":"usage","message":"bad flag","retryable":false}}"# + "\n")
    }
}
