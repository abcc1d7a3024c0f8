import Foundation
import Testing

@testable import PECCore

@Suite("PECContext")
struct PECContextTests {
    static func box() throws -> CredentialsSandbox {
        try CredentialsSandbox(extra: ["PEC_CREDENTIAL_STORE": "file"])
    }

    @Test("the account: the one asked for, else PEC_ACCOUNT, else the default")
    func accountChoice() throws {
        let box = try Self.box()
        try box.store.save(arubaAccount("anna@pec.it", name: "anna"), password: "pw")
        try box.store.save(arubaAccount("luca@pec.it", name: "luca"), password: "pw")
        var environment = box.environment
        #expect(try PECContext(environment: environment).account().name == "anna")
        environment["PEC_ACCOUNT"] = "luca@pec.it"
        #expect(try PECContext(environment: environment).account().name == "luca")
        #expect(try PECContext(environment: environment, account: "anna").account().name == "anna")
        environment["PEC_ACCOUNT"] = ""
        #expect(try PECContext(environment: environment).accountName == nil)
    }

    @Test("a saved account's address maps to its ledger name; anything else is kept as given")
    func ledgerAccount() throws {
        let box = try Self.box()
        try box.store.save(arubaAccount("anna@pec.it", name: "ufficio"), password: "pw")
        let context = try PECContext(environment: box.environment)
        #expect(context.ledgerAccount("anna@pec.it") == "ufficio")
        #expect(context.ledgerAccount("ufficio") == "ufficio")
        #expect(context.ledgerAccount("altro@pec.it") == "altro@pec.it")
    }

    @Test("the ledger is opened once, also when many tasks ask for it at the same time")
    func ledgerOnce() async throws {
        let box = try Self.box()
        let context = try PECContext(environment: box.environment)
        let ledgers = try await withThrowingTaskGroup(of: ObjectIdentifier.self) { group in
            for _ in 0..<32 { group.addTask { ObjectIdentifier(try context.ledger()) } }
            return try await group.reduce(into: Set<ObjectIdentifier>()) { $0.insert($1) }
        }
        #expect(ledgers.count == 1)
        #expect(try context.ledger().url == SendLedger.defaultLocation(environment: box.environment))
    }

    @Test("services use the chosen account and the timeout given")
    func services() throws {
        let box = try Self.box()
        try box.store.save(arubaAccount("anna@pec.it", name: "anna"), password: "segreto")
        let context = try PECContext(environment: box.environment, timeout: 7)
        let access = try context.access()
        #expect(access.username == "anna@pec.it")
        #expect(access.password == "segreto")
        #expect(access.settings.timeout == .seconds(7))
        let sender = try context.sender(policy: SendPolicy(rateLimit: .mcpDefault))
        #expect(sender.account.name == "anna")
        #expect(sender.policy.rateLimit == .mcpDefault)
        #expect(try context.receipts().account == "anna")
    }

    @Test("a timeout outside 0 < t ≤ 3600 is refused before anything is opened", arguments: [0, -1, 3600.5, .nan])
    func badTimeout(seconds: Double) throws {
        #expect(throws: PECError.self) { try PECContext(environment: [:], timeout: seconds) }
    }
}

@Suite("ConnectionTimeout")
struct ConnectionTimeoutTests {
    @Test("given values: more than 0, at most an hour")
    func given() throws {
        #expect(try ConnectionTimeout(seconds: 0.5).duration == .milliseconds(500))
        #expect(try ConnectionTimeout(seconds: 3600).seconds == 3600)
        for bad in [0, -3, 3601, Double.infinity, .nan] {
            #expect(throws: PECError.self, "\(bad)") { try ConnectionTimeout(seconds: bad) }
        }
    }

    @Test("saved values are kept between 0.1 s and an hour; nonsense means the default")
    func saved() {
        #expect(ConnectionTimeout(clamping: 0.01)?.seconds == 0.1)
        #expect(ConnectionTimeout(clamping: 90_000)?.seconds == 3600)
        #expect(ConnectionTimeout(clamping: -1) == nil)
        #expect(ConnectionTimeout(clamping: .nan) == nil)
        var account = arubaAccount("anna@pec.it")
        account.timeoutSeconds = -5
        #expect(account.connectionSettings().timeout == ConnectionSettings.defaultTimeout)
        #expect(account.connectionSettings(timeout: 12).timeout == .seconds(12))
        #expect(account.smtpSettings(timeout: 12).endpoint == account.smtp)
    }
}
