import Foundation
import Testing

@testable import PECCore

@Suite("DoctorService: the checks that need no server")
struct DoctorServiceTests {
    static let now = Date(timeIntervalSince1970: 1_796_000_000)

    @Test("a date in an SMTP greeting is found; a greeting without one gives none")
    func serverTimeInGreeting() throws {
        let line = "mx.example.it ESMTP Sendmail 8.15.2/8.15.2; Sun, 6 Dec 2026 21:30:00 +0100"
        let date = try #require(DoctorService.serverTime(in: [line]))
        #expect(date == Date(timeIntervalSince1970: 1_796_589_000))
        #expect(DoctorService.serverTime(in: ["smtp.pec.sandbox PEC Sandbox ESMTP"]) == nil)
        #expect(DoctorService.serverTime(in: ["mx ESMTP 8.15 ready 12 3 4"]) == nil)
    }

    @Test("clock: ok within a minute, a warning within five, failed beyond; skipped without a server time")
    func clockSkew() {
        let ok = DoctorService.clockCheck(serverTime: Self.now.addingTimeInterval(-20), now: Self.now)
        #expect(ok.status == .ok)
        #expect(ok.details?.skewSeconds == 20)
        #expect(ok.found.contains("20 s ahead"))
        let warning = DoctorService.clockCheck(serverTime: Self.now.addingTimeInterval(120), now: Self.now)
        #expect(warning.status == .warning)
        #expect(warning.fix == [.synchronizeClock])
        #expect(warning.found.contains("behind"))
        #expect(
            DoctorService.clockCheck(serverTime: Self.now.addingTimeInterval(-900), now: Self.now).status == .failed
        )
        let skipped = DoctorService.clockCheck(serverTime: nil, now: Self.now)
        #expect(skipped.status == .skipped)
        #expect(skipped.fix.isEmpty)
    }

    @Test("a fix survives JSON both ways, doctor actions and error remedies alike")
    func fixCoding() throws {
        let fixes: [DoctorFix] = [
            .remedy(.login(address: "a@pec.it")), .advice("check the port"),
            .checkServer(.smtp, address: "127.0.0.1:1"), .checkHostName(.imap, host: "imap.example"),
            .restrictMode(path: "/x", mode: "600"), .makeWritable(path: "/s"), .synchronizeClock,
            .missingCapabilities(.imap, ["MOVE"]), .fixPasswordCommand(address: "a@pec.it"),
            .certificateExpiresSoon(.imap, notAfter: Self.now), .useCertificateName(.smtp, names: ["localhost"]),
        ]
        let data = try JSONEncoder().encode(fixes)
        #expect(try JSONDecoder().decode([DoctorFix].self, from: data) == fixes)
        let login = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(fixes[0])) as? [String: Any]
        #expect(login?["action"] as? String == "login")
        #expect(login?["address"] as? String == "a@pec.it")
    }

    @Test("the ledger: a 0500 directory is read-only for its owner, whoever runs the check; 0700 opens")
    func ledgerDirectoryMode() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("pec-doctor-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: state) }
        let directory = state.appendingPathComponent("pec")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = AccountStore(environment: ["XDG_STATE_HOME": state.path, "HOME": state.path])
        let account = Account(
            address: "a@pec.sandbox",
            imap: ServerEndpoint(host: "127.0.0.1", port: 1),
            smtp: ServerEndpoint(host: "127.0.0.1", port: 1)
        )
        let doctor = DoctorService(account: account, store: store)

        try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: directory.path)
        let readOnly = doctor.ledgerCheck()
        #expect(readOnly.status == .failed)
        #expect(readOnly.found.contains("read-only (mode 500)"))
        #expect(readOnly.fix == [.makeWritable(path: directory.path)])

        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
        let writable = doctor.ledgerCheck()
        #expect(writable.status == .ok || writable.status == .warning, "\(writable)")
        #expect(writable.details?.schemaSteps == LedgerSchema.makeMigrator().migrations.count)

        let file = directory.appendingPathComponent("ledger.sqlite")
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: file.path)
        let readOnlyFile = doctor.ledgerCheck()
        #expect(readOnlyFile.status == .failed)
        #expect(readOnlyFile.fix == [.makeWritable(path: file.path)])
    }

    @Test("credentials: no saved password fails with `log in`, and the logins are then skipped")
    func missingPassword() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("pec-doctor-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let store = AccountStore(environment: ["XDG_CONFIG_HOME": home.path, "HOME": home.path])
        let account = Account(
            address: "a@pec.sandbox",
            imap: ServerEndpoint(host: "127.0.0.1", port: 1),
            smtp: ServerEndpoint(host: "127.0.0.1", port: 1),
            passwordStorage: .file
        )
        let credentials = DoctorService(account: account, store: store).credentialsCheck()
        #expect(credentials.password == nil)
        #expect(credentials.result.status == .failed)
        #expect(credentials.result.fix.contains(.remedy(.login(address: "a@pec.sandbox"))))
    }

    @Test("credentials: a file store others can read fails with the chmod, once")
    func looseCredentialsFile() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("pec-doctor-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let store = AccountStore(
            environment: ["XDG_CONFIG_HOME": home.path, "HOME": home.path, "PEC_CREDENTIAL_STORE": "file"]
        )
        let account = Account(
            address: "a@pec.sandbox",
            imap: ServerEndpoint(host: "127.0.0.1", port: 1),
            smtp: ServerEndpoint(host: "127.0.0.1", port: 1)
        )
        try store.save(account, password: "secret")
        let saved = try store.account(named: nil)
        let doctor = DoctorService(account: saved, store: store)
        let good = doctor.credentialsCheck()
        #expect(good.result.status == .ok, "\(good.result)")
        #expect(good.password == "secret")
        #expect(!good.result.found.contains("secret"))

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: store.credentialsFile.path)
        let loose = doctor.credentialsCheck()
        #expect(loose.result.status == .failed)
        #expect(loose.password == nil)
        #expect(loose.result.fix == [.restrictMode(path: store.credentialsFile.path, mode: "600")])
    }
}
