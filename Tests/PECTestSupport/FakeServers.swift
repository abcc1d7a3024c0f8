import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Misbehaving servers on 127.0.0.1 for the failure tests: one that accepts connections and never
/// says a word, one that speaks IMAP with a certificate for another host.
final class FakeServer: Sendable {
    let port: Int
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    /// Accepts TCP connections and keeps them open without reading or writing anything.
    static func blackHole() async throws -> FakeServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return FakeServer(channel: channel)
    }

    /// An IMAPS greeting behind a certificate valid for `localhost` only (no IP address in it),
    /// signed by the sandbox CA: trusted, but not for 127.0.0.1.
    static func wrongHostIMAPS(certificate: String, key: String) async throws -> FakeServer {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        )
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(Greeter())
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return FakeServer(channel: channel)
    }

    /// Cleartext IMAP: sends `greeting`, then answers each line the client sends with `reply(line)`
    /// (nothing when nil). For STARTTLS dialogs that go wrong.
    static func plainIMAP(
        greeting: String,
        reply: @escaping @Sendable (String) -> String?
    ) async throws -> FakeServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Scripted(greeting: greeting, reply: reply))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return FakeServer(channel: channel)
    }

    /// What a ``dripping(certificate:key:greeting:answer:)`` server says.
    enum Answer: Sendable {
        /// At once.
        case say(String)
        /// One byte every `interval`, until the text ends or the client hangs up.
        case drip(String, every: TimeAmount)
        /// At once, then the connection is reset (no TLS close_notify, a TCP RST): a server that
        /// hangs up right after its last word.
        case sayThenReset(String)
    }

    /// Mail over implicit TLS (the sandbox's certificate for 127.0.0.1) that can answer slowly:
    /// `greeting` first, then `answer(line)` for each CRLF-ended line the client sends.
    static func dripping(
        certificate: String,
        key: String,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        greeting: Answer,
        answer: @escaping @Sendable (String) -> Answer?
    ) async throws -> FakeServer {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        )
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Resetter())
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(Dripping(greeting: greeting, answer: answer))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return FakeServer(channel: channel)
    }

    func close() async {
        try? await channel.close()
    }

    /// Sits below TLS, so that closing from its context skips the TLS shutdown.
    private final class Resetter: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = ByteBuffer
    }

    /// Greets, then answers line by line, slowly when the answer says so (on the event loop).
    private final class Dripping: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let greeting: Answer
        let answer: @Sendable (String) -> Answer?
        var pending = ""
        var active = true

        init(greeting: Answer, answer: @escaping @Sendable (String) -> Answer?) {
            self.greeting = greeting
            self.answer = answer
        }

        func channelActive(context: ChannelHandlerContext) {
            context.fireChannelActive()
            say(greeting, context: context)
        }

        func channelInactive(context: ChannelHandlerContext) {
            active = false
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            pending += String(buffer: unwrapInboundIn(data))
            while let end = pending.range(of: "\r\n") {
                let line = String(pending[..<end.lowerBound])
                pending = String(pending[end.upperBound...])
                if let reply = answer(line) { say(reply, context: context) }
            }
        }

        private func say(_ reply: Answer, context: ChannelHandlerContext) {
            switch reply {
            case .say(let text):
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
            case .drip(let text, let interval):
                drip(Array(text.utf8)[...], every: interval, context: context)
            case .sayThenReset(let text):
                let channel = context.channel
                let lingered =
                    (channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
                    ?? channel.eventLoop.makeSucceededVoidFuture()
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                lingered.whenComplete { [self] _ in
                    // The answer and, in the same tick, a close below the TLS handler: an RST
                    // right behind the last bytes, no close_notify.
                    loopBound.value.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
                    if let head = try? channel.pipeline.syncOperations.context(handlerType: Resetter.self) {
                        head.close(promise: nil)
                    }
                }
            }
        }

        private func drip(_ bytes: ArraySlice<UInt8>, every interval: TimeAmount, context: ChannelHandlerContext) {
            guard active, let first = bytes.first else { return }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: [first])), promise: nil)
            let rest = bytes.dropFirst()
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: interval) { [self] in
                self.drip(rest, every: interval, context: loopBound.value)
            }
        }
    }

    private final class Greeter: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        func channelActive(context: ChannelHandlerContext) {
            context.writeAndFlush(
                wrapOutboundOut(ByteBuffer(string: "* OK [CAPABILITY IMAP4rev1] fake\r\n")),
                promise: nil
            )
            context.fireChannelActive()
        }
    }

    /// Sends a greeting, then answers each CRLF-ended line with `reply(line)` (IMAP and SMTP fakes).
    final class Scripted: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let greeting: String
        let reply: @Sendable (String) -> String?
        var pending = ""

        init(greeting: String, reply: @escaping @Sendable (String) -> String?) {
            self.greeting = greeting
            self.reply = reply
        }

        func channelActive(context: ChannelHandlerContext) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: greeting)), promise: nil)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            pending += String(buffer: unwrapInboundIn(data))
            while let end = pending.range(of: "\r\n") {
                let line = String(pending[..<end.lowerBound])
                pending = String(pending[end.upperBound...])
                if let answer = reply(line) {
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer)), promise: nil)
                }
            }
        }
    }
}
