import NIOConcurrencyHelpers

/// SMTP's STARTTLS (RFC 3207): greeting 220, EHLO, a 250 that offers STARTTLS, `STARTTLS`, 220,
/// then TLS. What the server said before TLS, its capabilities included, is forgotten: the client
/// says EHLO again over TLS.
///
/// One instance serves one connection: it remembers where the dialog is.
final class SMTPStartTLSDialog: StartTLSDialog {
    private enum Phase {
        case greeting, ehlo, startTLS, finished
    }

    private struct State {
        var phase = Phase.greeting
        var parser = SMTPReplyParser()
    }

    let clientName: String
    /// `host:port`, for messages.
    let address: String
    private let state = NIOLockedValueBox(State())

    init(clientName: String, address: String) {
        self.clientName = clientName
        self.address = address
    }

    func step(after line: [UInt8], number: Int) -> StartTLSStep {
        state.withLockedValue { state in
            state.parser.append(line + [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
            let reply: SMTPReply
            do {
                guard let complete = try state.parser.next() else { return .wait }  // a multi-line reply goes on
                reply = complete
            } catch {
                return .fail(SMTPClient.notSMTP(address, error))
            }
            switch state.phase {
            case .greeting:
                if let failure = SMTPClient.greetingFailure(reply, address: address) { return .fail(failure) }
                state.phase = .ehlo
                return send(.ehlo(clientName: clientName))
            case .ehlo:
                guard reply.code == 250 else {
                    return .fail(
                        PECError(
                            .tls,
                            "the SMTP server at \(address) refused EHLO (\(reply)), so STARTTLS cannot be asked for",
                            remedy: .useImplicitTLS(.smtp)
                        )
                    )
                }
                guard SMTPCapabilities(ehloReply: reply).offersStartTLS else {
                    return .fail(
                        PECError(
                            .tls,
                            "the SMTP server at \(address) does not offer STARTTLS",
                            remedy: .useImplicitTLS(.smtp)
                        )
                    )
                }
                state.phase = .startTLS
                return send(.startTLS)
            case .startTLS:
                guard reply.code == 220 else {
                    return .fail(
                        PECError(
                            .tls,
                            "the SMTP server at \(address) refused STARTTLS: \(reply)",
                            remedy: .useImplicitTLS(.smtp),
                            retryable: reply.isTransientFailure
                        )
                    )
                }
                state.phase = .finished
                return .upgrade
            case .finished:
                return .fail(PECError(.tls, "the SMTP server at \(address) went on talking after STARTTLS"))
            }
        }
    }

    private func send(_ command: SMTPCommand) -> StartTLSStep {
        do {
            return .send(try SMTPCommandEncoder(capabilities: SMTPCapabilities()).encode(command).bytes)
        } catch {
            return .fail(PECError(.invalidInput, "cannot send \(command.name) to the SMTP server: \(error)"))
        }
    }
}
