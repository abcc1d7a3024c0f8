import NIOCore
import NIOPosix
import NIOSSL

/// Turns socket and TLS errors into ``PECError``s a user can act on, and decides which are worth
/// retrying: a timeout or a reset connection may pass; an unknown host or an untrusted certificate won't.
enum NetworkFailure {
    enum Phase: String {
        case connecting, handshake, reading, writing
    }

    static func timeout(_ settings: ConnectionSettings, waitingFor what: String) -> PECError {
        PECError(
            .timeout,
            "no answer from \(what) at \(settings.address) within \(seconds(settings.timeout))",
            hint: "check the host and port",
            remedies: [.allowMoreTime],
            retryable: true
        )
    }

    /// A response that started but did not finish by its ``ResponseDeadline``: the server sends
    /// too little, too slowly (a drip).
    static func tooSlow(_ settings: ConnectionSettings, _ deadline: ResponseDeadline) -> PECError {
        PECError(
            .timeout,
            "the server at \(settings.address) did not finish its answer in time (\(deadline.receivedByteCount) "
                + "bytes in more than \(seconds(deadline.timeout)); pec waits \(seconds(deadline.timeout)) plus 1 s "
                + "for every \(ResponseDeadline.minimumRate / 1024) KiB)",
            hint: "the server or the network is too slow",
            remedies: [.allowMoreTime],
            retryable: true
        )
    }

    static func closed(_ settings: ConnectionSettings) -> PECError {
        PECError(.network, "the server at \(settings.address) closed the connection", retryable: true)
    }

    static func pecError(for error: any Error, settings: ConnectionSettings, phase: Phase) -> PECError {
        if let error = error as? PECError { return error }
        let address = settings.address
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout:
                return timeout(settings, waitingFor: "a connection")
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed:
                return closed(settings)
            default:
                return PECError(.network, "connection to \(address) failed: \(error)", retryable: true)
            }
        }
        if let error = error as? NIOConnectionError {
            if error.connectionErrors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
                return PECError(
                    .network,
                    "cannot resolve the host name \(settings.endpoint.host)",
                    hint: "check the server name (or the network connection)"
                )
            }
            if let first = error.connectionErrors.first?.error {
                return pecError(for: first, settings: settings, phase: phase)
            }
            return PECError(.network, "cannot connect to \(address)", retryable: true)
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED:
                return PECError(
                    .network,
                    "connection refused by \(address)",
                    hint: "check the port, and that the server is running"
                )
            case ECONNRESET, EPIPE:
                return PECError(.network, "the connection to \(address) was reset", retryable: true)
            case ETIMEDOUT:
                return timeout(settings, waitingFor: "a connection")
            case ENETUNREACH, EHOSTUNREACH:
                return PECError(.network, "\(address) is unreachable", hint: "check the network", retryable: true)
            default:
                return PECError(.network, "network error with \(address): \(error)", retryable: true)
            }
        }
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            return certificateMismatch(settings)
        }
        if let error = error as? NIOSSLError {
            switch error {
            case .handshakeFailed(let reason):
                let text = "\(reason)"
                if text.contains("CERTIFICATE_VERIFY_FAILED") {
                    return PECError(
                        .tls,
                        "the certificate of \(address) could not be verified (not trusted, expired, or not "
                            + "issued for \(settings.endpoint.host))",
                        remedies: [settings.caFile.map { .checkServerCA(file: $0) } ?? .trustServerCA]
                    )
                }
                return PECError(.tls, "the TLS handshake with \(address) failed: \(text)")
            case .uncleanShutdown:
                return closed(settings)
            default:
                return PECError(.tls, "TLS error with \(address): \(error)")
            }
        }
        if error is NIOSSLCloseTimedOutError {
            return closed(settings)
        }
        return PECError(.network, "connection error with \(address) while \(phase.rawValue): \(error)")
    }

    static func certificateMismatch(_ settings: ConnectionSettings) -> PECError {
        PECError(
            .tls,
            "the certificate of \(settings.address) is not issued for \(settings.endpoint.host)",
            hint: "connect with the host name the certificate names (pec never skips this check)"
        )
    }

    /// `12.3 ms` / `1.2 s`, for logs.
    static func short(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds < 1 ? String(format: "%.1f ms", seconds * 1000) : String(format: "%.2f s", seconds)
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
