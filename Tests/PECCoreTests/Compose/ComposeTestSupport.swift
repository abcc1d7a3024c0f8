import Foundation

@testable import PECCore
@testable import PECTestSupport


/// A private temporary directory, removed by `remove()`.
struct ComposeScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("pec-compose-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

enum ComposeTestSupport {
    /// Everything `write` produces, in memory (tests only: messages here are small).
    static func bytes(of message: ComposedMessage) async throws -> [UInt8] {
        var output: [UInt8] = []
        try await message.write { output += $0 }
        return output
    }

    /// Lines split at CRLF; the flag says whether any CR or LF appeared outside a CRLF pair.
    static func lines(_ bytes: [UInt8]) -> (lines: [ArraySlice<UInt8>], hasBareLineEnd: Bool) {
        var lines: [ArraySlice<UInt8>] = []
        var bare = false
        var start = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A {
                lines.append(bytes[start..<index])
                index += 2
                start = index
            } else {
                if bytes[index] == 0x0D || bytes[index] == 0x0A { bare = true }
                index += 1
            }
        }
        if start < bytes.count { lines.append(bytes[start...]) }
        return (lines, bare)
    }

    static func decodeQuotedPrintable(_ bytes: [UInt8]) -> [UInt8] {
        var decoder = QuotedPrintableStreamDecoder()
        var output: [UInt8] = []
        decoder.decode(bytes, into: &output)
        decoder.finish(into: &output)
        return output
    }

    static let referenceDate = Date(timeIntervalSince1970: 1_763_715_963)  // Fri, 21 Nov 2025 09:06:03 UTC
}
