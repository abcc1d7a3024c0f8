@testable import PECWire

enum MIMEWritingTestSupport {
    static func decodeQuotedPrintable(_ bytes: [UInt8]) -> [UInt8] {
        var decoder = QuotedPrintableStreamDecoder()
        var output: [UInt8] = []
        decoder.decode(bytes, into: &output)
        decoder.finish(into: &output)
        return output
    }
}
