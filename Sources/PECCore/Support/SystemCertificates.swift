import COpenSSL
import Foundation
import NIOSSL

/// The operating system's trust store, for TLS (NIO) and for signatures (OpenSSL).
enum SystemCertificates {
    /// OpenSSL's certificate directory (Debian's `/usr/lib/ssl/certs`, a link to `/etc/ssl/certs`)
    /// when it holds the hashed links (`<8 hex digits>.0`), through which a verifier reads only the
    /// certificates a chain names; nil when it does not, and then the whole bundle file is read.
    /// Looked up once for both users.
    static let hashedDirectory: String? = {
        let directory = String(cString: X509_get_default_cert_dir())
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        let hashed = names.contains { name in
            let parts = name.split(separator: ".")
            return parts.count == 2 && parts[0].count == 8 && parts[0].allSatisfy(\.isHexDigit) && parts[1] == "0"
        }
        return hashed ? directory : nil
    }()

    /// A client configuration that checks the server's certificate and name against the system's roots (read
    /// through ``hashedDirectory`` when it has the links), TLS 1.2 or later.
    static func verifyingClientConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let directory = hashedDirectory {
            configuration.trustRoots = .file(directory)
        }
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        return configuration
    }
}
