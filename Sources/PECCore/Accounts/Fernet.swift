import COpenSSL
import Foundation

/// Fernet symmetric encryption (https://github.com/fernet/spec/blob/master/Spec.md), byte-compatible
/// with Python's `cryptography.fernet.Fernet`, which the Python pec-cli uses for its password file.
///
/// Key: base64url of 32 bytes = signing key (first 16) ‖ encryption key (last 16).
/// Token: base64url(0x80 ‖ timestamp (8 bytes, big-endian) ‖ IV (16) ‖ AES-128-CBC/PKCS7 ciphertext ‖
/// HMAC-SHA256(signing key, everything before)).
struct Fernet: Sendable {
    enum Failure: Error, Equatable {
        /// The key text is not base64url of 32 bytes.
        case invalidKey
        /// Not a Fernet token, wrong key, or altered: the same answer for all three, as the spec asks.
        case invalidToken
        /// libcrypto refused (no randomness, cipher failure): should not happen.
        case crypto(String)
    }

    private static let version: UInt8 = 0x80
    private static let overhead = 1 + 8 + 16 + 32

    let signingKey: [UInt8]
    let encryptionKey: [UInt8]

    /// A key in its text form, as `Fernet.generate_key()` writes it (base64url, padded).
    init(key: String) throws(Failure) {
        guard let bytes = Base64URL.decode(key.trimmingCharacters(in: .whitespacesAndNewlines)),
            bytes.count == 32
        else { throw .invalidKey }
        signingKey = Array(bytes[0..<16])
        encryptionKey = Array(bytes[16..<32])
    }

    /// A fresh random key in text form (44 characters, like `Fernet.generate_key()`).
    static func generateKey() throws(Failure) -> String {
        Base64URL.encode(try randomBytes(32))
    }

    func encrypt(_ plaintext: [UInt8], now: Date = Date()) throws(Failure) -> String {
        try encrypt(plaintext, timestamp: UInt64(max(0, now.timeIntervalSince1970)), iv: Self.randomBytes(16))
    }

    /// Deterministic form for tests: the caller gives the timestamp and the IV.
    func encrypt(_ plaintext: [UInt8], timestamp: UInt64, iv: [UInt8]) throws(Failure) -> String {
        precondition(iv.count == 16, "a Fernet IV is 16 bytes")
        var token: [UInt8] = [Self.version]
        token.reserveCapacity(Self.overhead + plaintext.count + 16)
        for shift in stride(from: 56, through: 0, by: -8) {
            token.append(UInt8(truncatingIfNeeded: timestamp >> UInt64(shift)))
        }
        token += iv
        token += try Self.aes128CBC(encrypt: true, key: encryptionKey, iv: iv, input: plaintext)
        token += try Self.hmacSHA256(key: signingKey, data: token)
        return Base64URL.encode(token)
    }

    /// The plaintext of a token made with this key. The timestamp is not checked (no TTL), as in the
    /// Python pec-cli.
    func decrypt(_ token: String) throws(Failure) -> [UInt8] {
        guard let data = Base64URL.decode(token.trimmingCharacters(in: .whitespacesAndNewlines)),
            data.count >= Self.overhead, (data.count - Self.overhead) % 16 == 0, data[0] == Self.version
        else { throw .invalidToken }
        let signed = Array(data[0..<(data.count - 32)])
        let mac = Array(data[(data.count - 32)...])
        let expected = try Self.hmacSHA256(key: signingKey, data: signed)
        let equal = mac.withUnsafeBytes { a in
            expected.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, 32) == 0 }
        }
        guard equal else { throw .invalidToken }
        let iv = Array(data[9..<25])
        let ciphertext = Array(data[25..<(data.count - 32)])
        guard !ciphertext.isEmpty else { throw .invalidToken }
        do {
            return try Self.aes128CBC(encrypt: false, key: encryptionKey, iv: iv, input: ciphertext)
        } catch {
            throw .invalidToken
        }
    }

    // MARK: libcrypto

    static func randomBytes(_ count: Int) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let ok = bytes.withUnsafeMutableBytes {
            RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(count))
        }
        guard ok == 1 else { throw .crypto("RAND_bytes failed") }
        return bytes
    }

    private static func hmacSHA256(key: [UInt8], data: [UInt8]) throws(Failure) -> [UInt8] {
        guard let mac = HMACSHA256.digest(key: key, data: data) else { throw .crypto("HMAC-SHA256 failed") }
        return mac
    }

    /// AES-128-CBC with PKCS#7 padding (EVP's default), in one go.
    private static func aes128CBC(encrypt: Bool, key: [UInt8], iv: [UInt8], input: [UInt8]) throws(Failure)
        -> [UInt8]
    {
        guard let ctx = EVP_CIPHER_CTX_new() else { throw .crypto("EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var output = [UInt8](repeating: 0, count: input.count + 16)
        var written: Int32 = 0
        var final: Int32 = 0
        let ok = key.withUnsafeBufferPointer { k in
            iv.withUnsafeBufferPointer { v in
                input.withUnsafeBufferPointer { i in
                    output.withUnsafeMutableBufferPointer { o -> Bool in
                        guard
                            EVP_CipherInit_ex(
                                ctx,
                                EVP_aes_128_cbc(),
                                nil,
                                k.baseAddress,
                                v.baseAddress,
                                encrypt ? 1 : 0
                            )
                                == 1,
                            EVP_CipherUpdate(ctx, o.baseAddress, &written, i.baseAddress, Int32(i.count)) == 1,
                            EVP_CipherFinal_ex(ctx, o.baseAddress! + Int(written), &final) == 1
                        else { return false }
                        return true
                    }
                }
            }
        }
        guard ok else {
            ERR_clear_error()
            throw .crypto(encrypt ? "AES-128-CBC encryption failed" : "AES-128-CBC decryption failed")
        }
        return Array(output[0..<Int(written + final)])
    }
}

/// URL-safe base64 (RFC 4648 §5). Encoding pads with `=` as Python's `base64.urlsafe_b64encode` does;
/// decoding accepts padded or unpadded input.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
    }

    static func decode(_ text: String) -> [UInt8]? {
        guard !text.contains("+"), !text.contains("/") else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let remainder = standard.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { standard += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: standard).map { Array($0) }
    }
}
