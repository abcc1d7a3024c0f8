import Dispatch
import Foundation
import Logging
import MCP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// MCP's stdio transport (one JSON-RPC message per line), in place of the SDK's `StdioTransport`:
/// linear framing (``LineFramer``), lines capped at 16 MB, and the malformed lines the SDK's
/// server cannot answer properly (``JSONRPCLineCheck``) answered here with id `null`; after each,
/// it keeps serving. Reads block on a thread of their own; writes go out in order on one queue,
/// so neither ties up a thread of Swift's cooperative pool.
actor LineStdioTransport: Transport {
    nonisolated let logger: Logger
    private let input: Int32
    private let output: Int32
    private let maximumLineLength: Int
    private let writes = DispatchQueue(label: "pec-mcp.stdout")
    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var connected = false

    init(
        input: Int32 = STDIN_FILENO,
        output: Int32 = STDOUT_FILENO,
        maximumLineLength: Int = LineFramer.defaultMaximumLineLength,
        logger: Logger
    ) {
        self.input = input
        self.output = output
        self.maximumLineLength = maximumLineLength
        self.logger = logger
        (messages, continuation) = AsyncThrowingStream.makeStream()
    }

    func connect() async throws {
        guard !connected else { return }
        connected = true
        let reader = Thread { [input, output, maximumLineLength, writes, continuation, logger] in
            Self.readLoop(
                input: input,
                maximumLineLength: maximumLineLength,
                logger: logger,
                deliver: { continuation.yield(Data($0)) },
                answer: { response in writes.async { Self.writeLine(response, to: output, logger: logger) } }
            )
            continuation.finish()
        }
        reader.name = "pec-mcp stdin"
        reader.start()
    }

    func disconnect() async {
        guard connected else { return }
        connected = false
        continuation.finish()
    }

    func send(_ data: Data) async throws {
        guard connected else { throw MCPError.transportError(POSIXError(.ENOTCONN)) }
        let (output, logger) = (self.output, self.logger)
        let written = await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
            writes.async { done.resume(returning: Self.writeLine(data, to: output, logger: logger)) }
        }
        guard written else { throw MCPError.transportError(POSIXError(.EPIPE)) }
    }

    nonisolated func receive() -> AsyncThrowingStream<Data, any Error> { messages }

    /// Reads `input` to its end: each line checked, then handed on (`deliver`) or answered with an
    /// error (`answer`). Bounded by the input: ends at end of file or on a read error.
    static func readLoop(
        input: Int32,
        maximumLineLength: Int,
        logger: Logger,
        deliver: ([UInt8]) -> Void,
        answer: (Data) -> Void
    ) {
        var framer = LineFramer(maximumLineLength: maximumLineLength)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                // Someone made stdin non-blocking: wait for data rather than spin.
                var ready = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
                _ = poll(&ready, 1, 1000)
                continue
            }
            guard count > 0 else {
                if count < 0 { logger.error("reading standard input failed: errno \(errno)") }
                return
            }
            for event in framer.append(buffer[..<count]) {
                switch event {
                case .line(let line):
                    switch JSONRPCLineCheck.check(line) {
                    case .forward: deliver(line)
                    case .reject(let code, let message):
                        logger.warning("answered a malformed message (\(line.count) bytes): \(message)")
                        answer(JSONRPCLineCheck.errorResponse(code: code, message: message))
                    }
                case .tooLong:
                    let message = "Invalid Request: a message longer than \(maximumLineLength) bytes (it is discarded)"
                    logger.warning("\(message)")
                    answer(JSONRPCLineCheck.errorResponse(code: -32600, message: message))
                }
            }
        }
    }

    /// Writes `data` and a newline, whole; false when the output is gone.
    @discardableResult
    static func writeLine(_ data: Data, to output: Int32, logger: Logger) -> Bool {
        var bytes = [UInt8](data)
        bytes.append(UInt8(ascii: "\n"))
        var offset = 0
        // Bounded: every pass writes at least one byte or ends.
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                var ready = pollfd(fd: output, events: Int16(POLLOUT), revents: 0)
                _ = poll(&ready, 1, 1000)
                continue
            }
            guard written > 0 else {
                logger.error("writing standard output failed: errno \(errno)")
                return false
            }
            offset += written
        }
        return true
    }
}
