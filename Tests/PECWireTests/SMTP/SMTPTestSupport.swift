@testable import PECTestSupport
@testable import PECWire

func smtpBytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Splits `bytes` into random chunks of 1…`maximum` bytes (deterministic for a seed).
func smtpRandomChunks(_ bytes: [UInt8], seed: UInt64, maximum: Int = 9) -> [[UInt8]] {
    var generator = SplitMix64(seed: seed)
    var chunks: [[UInt8]] = []
    var start = 0
    while start < bytes.count {
        let size = Int.random(in: 1...max(1, maximum), using: &generator)
        let end = min(bytes.count, start + size)
        chunks.append(Array(bytes[start..<end]))
        start = end
    }
    return chunks
}

enum SMTPReplyDriver {
    /// Feeds the chunks one at a time, collecting every reply completed so far.
    static func parse(_ chunks: [[UInt8]], limits: SMTPReplyParser.Limits = .init()) throws -> [SMTPReply] {
        var parser = SMTPReplyParser(limits: limits)
        var replies: [SMTPReply] = []
        for chunk in chunks {
            parser.append(chunk)
            while let reply = try parser.next() { replies.append(reply) }
        }
        return replies
    }
}
