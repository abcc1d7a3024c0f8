import COpenSSL
import Dispatch
import Foundation
import Logging
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
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: resolveWaiting(host, timeout: timeout)) }
        }
    }

    /// ``resolve(_:timeout:)`` on the calling thread, which waits for the lookup's own thread at most
    /// `timeout` (getaddrinfo itself cannot be given one).
    static func resolveWaiting(_ host: String, timeout: Duration) -> Result<[String], ResolutionFailure> {
        let answer = NIOLockedValueBox<Result<[String], ResolutionFailure>?>(nil)
        let answered = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let result = lookUp(host)
            answer.withLockedValue { $0 = result }
            answered.signal()
        }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        guard answered.wait(timeout: .now() + seconds) == .success, let result = answer.withLockedValue({ $0 }) else {
            return .failure(
                ResolutionFailure(reason: "no answer from the resolver within \(NetworkFailure.seconds(timeout))")
            )
        }
        return result
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

    /// Why a TCP connection failed: the error, and whether nothing answered at all (refused, or
    /// no answer in time), which the doctor says as "check the server and the port".
    struct ConnectFailure: Error {
        var error: PECError
        var nothingAnswers: Bool
    }

    /// Opens and closes a TCP connection; returns the address it reached.
    static func connect(_ settings: ConnectionSettings) async throws(ConnectFailure) -> String {
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
            let failure = NetworkFailure.pecError(for: error, settings: settings, phase: .connecting)
            throw ConnectFailure(error: failure, nothingAnswers: isRefused(error) || failure.kind == .timeout)
        }
    }

    private static func isRefused(_ error: any Error) -> Bool {
        if let error = error as? NIOConnectionError {
            return error.connectionErrors.contains { isRefused($0.error) }
        }
        return (error as? IOError)?.errnoCode == ECONNREFUSED
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

extension DoctorProbes {
    /// The names on the certificate a server presents, read over a handshake that verifies
    /// nothing: only to say, after the verified handshake refused the host name, which names the
    /// certificate has. Nothing is sent on that connection; it is closed at once.
    static func certificateNames(_ settings: ConnectionSettings) async -> [String]? {
        guard settings.endpoint.security == .implicitTLS else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        guard let context = try? NIOSSLContext(configuration: configuration) else { return nil }
        do {
            let channel = try await ClientBootstrap(group: EventLoops.shared)
                .connectTimeout(TimeAmount(settings.timeout))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: context, serverHostname: nil)
                        )
                        try channel.pipeline.syncOperations.addHandler(
                            HandshakeWaiter(promise: channel.eventLoop.makePromise())
                        )
                    }
                }
                .connect(host: settings.endpoint.host, port: settings.endpoint.port)
                .get()
            defer { channel.close(promise: nil) }
            let waiter = try await channel.pipeline.handler(type: HandshakeWaiter.self).get()
            let timer = channel.eventLoop.scheduleTask(in: TimeAmount(settings.timeout)) {
                waiter.finish(.failure(ChannelError.connectTimeout(TimeAmount(settings.timeout))))
            }
            defer { timer.cancel() }
            try await waiter.promise.futureResult.get()
            return try await channel.nioSSL_peerCertificate().get().map { describe($0).names }
        } catch {
            Logger(label: "pec.doctor").debug("reading the certificate's names: \(error)")
            return nil
        }
    }

    /// Fulfils its promise when the TLS handshake has completed (fails it when the channel closes or
    /// the timer fires first). Used on the channel's event loop only, which orders `finish` calls.
    private final class HandshakeWaiter: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let promise: EventLoopPromise<Void>
        private var finished = false

        init(promise: EventLoopPromise<Void>) {
            self.promise = promise
        }

        func finish(_ result: Result<Void, any Error>) {
            guard !finished else { return }
            finished = true
            promise.completeWith(result)
        }

        /// Bytes after TLS (the greeting, which mail servers send at once) mean the handshake is done.
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            finish(.success(()))
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(.failure(ChannelError.eof))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            finish(.failure(error))
        }
    }
}
