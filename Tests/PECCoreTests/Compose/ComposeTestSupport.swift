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

    static let referenceDate = Date(timeIntervalSince1970: 1_763_715_963)  // Fri, 21 Nov 2025 09:06:03 UTC
}
