import Testing

@testable import PECCore

@Suite("daticert errors as PECError")
struct DaticertErrorBridgeTests {
    @Test("a daticert.xml that cannot be read is a malformed PECError with the same message")
    func malformed() {
        let error = DaticertError.malformedXML(line: 3, column: 7, code: 76)
        #expect(error.pecError.kind == .malformed)
        #expect(error.pecError.message == error.description)
        #expect(DaticertError.missing("postacert/dati/identificativo").pecError.message.contains("identificativo"))
    }
}
