import COpenSSL

/// HMAC-SHA256 with libcrypto: Fernet's token MAC and the webhook signature.
enum HMACSHA256 {
    static func digest(key: [UInt8], data: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                out.withUnsafeMutableBytes { o in
                    HMAC(
                        EVP_sha256(),
                        k.baseAddress,
                        Int32(k.count),
                        d.baseAddress?.assumingMemoryBound(to: UInt8.self),
                        d.count,
                        o.baseAddress?.assumingMemoryBound(to: UInt8.self),
                        &length
                    )
                }
            }
        }
        guard result != nil, length == 32 else { return nil }
        return out
    }
}
