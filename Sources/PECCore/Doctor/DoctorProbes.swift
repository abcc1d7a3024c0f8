import COpenSSL
import Dispatch
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// The steps below the mail protocols that the clients do not show apart: name resolution, a
/// plain TCP connection, and reading the certificate TLS verified. Each waits at most the
/// account's timeout.
enum DoctorProbes {
    /// The addresses `host` resolves to, via getaddrinfo (the resolver the connection uses). A
    /// resolver that hangs is given up on after `timeout`; its thread finishes on its own.
    static func resolve(_ host: String, timeout: Duration) async -> Result<[String], ResolutionFailure> {
        let once = NIOLockedValueBox(false)
        return await withCheckedContinuation { continuation in
            let finish: @Sendable (Result<[String], ResolutionFailure>) -> Void = { result in
                if once.claimOnce() { continuation.resume(returning: result) }
            }
            DispatchQueue.global().async { finish(lookUp(host)) }
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                finish(
                    .failure(
                        ResolutionFailure(
                            reason: "no answer from the resolver within \(NetworkFailure.seconds(timeout))"
                        )
                    )
                )
            }
        }
    }

    struct ResolutionFailure: Error, Equatable {
        var reason: String
    }

    private static func lookUp(_ host: String) -> Result<[String], ResolutionFailure> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            return .failure(ResolutionFailure(reason: String(cString: gai_strerror(status))))
        }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var entry = list
        while let current = entry {
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(
                current.pointee.ai_addr,
                current.pointee.ai_addrlen,
                &text,
                socklen_t(text.count),
                nil,
                0,
                NI_NUMERICHOST
            ) == 0 {
                let address = String(cString: text)
                if !addresses.contains(address) { addresses.append(address) }
            }
            entry = current.pointee.ai_next
        }
        return .success(addresses)
    }

    /// Opens and closes a TCP connection; returns the address it reached.
    static func connect(_ settings: ConnectionSettings) async throws(PECError) -> String {
        do {
            let channel = try await ClientBootstrap(group: EventLoops.shared)
                .connectTimeout(TimeAmount(settings.timeout))
                .connect(host: settings.endpoint.host, port: settings.endpoint.port)
                .get()
            let reached =
                channel.remoteAddress.flatMap { remote in
                    remote.ipAddress.map {
                        remote.protocol == .inet6 ? "[\($0)]:\(remote.port ?? 0)" : "\($0):\(remote.port ?? 0)"
                    }
                } ?? settings.address
            try? await channel.close()
            return reached
        } catch {
            throw NetworkFailure.pecError(for: error, settings: settings, phase: .connecting)
        }
    }

    /// What a report shows of a certificate (subject, issuer, validity), and the names it is for.
    static func describe(_ certificate: NIOSSLCertificate) -> (summary: CertificateSummary?, names: [String]) {
        var summary: CertificateSummary?
        if let der = try? certificate.toDERBytes() {
            der.withUnsafeBufferPointer { buffer in
                var pointer = buffer.baseAddress
                guard let x509 = d2i_X509(nil, &pointer, buffer.count) else { return }
                defer { X509_free(x509) }
                summary = SignatureVerifier.summary(x509)
            }
        }
        var names: [String] = []
        for name in certificate._subjectAlternativeNames() {
            let bytes = name.contents.withUnsafeBufferPointer { Array($0) }
            if name.nameType == .dnsName {
                names.append(String(decoding: bytes, as: UTF8.self))
            } else if name.nameType == .ipAddress {
                names.append(ipText(bytes))
            }
        }
        return (summary, names)
    }

    private static func ipText(_ bytes: [UInt8]) -> String {
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &text, socklen_t(text.count)) != nil
        }
        return ok ? String(cString: text) : bytes.map(String.init).joined(separator: ".")
    }

    static func name(of version: TLSVersion?) -> String? {
        switch version {
        case .tlsv1: "TLS 1.0"
        case .tlsv11: "TLS 1.1"
        case .tlsv12: "TLS 1.2"
        case .tlsv13: "TLS 1.3"
        case nil: nil
        }
    }
}
