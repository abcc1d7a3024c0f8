import Foundation

@testable import PECCore

/// Deterministic pseudo-random numbers (SplitMix64) for reproducible payloads and texts.
struct ComposeSeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(count + 8)
        while output.count < count {
            withUnsafeBytes(of: next()) { output += $0 }
        }
        return Array(output.prefix(count))
    }
}

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

    static let referenceDate = Date(timeIntervalSince1970: 1_763_715_963)  // Fri, 21 Nov 2025 09:06:03 UTC
}
