import Foundation

/// The real REM (PEC europea) samples in `shared/fixtures/rem`, read in place (never copied into the repository).
public enum REMFixtureCorpus {
    /// `shared/fixtures/rem` next to an ancestor of this file (/work/main → /work/shared), or
    /// `PEC_REM_FIXTURES_DIR`; nil when neither holds `expected.ndjson`.
    public static let directory: URL? = {
        if let configured = ProcessInfo.processInfo.environment["PEC_REM_FIXTURES_DIR"] {
            return URL(fileURLWithPath: configured)
        }
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("shared/fixtures/rem")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("expected.ndjson").path) {
                return candidate
            }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()

    /// The test PKI's root and intermediate CA, the trust anchors the samples verify against.
    public static var caFiles: [String] {
        guard let directory else { return [] }
        return ["REM-ROOT-CA.crt", "REM-POLICY-IT-INTERMEDIATE-CERTIFICATE.crt"].map {
            directory.appendingPathComponent("certificates/\($0)").path
        }
    }

    /// Every `standalone-evidence/*.xml`, sorted by name.
    public static var standaloneEvidence: [URL] {
        guard let directory else { return [] }
        let folder = directory.appendingPathComponent("standalone-evidence")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".xml") }.sorted().map { folder.appendingPathComponent($0) }
    }
}
