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

    func close() async {
        try? await channel.close()
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
