import Foundation
import Logging
import MCP

/// MCP over stdio, one JSON-RPC message per line, replacing swift-sdk 0.12.1's `StdioTransport`,
/// which rescans the whole pending buffer for a newline after every 4 KiB read (a few-MB line
/// takes minutes, CPU at 100 %, pings unanswered), has no line cap, and puts the shared stdin/stdout
/// in non-blocking mode (polled every 10 ms). Here each byte is scanned once, a line over
/// ``maxLineBytes`` is discarded and answered with an error, and a line the SDK's `Server` would
/// answer wrongly (it makes up an id for a parse error, and never answers an object, array or
/// boolean id) is answered here, with `"id": null` as JSON-RPC 2.0 §5 requires. The JSON-RPC
/// knowledge stays minimal: only whether a line parses and whether its id is of a valid type.
actor LineTransport: Transport {
    static let maxLineBytes = 16 * 1024 * 1024

    nonisolated let logger: Logger
    private let input: FileHandle
    private let output: FileHandle
    private let maxLineBytes: Int
    private let messages: AsyncThrowingStream<Data, Swift.Error>
    private let continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation
    private var reader: Task<Void, Never>?

    init(
        input: FileHandle = .standardInput,
        output: FileHandle = .standardOutput,
        maxLineBytes: Int = LineTransport.maxLineBytes,
        logger: Logger
    ) {
        self.input = input
        self.output = output
        self.maxLineBytes = maxLineBytes
        self.logger = logger
        (messages, continuation) = AsyncThrowingStream.makeStream()
    }

    func connect() async throws {
        guard reader == nil else { return }
        let chunks = Self.chunks(of: input)
        reader = Task { await self.frame(chunks) }
    }

    func disconnect() async {
        reader?.cancel()
        continuation.finish()
    }

    func send(_ data: Data) async throws {
        var line = data
        line.append(UInt8(ascii: "\n"))
        try output.write(contentsOf: line)
    }

    func receive() -> AsyncThrowingStream<Data, Swift.Error> { messages }

    /// The bytes of `handle` as they arrive, read by blocking reads on a thread of their own (not
    /// the cooperative pool's), until end of file.
    private static func chunks(of handle: FileHandle) -> AsyncStream<Data> {
        let (stream, continuation) = AsyncStream<Data>.makeStream(bufferingPolicy: .bufferingOldest(16))
        let descriptor = handle.fileDescriptor
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                let chunk = Data(buffer[..<count])
                // Back-pressure: wait while the framer is behind, rather than buffer without bound.
                while case .dropped = continuation.yield(chunk) { usleep(1000) }
            }
            continuation.finish()
        }
        thread.start()
        return stream
    }

    /// Splits `chunks` into lines, scanning each byte once.
    private func frame(_ chunks: AsyncStream<Data>) async {
        var line = Data()
        var discarding = false
        for await chunk in chunks {
            var start = chunk.startIndex
            while start < chunk.endIndex {
                let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n"))
                let end = newline ?? chunk.endIndex
                if !discarding {
                    if line.count + (end - start) > maxLineBytes {
                        discarding = true
                        line = Data()
                        await answer(code: -32600, "Invalid Request: a line longer than \(maxLineBytes) bytes")
                    } else {
                        line.append(chunk[start..<end])
                    }
                }
                guard let newline else { break }
                if !discarding { await deliver(line) }
                line = Data()
                discarding = false
                start = newline + 1
            }
        }
        if !discarding && !line.isEmpty { await deliver(line) }
        continuation.finish()
    }

    private func deliver(_ line: Data) async {
        var message = line
        if message.last == UInt8(ascii: "\r") { message.removeLast() }
        guard !message.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else { return }
        switch Self.judge(message) {
        case .pass: continuation.yield(message)
        case .parseError: await answer(code: -32700, "Parse error")
        case .invalidID: await answer(code: -32600, "Invalid Request: id must be a string, a number or null")
        }
    }

    private func answer(code: Int, _ message: String) async {
        let error = #"{"jsonrpc":"2.0","id":null,"error":{"code":\#(code),"message":"\#(message)"}}"#
        do { try await send(Data(error.utf8)) } catch { logger.error("cannot write to stdout: \(error)") }
    }

    enum Verdict: Equatable { case pass, parseError, invalidID }

    /// Whether a line is JSON and, when it is an object with an `id`, whether that id is a string,
    /// a number or null; everything else is the SDK's to judge.
    static func judge(_ line: Data) -> Verdict {
        do {
            return try JSONDecoder().decode(Envelope.self, from: line).validID ? .pass : .invalidID
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            return .parseError
        } catch {
            return .pass
        }
    }

    private struct Envelope: Decodable {
        var validID = true

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            // Not an object (a batch, a bare value): the JSON parsed, which is all we check here.
            guard let members = try? decoder.container(keyedBy: Key.self), members.contains(Key(stringValue: "id"))
            else { return }
            let id = Key(stringValue: "id")
            validID =
                (try? members.decodeNil(forKey: id)) == true
                || (try? members.decode(String.self, forKey: id)) != nil
                || (try? members.decode(Double.self, forKey: id)) != nil
        }
    }
}
