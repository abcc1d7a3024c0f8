import Foundation
import Logging
import Testing

@testable import pec_mcp

/// pec-mcp's stdio framing and the line checks it answers itself.
@Suite("pec-mcp stdio transport")
struct LineStdioTransportTests {
    @Test("lines split at newlines, across reads, CRLF trimmed, empty lines dropped")
    func framing() {
        var framer = LineFramer(maximumLineLength: 100)
        #expect(framer.append(Array("{\"a\":".utf8)) == [])
        #expect(
            framer.append(Array("1}\r\n\n{\"b\":2}\n{\"c\"".utf8)) == [
                .line(Array("{\"a\":1}".utf8)), .line(Array("{\"b\":2}".utf8)),
            ]
        )
        #expect(framer.append(Array(":3}\n".utf8)) == [.line(Array("{\"c\":3}".utf8))])
    }

    @Test("a line over the cap is reported once, skipped to its newline, and the next line is kept")
    func overLongLine() {
        var framer = LineFramer(maximumLineLength: 10)
        #expect(framer.append(Array(repeating: UInt8(ascii: "x"), count: 8)) == [])
        #expect(framer.append(Array(repeating: UInt8(ascii: "x"), count: 8)) == [.tooLong])
        #expect(framer.append(Array(repeating: UInt8(ascii: "x"), count: 50)) == [])
        #expect(framer.append(Array("xx\nok\n".utf8)) == [.line(Array("ok".utf8))])
        // Over the cap within one read, newline included.
        #expect(
            framer.append(Array((String(repeating: "y", count: 20) + "\nfine\n").utf8)) == [
                .tooLong, .line(Array("fine".utf8)),
            ]
        )
    }

    @Test("a 5 MB line arriving in 4 KiB reads is framed in linear time (each byte scanned once)")
    func largeLine() {
        var framer = LineFramer()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 4096)
        var events: [LineFramer.Event] = []
        for _ in 0..<1280 { events += framer.append(chunk) }
        events += framer.append([UInt8(ascii: "\n")])
        #expect(events.count == 1)
        if case .line(let line) = events.first { #expect(line.count == 1280 * 4096) } else { Issue.record("no line") }
    }

    @Test("parse errors, invalid ids and non-objects are rejected; valid messages and batches forwarded")
    func checks() {
        func verdict(_ text: String) -> JSONRPCLineCheck.Verdict { JSONRPCLineCheck.check(Array(text.utf8)) }
        #expect(verdict("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}") == .forward)
        #expect(verdict("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"ping\"}") == .forward)
        #expect(verdict("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}") == .forward)
        #expect(verdict("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]") == .forward)
        for parseError in ["{\"id\": 1,", "not json", "{\"a\":1}}"] {
            guard case .reject(let code, _) = verdict(parseError) else {
                Issue.record("forwarded \(parseError)")
                continue
            }
            #expect(code == -32700, "\(parseError)")
        }
        for invalid in [
            "{\"id\":{},\"method\":\"ping\"}", "{\"id\":[1],\"method\":\"ping\"}", "{\"id\":true,\"method\":\"ping\"}",
            "{\"id\":1.5,\"method\":\"ping\"}", "42", "\"text\"", "[]", "[{\"id\":{}}]", "[3]",
        ] {
            guard case .reject(let code, _) = verdict(invalid) else {
                Issue.record("forwarded \(invalid)")
                continue
            }
            #expect(code == -32600, "\(invalid)")
        }
    }

    @Test("the error response has id null")
    func errorResponse() throws {
        let data = JSONRPCLineCheck.errorResponse(code: -32700, message: "Parse error")
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["id"] is NSNull)
        #expect(object["jsonrpc"] as? String == "2.0")
        #expect((object["error"] as? [String: Any])?["code"] as? Int == -32700)
    }

    @Test("the read loop answers bad lines, forwards good ones and keeps reading to the end of input")
    func readLoop() throws {
        let pipe = Pipe()
        let input =
            "not json\n{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}\n"
            + String(repeating: "z", count: 64) + "\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n"
        pipe.fileHandleForWriting.write(Data(input.utf8))
        try pipe.fileHandleForWriting.close()
        var delivered: [String] = []
        var answered: [Int] = []
        LineStdioTransport.readLoop(
            input: pipe.fileHandleForReading.fileDescriptor,
            maximumLineLength: 60,
            logger: Logger(label: "test"),
            deliver: { delivered.append(String(decoding: $0, as: UTF8.self)) },
            answer: { data in
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
                answered.append(((object?["error"] as? [String: Any])?["code"] as? Int) ?? 0)
            }
        )
        #expect(answered == [-32700, -32600, -32600])
        #expect(delivered == ["{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}"])
    }
}
