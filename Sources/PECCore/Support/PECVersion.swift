import CLibSecret
import COpenSSL

/// The version of `pec`, `pec-mcp` and PECCore (they ship together).
public enum PECVersion {
    public static let current = "0.1.0"

    /// The system libraries this build links, for bug reports (`pec --version --verbose`).
    public static var libraries: [String: String] {
        [
            "openssl": String(cString: OpenSSL_version(OPENSSL_VERSION)),
            "libsecret": "\(pec_secret_major_version()).\(pec_secret_minor_version()).\(pec_secret_micro_version())",
        ]
    }
}
