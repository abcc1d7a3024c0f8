import COpenSSL

/// Incremental SHA-256 over libcrypto's EVP interface. libcrypto is already linked for S/MIME, so
/// one digest does not justify a dependency on swift-crypto.
///
/// A class so the EVP context is freed exactly once, in `deinit`. Not `Sendable`: use one instance
/// from one task at a time (it is meant as a local).
public final class SHA256Digest {
    public static let byteCount = 32

    private let context: OpaquePointer

    /// Throws `PECError(.internal)` only when libcrypto cannot allocate or initialise a context.
    public init() throws {
        guard let context = EVP_MD_CTX_new() else {
            throw PECError(.internal, "libcrypto could not allocate a SHA-256 context")
        }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            throw PECError(.internal, "libcrypto could not initialise SHA-256")
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// libcrypto reported a failure in `update`; `finalize` then throws rather than return a wrong
    /// digest (it never happens with the built-in SHA-256, but a digest must not be guessed).
    private var failed = false

    public func update(_ bytes: some Collection<UInt8>) {
        guard !bytes.isEmpty else { return }
        let done = bytes.withContiguousStorageIfAvailable { buffer in
            EVP_DigestUpdate(context, buffer.baseAddress, buffer.count) == 1
        }
        if let done {
            if !done { failed = true }
        } else {
            let copy = Array(bytes)
            let ok = copy.withUnsafeBufferPointer { EVP_DigestUpdate(context, $0.baseAddress, $0.count) == 1 }
            if !ok { failed = true }
        }
    }

    /// The 32-byte digest of everything passed to `update` since `init` or the previous
    /// `finalize`; the context is then reset, so the instance can hash something else.
    public func finalize() throws -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Self.byteCount)
        var length: UInt32 = 0
        let finished = digest.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        let reset = EVP_DigestInit_ex(context, EVP_sha256(), nil)
        defer { failed = false }
        guard !failed, finished == 1, length == UInt32(Self.byteCount), reset == 1 else {
            throw PECError(.internal, "libcrypto failed to compute a SHA-256 digest")
        }
        return digest
    }

    /// `finalize()` as 64 lowercase hex digits.
    public func finalizeHex() throws -> String {
        Self.hex(try finalize())
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: some Collection<UInt8>) throws -> [UInt8] {
        let digest = try SHA256Digest()
        digest.update(bytes)
        return try digest.finalize()
    }

    /// Lowercase hex of any bytes.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
