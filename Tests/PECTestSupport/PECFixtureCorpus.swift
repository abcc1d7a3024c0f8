import Foundation

/// The real PEC messages in `shared/fixtures/pec`, read in place (never copied into the repository).
public enum PECFixtureCorpus {
    /// `shared/fixtures/pec` next to an ancestor of this file (/work/main → /work/shared), or
    /// `PEC_FIXTURES_DIR`; nil when neither holds `expected.ndjson`.
    public static let directory: URL? = {
        if let configured = ProcessInfo.processInfo.environment["PEC_FIXTURES_DIR"] {
            return URL(fileURLWithPath: configured)
        }
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("shared/fixtures/pec")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("expected.ndjson").path) {
                return candidate
            }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()
}
