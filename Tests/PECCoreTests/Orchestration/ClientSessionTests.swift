import Foundation
import Logging
import Testing

@testable import PECCore
@testable import PECTestSupport

/// The parts of a session the use-case tests do not reach: IDLE's timed DONE and STARTTLS.
@Suite("IMAP sessions over a scripted server")
struct ClientSessionTests {
    static let logger = Logger(label: "test")

    /// The scripted server on the cleartext port, upgraded with STARTTLS.
    static func startTLSSettings(_ connector: ScriptedConnector) -> ConnectionSettings {
        var settings = connector.settings()
        settings.endpoint = ServerEndpoint(host: "scripted.invalid", port: 143, security: .startTLS)
        return settings
    }

    @Test("IDLE ends with DONE when its time is up (the script's clock runs when the client waits)")
    func idleEndsOnTime() async throws {
        var imap = IMAPScript()
        imap.greeting()
        let tag = imap.takeTag()
        imap.client("\(tag) IDLE")
        imap.server("+ idling", "* 3 EXPUNGE")
        imap.client("DONE")
        imap.server("\(tag) OK Idle completed.")
        imap.logout()
        let connector = ScriptedConnector(imap.steps)

        let responses = try await IMAPClient.withConnection(connector.settings(), logger: Self.logger) { client in
            try await client.idle(maximum: .seconds(600))
        }

        connector.verify()
        #expect(responses == [.untagged(.expunge(3))])
    }

    @Test("IDLE ends at once when a response is what the caller waits for, and DONE is sent only once")
    func idleStopsEarly() async throws {
        var imap = IMAPScript()
        imap.greeting()
        let tag = imap.takeTag()
        imap.client("\(tag) IDLE")
        imap.server("+ idling")
        imap.server("* 4 EXISTS")
        imap.client("DONE")
        imap.server("\(tag) OK Idle completed.")
        imap.logout()
        let connector = ScriptedConnector(imap.steps)

        let responses = try await IMAPClient.withConnection(connector.settings(), logger: Self.logger) { client in
            try await client.idle(maximum: .seconds(600)) { $0 == .untagged(.exists(4)) }
        }

        connector.verify()
        #expect(responses == [.untagged(.exists(4))])
    }

    @Test("STARTTLS: the cleartext dialog runs over the script, then the session asks for capabilities")
    func startTLS() async throws {
        var imap = IMAPScript()
        imap.server("* OK Dovecot ready.")
        imap.client("S0 STARTTLS")
        imap.server("S0 OK Begin TLS negotiation now.")
        imap.command("CAPABILITY", ["* CAPABILITY \(IMAPScript.capabilities)"])
        imap.logout()
        let connector = ScriptedConnector(imap.steps)
        let settings = Self.startTLSSettings(connector)

        let capabilities = try await IMAPClient.withConnection(settings, logger: Self.logger) { $0.capabilities }

        connector.verify()
        #expect(capabilities.contains(.idle))
    }

    @Test("a PREAUTH greeting in cleartext is refused before anything is sent")
    func preauthInCleartext() async throws {
        var imap = IMAPScript()
        imap.server("* PREAUTH welcome")
        let connector = ScriptedConnector(imap.steps)
        let settings = Self.startTLSSettings(connector)

        let error = await Self.refusedConnection(settings)

        connector.verify()
        #expect(error?.kind == .tls)
    }

    @Test("a refused STARTTLS is a TLS error whose remedy is implicit TLS for IMAP (no flag named in core)")
    func startTLSRefused() async throws {
        var imap = IMAPScript()
        imap.server("* OK Dovecot ready.")
        imap.client("S0 STARTTLS")
        imap.server("S0 NO STARTTLS is not available.")
        let connector = ScriptedConnector(imap.steps)
        let settings = Self.startTLSSettings(connector)

        let error = await Self.refusedConnection(settings)

        connector.verify()
        #expect(error?.kind == .tls)
        #expect(error?.remedies == [.useImplicitTLS(.imap)])
        #expect(error?.hint?.contains("--") != true)
    }

    static func refusedConnection(_ settings: ConnectionSettings) async -> PECError? {
        await #expect(throws: PECError.self) {
            try await IMAPClient.withConnection(settings, logger: Self.logger) { _ in }
        }
    }
}
