import Foundation
import NIOSSL
import PECWire

extension DoctorService {
    /// The IMAP capabilities pec uses when offered (it works around their absence, more slowly).
    static let wantedIMAPCapabilities: [IMAP.Capability] = [.idle, .uidPlus, .move, .specialUse, .literalPlus]

    static let imapChecks = ["dns", "tcp", "tls", "greeting", "capabilities", "login", "folders"].map { "imap." + $0 }
    static let smtpChecks = ["dns", "tcp", "tls", "greeting", "ehlo", "login"].map { "smtp." + $0 }

    // MARK: - IMAP

    func checkIMAP(password: String?, _ recorder: DoctorRecorder) async {
        let settings = account.connectionSettings(timeout: timeout)
        guard await reachable(.imap, settings, Self.imapChecks, recorder) else { return }
        do {
            try await IMAPClient.withConnection(settings, logger: logger) { client in
                recorder.add(greeting("imap.greeting", client.greeting))
                guard let password else {
                    recorder.add(imapCapabilities(client.capabilities, loggedIn: false))
                    recorder.add(.skipped("imap.login", because: "no password (the credentials check failed)"))
                    recorder.add(.skipped("imap.folders", because: "imap.login was skipped"))
                    return
                }
                do {
                    try await client.login(username: account.address, password: password)
                } catch let error as PECError {
                    recorder.add(imapCapabilities(client.capabilities, loggedIn: false))
                    recorder.add(loginFailure("imap.login", .imap, error))
                    recorder.skipRemaining(Self.imapChecks, after: "imap.login")
                    return
                }
                recorder.add(imapCapabilities(client.capabilities, loggedIn: true))
                LoginHistory(environment: environment).recordAccepted(account.address)
                recorder.add(DoctorResult("imap.login", .ok, "logged in as \(account.address)"))
                recorder.add(try await folders(client))
            }
        } catch {
            attribute(error, to: Self.imapChecks, recorder)
        }
    }

    func imapCapabilities(_ offered: Set<IMAP.Capability>, loggedIn: Bool) -> DoctorResult {
        let missing = Self.wantedIMAPCapabilities.filter { !offered.contains($0) }.map(\.rawValue)
        var details = DoctorDetails()
        details.capabilities = offered.map(\.rawValue).sorted()
        details.missingCapabilities = missing.isEmpty ? nil : missing
        let names = Self.wantedIMAPCapabilities.map(\.rawValue).joined(separator: ", ")
        if missing.isEmpty {
            return DoctorResult("imap.capabilities", .ok, "\(names) offered", details: details)
        }
        // Servers name some only after login (Dovecot: MOVE, UIDPLUS, SPECIAL-USE): no verdict yet.
        guard loggedIn else {
            return DoctorResult(
                "imap.capabilities",
                .skipped,
                "only the capabilities before login are known, without \(missing.joined(separator: ", "))",
                details: details
            )
        }
        return DoctorResult(
            "imap.capabilities",
            .warning,
            "the server does not offer \(missing.joined(separator: ", "))",
            fix: [.missingCapabilities(.imap, missing)],
            details: details
        )
    }

    /// INBOX and the folder sent messages are kept in (SPECIAL-USE \Sent, or a usual name).
    func folders(_ client: IMAPClient) async throws -> DoctorResult {
        let entries = try await client.listMailboxes()
        guard let inbox = entries.first(where: { $0.name.isInbox }) else {
            return DoctorResult("imap.folders", .failed, "the server lists no INBOX", fix: [.remedy(.listFolders)])
        }
        var details = DoctorDetails()
        details.folders = ["inbox": inbox.name.displayName]
        let sent: IMAP.MailboxName
        do {
            sent = try await FolderResolver.resolve("sent", client: client)
        } catch let error as PECError where error.kind == .notFound {
            return DoctorResult(
                "imap.folders",
                .warning,
                "INBOX found; no folder is marked as Sent (\(entries.count) folders)",
                fix: [.remedy(.chooseFolder)],
                details: details
            )
        }
        details.folders?["sent"] = sent.displayName
        return DoctorResult(
            "imap.folders",
            .ok,
            "INBOX and \(sent.displayName) (sent) found, \(entries.count) folders",
            details: details
        )
    }

    // MARK: - SMTP

    /// Checks SMTP; returns the server's time when its greeting or EHLO says it.
    func checkSMTP(password: String?, _ recorder: DoctorRecorder) async -> Date? {
        let settings = account.smtpSettings(timeout: timeout)
        guard await reachable(.smtp, settings, Self.smtpChecks, recorder) else { return nil }
        do {
            return try await SMTPClient.withConnection(settings, logger: logger) { client in
                recorder.add(greeting("smtp.greeting", client.greeting?.text))
                recorder.add(ehlo(client.capabilities, understood: client.helloReply != nil))
                let serverTime = Self.serverTime(
                    in: (client.greeting?.lines ?? []) + (client.helloReply?.lines.prefix(1) ?? [])
                )
                guard let password else {
                    recorder.add(.skipped("smtp.login", because: "no password (the credentials check failed)"))
                    return serverTime
                }
                do {
                    try await client.authenticate(user: account.address, password: password)
                    recorder.add(DoctorResult("smtp.login", .ok, "AUTH accepted for \(account.address) (nothing sent)"))
                } catch let error as PECError {
                    recorder.add(loginFailure("smtp.login", .smtp, error))
                }
                return serverTime
            }
        } catch {
            attribute(error, to: Self.smtpChecks, recorder)
            return nil
        }
    }

    func ehlo(_ capabilities: SMTPCapabilities, understood: Bool) -> DoctorResult {
        var details = DoctorDetails()
        details.capabilities = capabilities.keywords.sorted()
        details.authMechanisms = capabilities.authMechanisms.sorted()
        details.maximumMessageSize = capabilities.maximumSize
        guard understood else {
            return DoctorResult(
                "smtp.ehlo",
                .failed,
                "the server does not understand EHLO, so it offers no login",
                fix: [.advice("check the SMTP host and port (PEC submission is usually port 465)")]
            )
        }
        let size =
            capabilities.maximumSize.map {
                "SIZE \(ByteCountFormatter.string(fromByteCount: Int64($0), countStyle: .file))"
            } ?? "no SIZE limit"
        let mechanisms = capabilities.authMechanisms.sorted().joined(separator: " ")
        guard !capabilities.authMechanisms.isDisjoint(with: ["PLAIN", "LOGIN"]) else {
            return DoctorResult(
                "smtp.ehlo",
                .failed,
                "the server offers no password login (AUTH \(mechanisms.isEmpty ? "none" : mechanisms)); \(size)",
                fix: [.advice("check the SMTP host and port (PEC submission is usually port 465)")],
                details: details
            )
        }
        return DoctorResult("smtp.ehlo", .ok, "AUTH \(mechanisms); \(size)", details: details)
    }

    // MARK: - Shared steps

    /// What the server said first (nil: it was read in cleartext by the STARTTLS dialog).
    func greeting(_ check: String, _ text: String?) -> DoctorResult {
        guard let text else { return DoctorResult(check, .ok, "the server greeted before STARTTLS") }
        var details = DoctorDetails()
        details.greeting = text
        return DoctorResult(check, .ok, "the server greets: \(text)", details: details)
    }

    /// DNS, TCP and TLS of one server; false (the rest skipped) when one failed.
    func reachable(
        _ service: ServerEndpoint.MailProtocol,
        _ settings: ConnectionSettings,
        _ checks: [String],
        _ recorder: DoctorRecorder
    ) async -> Bool {
        let prefix = service.rawValue
        let host = settings.endpoint.host
        switch await DoctorProbes.resolve(host, timeout: settings.timeout) {
        case .success(let addresses):
            var details = DoctorDetails()
            details.addresses = addresses
            recorder.add(
                DoctorResult("\(prefix).dns", .ok, "\(host) is \(addresses.joined(separator: ", "))", details: details)
            )
        case .failure(let failure):
            recorder.add(
                DoctorResult(
                    "\(prefix).dns",
                    .failed,
                    "cannot resolve \(host): \(failure.reason)",
                    fix: [.checkHostName(service, host: host)]
                )
            )
            recorder.skipRemaining(checks, after: "\(prefix).dns")
            return false
        }
        do {
            let reached = try await DoctorProbes.connect(settings)
            recorder.add(DoctorResult("\(prefix).tcp", .ok, "connected to \(reached)"))
        } catch {
            // A structured fix in place of the error's worded hint, which says the same.
            let fix =
                error.nothingAnswers
                ? [.checkServer(service, address: settings.address)] + error.error.remedies.map { .remedy($0) }
                : DoctorFix.from(error.error)
            recorder.add(DoctorResult("\(prefix).tcp", .failed, error.error.message, fix: fix))
            recorder.skipRemaining(checks, after: "\(prefix).tcp")
            return false
        }
        let result = await tls(service, settings)
        recorder.add(result)
        guard result.status != .failed else {
            recorder.skipRemaining(checks, after: "\(prefix).tls")
            return false
        }
        return true
    }

    /// A TLS handshake (after the protocol's STARTTLS where the account uses it) with the account's
    /// CA file and host-name verification, on a connection of its own; what the certificate says.
    func tls(_ service: ServerEndpoint.MailProtocol, _ settings: ConnectionSettings) async -> DoctorResult {
        let check = "\(service.rawValue).tls"
        let dialog: (any StartTLSDialog)?
        switch (settings.endpoint.security, service) {
        case (.implicitTLS, _): dialog = nil
        case (.startTLS, .imap): dialog = IMAPStartTLSDialog()
        case (.startTLS, .smtp): dialog = SMTPStartTLSDialog(clientName: "localhost", address: settings.address)
        }
        let peer: (version: String?, certificate: NIOSSLCertificate?)
        do {
            peer = try await NetworkStream.withStream(settings, startTLS: dialog, logger: logger) { stream in
                // The handshake has completed once bytes come through it: the greeting with implicit
                // TLS; after STARTTLS the server waits for a command, so a NOOP (changes nothing).
                if dialog != nil { try await stream.write(Array((service == .imap ? "D1 NOOP\r\n" : "NOOP\r\n").utf8)) }
                _ = try await stream.read()
                let session = try await stream.tlsPeer()
                return (DoctorProbes.name(of: session.version), session.certificate)
            }
        } catch let error as PECError where error == NetworkFailure.certificateMismatch(settings) {
            return await hostNameMismatch(service, settings, error)
        } catch let error as PECError {
            return .failed(check, error)
        } catch {
            return .failed(check, PECError(.tls, "the TLS handshake with \(settings.address) failed: \(error)"))
        }
        var details = DoctorDetails()
        details.tlsVersion = peer.version
        let version = peer.version ?? "TLS"
        guard let certificate = peer.certificate else {
            return DoctorResult(check, .ok, "\(version), certificate verified", details: details)
        }
        let (summary, names) = DoctorProbes.describe(certificate)
        details.certificate = summary
        details.certificateNames = names
        let notAfter = Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter))
        let found =
            "\(version), certificate verified for \(settings.endpoint.host): \(summary?.subject ?? "?") issued by "
            + "\(summary?.issuer ?? "?"), valid until \(notAfter.formatted(.iso8601.year().month().day()))"
        if notAfter.timeIntervalSince(now()) < Self.certificateWarning {
            return DoctorResult(
                check,
                .warning,
                found + " (expires in less than 14 days)",
                fix: [.certificateExpiresSoon(service, notAfter: notAfter)],
                details: details
            )
        }
        return DoctorResult(check, .ok, found, details: details)
    }

    /// The certificate is not for the account's host: which names it has, and to log in with one.
    func hostNameMismatch(
        _ service: ServerEndpoint.MailProtocol,
        _ settings: ConnectionSettings,
        _ error: PECError
    ) async -> DoctorResult {
        let check = "\(service.rawValue).tls"
        guard let names = await DoctorProbes.certificateNames(settings), !names.isEmpty else {
            return .failed(check, error)
        }
        var details = DoctorDetails()
        details.certificateNames = names
        return DoctorResult(
            check,
            .failed,
            "\(error.message): it is for \(names.joined(separator: ", "))",
            fix: [.useCertificateName(service, names: names)],
            details: details
        )
    }

    /// A rejected login: said as for any saved password (one that worked before has likely
    /// expired), with logging in again as the fix.
    func loginFailure(_ check: String, _ service: ServerEndpoint.MailProtocol, _ error: PECError) -> DoctorResult {
        guard error.kind == .authenticationFailed || error.kind == .notAuthenticated else {
            return .failed(check, error)
        }
        let rejection = LoginHistory.rejection(
            of: error,
            address: account.address,
            server: service,
            lastAccepted: LoginHistory(environment: environment).lastAccepted(account.address),
            now: now()
        )
        var fix = rejection.remedies.map { DoctorFix.remedy($0) }
        if fix.isEmpty { fix = [.remedy(.login(address: account.address))] }
        return DoctorResult(check, .failed, rejection.message, fix: fix)
    }

    /// An error that ended a session before its body had reported everything: it belongs to the
    /// first check not reported yet (the greeting, as TLS was checked before); the rest are skipped.
    func attribute(_ error: any Error, to checks: [String], _ recorder: DoctorRecorder) {
        let error = error as? PECError ?? PECError(.internal, "unexpected error: \(error)")
        guard let next = checks.first(where: { !recorder.contains($0) }) else {
            logger.debug("after the checks: \(error)")
            return
        }
        recorder.add(.failed(next, error))
        recorder.skipRemaining(checks, after: next)
    }
}
