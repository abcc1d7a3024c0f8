import CLibSecret
import COpenSSL

/// The version of `pec`, `pec-mcp` and PECCore (they ship together).
public enum PECVersion {
    public static let current = "0.1.0"

    /// The system libraries this build uses, for bug reports (`pec --version --verbose`).
    public static var libraries: [String: String] {
        [
            "openssl": String(cString: OpenSSL_version(OPENSSL_VERSION)),
            // Loaded on first use, so this loads it (only `--version --verbose` asks).
            "libsecret": pec_secret_load().map { "not loaded: " + String(cString: $0) }
                ?? pec_secret_library_path().map { String(cString: $0) } ?? "libsecret-1.so.0",
        ]
    }
}
