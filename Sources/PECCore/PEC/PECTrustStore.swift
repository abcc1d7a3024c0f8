import COpenSSL
import Foundation

/// The certificates a PEC signature must chain to: the system store, the pinned PEC CAs
/// (``PinnedPECCertificates``: AgID CA1, DigitPA CA1) and any CA file the user gives (`--ca-file`).
///
/// Pinned and user certificates are anchors on their own (`X509_V_FLAG_PARTIAL_CHAIN` is set when verifying),
/// so a message chained to AgID CA1 verifies even where the Actalis or Baltimore root is missing or expired.
/// The system roots (a directory of some 150 certificates, each read only when a chain names it;
/// the bundle file, about 30 ms to load, where there is no hashed directory) are added on first
/// use, under a lock, so a command that ends up verifying nothing (`trace --no-verify`, a trace or
/// sync whose receipts are already in the evidence store) does not pay for them. After that the
/// store does not change and OpenSSL locks its lookups, so one value can be shared.
public final class PECTrustStore: @unchecked Sendable {
    private let anchors: OpaquePointer
    private let lock = NSLock()
    private var systemRootsPending: Bool

    /// The store to verify against, with the system roots once they are needed.
    var store: OpaquePointer {
        lock.withLock {
            if systemRootsPending {
                systemRootsPending = false
                // A missing system bundle is not fatal: the pinned CAs may still be enough.
                if let directory = SystemCertificates.hashedDirectory {
                    // Only the roots a chain names are read, when it is built.
                    _ = X509_STORE_load_locations(anchors, nil, directory)
                } else {  // the whole bundle, and the directory
                    _ = X509_STORE_set_default_paths(anchors)
                }
                ERR_clear_error()
            }
            return anchors
        }
    }

    /// - Parameters:
    ///   - systemRoots: add the operating system's default roots (`X509_STORE_set_default_paths`).
    ///   - pinnedPECCAs: add the pinned PEC CA certificates.
    ///   - caFiles: PEM files with more trusted certificates (all certificates in each file are added).
    /// - Throws: ``PECError`` `.io` when a CA file cannot be read, `.invalidInput` when it holds no certificate.
    public init(systemRoots: Bool = true, pinnedPECCAs: Bool = true, caFiles: [String] = []) throws {
        guard let store = X509_STORE_new() else {
            throw PECError(.internal, "OpenSSL could not allocate a certificate store")
        }
        self.anchors = store
        self.systemRootsPending = systemRoots
        if pinnedPECCAs {
            for pem in PinnedPECCertificates.all {
                for certificate in Self.certificates(pem: Array(pem.utf8)) {
                    // Only real CAs become anchors (basicConstraints CA:TRUE); every pinned one is.
                    if X509_check_ca(certificate) >= 1 { X509_STORE_add_cert(store, certificate) }
                    X509_free(certificate)
                }
            }
        }
        for path in caFiles {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw PECError(.io, "cannot read the CA file \(path)")
            }
            let certificates = Self.certificates(pem: [UInt8](data))
            defer { certificates.forEach { X509_free($0) } }
            guard !certificates.isEmpty else {
                throw PECError(.invalidInput, "no PEM certificate in the CA file \(path)")
            }
            for certificate in certificates { X509_STORE_add_cert(store, certificate) }
        }
        ERR_clear_error()
    }

    /// The system roots plus the pinned PEC CAs, nothing else.
    public static func standard() -> PECTrustStore {
        // Cannot throw without CA files.
        try! PECTrustStore()
    }

    deinit { X509_STORE_free(anchors) }

    /// For each certificate of a PEM text, whether it is a CA (basicConstraints CA:TRUE).
    static func authorityFlags(pem: String) -> [Bool] {
        certificates(pem: Array(pem.utf8)).map { certificate in
            defer { X509_free(certificate) }
            return X509_check_ca(certificate) >= 1
        }
    }

    /// Every certificate of a PEM text (owned: the caller frees each one).
    static func certificates(pem: [UInt8]) -> [OpaquePointer] {
        pem.withUnsafeBytes { raw -> [OpaquePointer] in
            guard let base = raw.baseAddress, let bio = BIO_new_mem_buf(base, Int32(raw.count)) else { return [] }
            defer { BIO_free(bio) }
            var result: [OpaquePointer] = []
            while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) { result.append(certificate) }
            ERR_clear_error()  // the loop ends on "no start line"
            return result
        }
    }
}
