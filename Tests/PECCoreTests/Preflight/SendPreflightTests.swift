import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

/// The providers' documented limits, checked by `SendService.prepare` before any network (so in
/// `--dry-run` as before every send), and only for the account's provider.
@Suite("send pre-flight")
struct SendPreflightTests {
    let box: LedgerSandbox
    let files: TemporaryHome

    init() throws {
        box = try LedgerSandbox()
        files = try TemporaryHome(prefix: "pec-preflight")
    }

    static let address = "mario.rossi@pec.it"

    /// An account of `provider` on servers nobody listens on: prepare must not need them.
    func service(provider: String?, ledger: SendLedger? = nil) throws -> SendService {
        let account = Account(
            address: Self.address,
            provider: provider,
            imap: ServerEndpoint(host: "127.0.0.1", port: 1),
            smtp: ServerEndpoint(host: "127.0.0.1", port: 1)
        )
        return SendService(account: account, password: "pw", ledger: try ledger ?? box.open())
    }

    func request(to: [String] = ["ufficio@pec.comune.example.it"], attachments: [String] = []) -> SendRequest {
        SendRequest(
            draft: OutgoingMessage(
                from: Self.address,
                to: to,
                subject: "Diffida",
                body: "Testo.",
                attachments: attachments.map { URL(fileURLWithPath: $0) }
            )
        )
    }

    func refusal(_ body: () throws -> Void) -> PECError? {
        do {
            try body()
            return nil
        } catch let error as PECError {
            return error
        } catch {
            Issue.record("not a PECError: \(error)")
            return nil
        }
    }

    @Test("Aruba: a renamed .exe is refused as send_refused, naming the file and the non-accettazione")
    func arubaRenamedProgram() throws {
        let path = try files.file("fattura.pdf", bytes: [0x4D, 0x5A] + Array(repeating: 0, count: 200))
        let error = try #require(refusal { _ = try service(provider: "aruba").prepare(request(attachments: [path])) })
        #expect(error.kind == .sendRefused)
        #expect(error.message.contains("Aruba PEC would not accept this message (non-accettazione)"))
        #expect(error.message.contains("fattura.pdf"))
        #expect(error.remedies == [.removeAttachment(file: path)])
    }

    @Test("Aruba: size × recipients over 100 MB is refused with the largest group that fits")
    func arubaTotalSize() throws {
        let path = files.path + "/perizia.pdf"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 30_000_000)  // sparse: ~40 MB once base64-encoded
        try handle.close()
        let recipients = (1...3).map { "ufficio\($0)@pec.comune.example.it" }
        let aruba = try service(provider: "aruba")
        let error = try #require(refusal { _ = try aruba.prepare(request(to: recipients, attachments: [path])) })
        #expect(error.kind == .sendRefused)
        #expect(error.message.contains("to 3 recipients"))
        #expect(error.message.contains("100 MB divided by the number of recipients"))
        #expect(error.remedies == [.fewerRecipients(atMost: 2)])
        // Two recipients fit: 2 × ~40 MB ≤ 100 MB.
        _ = try aruba.prepare(request(to: Array(recipients.prefix(2)), attachments: [path]))
    }

    @Test("the rule is the preset's, not the server's: a custom account or another provider sends the same files")
    func noLimitsWithoutThePreset() throws {
        let program = try files.file("setup.exe", bytes: [0x4D, 0x5A, 0, 0])
        _ = try service(provider: nil).prepare(request(attachments: [program]))
        _ = try service(provider: "namirial").prepare(request(attachments: [program]))
        _ = try service(provider: "legalmail").prepare(request(attachments: [program]))
        #expect(
            refusal { _ = try service(provider: "pec.it").prepare(request(attachments: [program])) }?.kind
                == .sendRefused
        )
    }

    /// Six sends from the address recorded at known times, the newest `newest` seconds before `now`.
    func recordSends(_ ledger: SendLedger, count: Int, status: LedgerSendStatus = .sent, from: String = address) throws
    {
        for index in 0..<count {
            var send = LedgerFixtures.newSend("<rate.\(index).\(UUID().uuidString)@pec.it>", account: from)
            send.from = from
            _ = try ledger.beginAttempt(send)
            if status != .sending {
                try ledger.recordOutcome(
                    messageID: send.messageID,
                    status: status,
                    smtpReply: nil,
                    error: nil,
                    recipients: []
                )
            }
        }
    }

    @Test("Legalmail: a 7th send within 60 seconds is refused, saying when the next is allowed")
    func legalmailPerMinute() throws {
        let clock = TestClock()
        let ledger = try box.open(clock: clock)
        try recordSends(ledger, count: 6)  // at start+1 … start+6
        let legalmail = try service(provider: "legalmail", ledger: ledger)
        let first = try #require(try ledger.submissionTimes(from: Self.address, since: .distantPast).last)
        let now = first.addingTimeInterval(30)
        let error = try #require(refusal { _ = try legalmail.prepare(request(), now: now) })
        #expect(error.kind == .sendRefused)
        #expect(error.retryable)
        let allowed = first.addingTimeInterval(60)
        #expect(error.message.contains("at most 6 messages a minute"))
        #expect(error.message.contains("the next send is allowed after \(allowed.formatted(.iso8601))"))
        #expect(error.remedies == [.sendAfter(allowed)])
        // Once the oldest send is more than a minute old, one more is allowed.
        _ = try legalmail.prepare(request(), now: allowed.addingTimeInterval(0.5))
    }

    @Test("Legalmail: sends that cannot have reached the server, and other addresses, do not count")
    func legalmailCountsOnlySubmissions() throws {
        let clock = TestClock()
        let ledger = try box.open(clock: clock)
        try recordSends(ledger, count: 5)
        try recordSends(ledger, count: 3, status: .failed)
        try recordSends(ledger, count: 3, status: .refused)
        try recordSends(ledger, count: 3, from: "altro@pec.it")
        let now = clock.now()
        _ = try service(provider: "legalmail", ledger: ledger).prepare(request(), now: now)
        try recordSends(ledger, count: 1, status: .uncertain)
        #expect(refusal { _ = try service(provider: "legalmail", ledger: ledger).prepare(request(), now: now) } != nil)
    }

    @Test("the limits are shown by pec providers: text summary and JSON fields")
    func providerRows() throws {
        let aruba = try #require(ProviderCatalog.rows.first { $0.id == "aruba" })
        #expect(aruba.limits == "100 MB ÷ recipients; no executables (also in zip)")
        #expect(aruba.maxTotalSize == 100_000_000)
        #expect(aruba.blocksExecutables == true)
        #expect(aruba.blockedExtensions?.contains("exe") == true)
        let legalmail = try #require(ProviderCatalog.rows.first { $0.id == "legalmail" })
        #expect(legalmail.maxSendsPerMinute == 6)
        #expect(legalmail.limits == "6 sends/minute")
        let poste = try #require(ProviderCatalog.rows.first { $0.id == "poste" })
        #expect(poste.limits == nil && poste.maxTotalSize == nil && poste.blockedExtensions == nil)
    }

    @Test(
        "the new remedies keep their JSON form",
        arguments: [
            PECError.Remedy.fewerRecipients(atMost: 2), .removeAttachment(file: "/tmp/x.exe"),
            .sendAfter(Date(timeIntervalSince1970: 1_750_000_060)),
        ]
    )
    func remedyJSON(remedy: PECError.Remedy) throws {
        let data = try JSONEncoder().encode(remedy)
        #expect(try JSONDecoder().decode(PECError.Remedy.self, from: data) == remedy)
    }
}
