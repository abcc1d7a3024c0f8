import Foundation

/// The operating system's trust store, for TLS (NIO) and for signatures (OpenSSL).
enum SystemCertificates {
    /// `directory` when it holds OpenSSL's hashed links (`<8 hex digits>.0`), through which a verifier
    /// reads only the certificates a chain names; nil when it does not (then the bundle file is read).
    static func hashedDirectory(_ directory: String) -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        let hashed = names.contains { name in
            let parts = name.split(separator: ".")
            return parts.count == 2 && parts[0].count == 8 && parts[0].allSatisfy(\.isHexDigit) && parts[1] == "0"
        }
        return hashed ? directory : nil
    }
}
