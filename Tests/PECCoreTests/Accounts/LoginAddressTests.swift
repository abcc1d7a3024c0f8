import Testing

@testable import PECCore

/// Login takes the address that will be the From of every send: it is checked with ``PECAddress``
/// (and must have a qualified domain), so an account that could never send is refused at once.
@Suite("login address")
struct LoginAddressTests {
    private static func account(_ address: String) throws -> Account {
        try AuthService.account(for: LoginRequest(address: address, provider: "aruba"))
    }

    @Test("a plain address is taken, trimmed", arguments: ["mario.rossi@pec.it", "  o'brien+pec@pec.aruba.it "])
    func accepted(address: String) throws {
        #expect(try Self.account(address).address == address.trimmingCharacters(in: .whitespaces))
    }

    @Test(
        "what is not an address, or could not be a From, is a usage error",
        arguments: [
            "", "mario", "mario@", "@pec.it", "nope@x", "a@b@pec.it", "Mario <mario@pec.it>", "mario rossi@pec.it",
            "a,b@pec.it", "a..b@pec.it", "a@pec..it", "a@-pec.it", "a@pec_it.it", "però@pec.it",
        ]
    )
    func refused(address: String) {
        do {
            _ = try Self.account(address)
            Issue.record("accepted \(address.debugDescription)")
        } catch let error as PECError {
            #expect(error.kind == .usage)
            #expect(error.message.contains("is not an e-mail address"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
