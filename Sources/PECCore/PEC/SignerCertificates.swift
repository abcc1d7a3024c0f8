import COpenSSL
import Foundation

/// The certificates embedded in S/MIME signatures, parsed once per distinct certificate.
///
/// OpenSSL 3.0 decodes the public key of every certificate it parses through its provider decoders,
/// which costs far more than checking the signature itself: with a gestore's two certificates in
/// every receipt, parsing them was a quarter of `pec sync`'s time. A gestore signs every receipt
/// with the same certificate, so the verifier takes the certificates out of the CMS structure
/// (``split(_:)``), parses each distinct one once (by its exact bytes) and hands them to OpenSSL
/// beside the CMS, which then finds the signer among them as it would among its own. Every
/// signature and every chain is still checked, each time: only the parsing is shared.
enum SignerCertificates {
    /// The `certificates` field of a DER `ContentInfo` of `SignedData` taken out: the structure
    /// without it, and each certificate's DER in order. Nil when `der` is not plain definite-length
    /// DER of that shape, has no certificates, or holds another kind of certificate choice: then
    /// it is parsed whole, as it is.
    static func split(_ der: [UInt8]) -> (stripped: [UInt8], certificates: [ArraySlice<UInt8>])? {
        guard let outer = element(der, at: 0, end: der.count), outer.tag == 0x30, outer.end == der.count,
            let type = element(der, at: outer.contentStart, end: outer.end), type.tag == 0x06,
            der[type.contentStart..<type.end].elementsEqual(signedDataOID),
            let explicit = element(der, at: type.end, end: outer.end), explicit.tag == 0xA0,
            explicit.end == outer.end,
            let signedData = element(der, at: explicit.contentStart, end: explicit.end), signedData.tag == 0x30,
            signedData.end == explicit.end
        else { return nil }
        // version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls, signerInfos
        var fields: [Element] = []
        var index = signedData.contentStart
        while index < signedData.end {
            guard let field = element(der, at: index, end: signedData.end) else { return nil }
            fields.append(field)
            index = field.end
        }
        guard fields.count >= 5, fields[0].tag == 0x02, fields[1].tag == 0x31, fields[2].tag == 0x30,
            fields[3].tag == 0xA0, fields.last?.tag == 0x31
        else { return nil }
        let bag = fields[3]
        var certificates: [ArraySlice<UInt8>] = []
        index = bag.contentStart
        while index < bag.end {
            // Only plain certificates (SEQUENCE): the other CertificateChoices are left to OpenSSL.
            guard let certificate = element(der, at: index, end: bag.end), certificate.tag == 0x30 else { return nil }
            certificates.append(der[certificate.start..<certificate.end])
            index = certificate.end
        }
        guard !certificates.isEmpty else { return nil }
        var content = Array(der[signedData.contentStart..<bag.start])
        content += der[bag.end..<signedData.end]
        let signedDataTLV = encode(0x30, content)
        let stripped = encode(0x30, Array(der[type.start..<type.end]) + encode(0xA0, signedDataTLV))
        return (stripped, certificates)
    }

    /// An X509 of `der` that the caller owns a reference to (free it with `X509_free`), from the
    /// cache when these exact bytes were parsed before; nil when they are not one whole certificate.
    static func certificate(der: ArraySlice<UInt8>) -> OpaquePointer? {
        let key = Array(der)
        if let cached = cache.withLock({ $0[key] }) {
            X509_up_ref(cached)
            return cached
        }
        let parsed: OpaquePointer? = key.withUnsafeBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
            var pointer: UnsafePointer<UInt8>? = base
            guard let certificate = d2i_X509(nil, &pointer, raw.count) else { return nil }
            guard pointer == base + raw.count else {
                X509_free(certificate)
                return nil
            }
            return certificate
        }
        guard let parsed else { return nil }
        cache.withLock { entries in
            // Bounded: a stream of different certificates is parsed each time, never hoarded.
            guard entries[key] == nil, entries.count < capacity else { return }
            X509_up_ref(parsed)
            entries[key] = parsed
        }
        return parsed
    }

    /// How many distinct certificates are kept (a few per gestore is the norm).
    static let capacity = 256

    /// Parsed certificates by DER; never freed (at most ``capacity``, for the process's life).
    private static let cache = Locked<[[UInt8]: OpaquePointer]>([:])

    /// 1.2.840.113549.1.7.2, id-signedData.
    private static let signedDataOID: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]

    struct Element {
        var tag: UInt8
        var start: Int
        var contentStart: Int
        var end: Int
    }

    /// The TLV at `index`, within `end`: single-byte tags, definite lengths of up to four bytes.
    static func element(_ bytes: [UInt8], at index: Int, end: Int) -> Element? {
        guard index + 2 <= end else { return nil }
        let tag = bytes[index]
        guard tag & 0x1F != 0x1F else { return nil }
        let first = Int(bytes[index + 1])
        var length = 0
        var contentStart = index + 2
        if first < 0x80 {
            length = first
        } else {
            let count = first & 0x7F
            guard (1...4).contains(count), index + 2 + count <= end else { return nil }
            for byte in bytes[(index + 2)..<(index + 2 + count)] { length = length << 8 | Int(byte) }
            contentStart += count
        }
        guard length <= end - contentStart else { return nil }
        return Element(tag: tag, start: index, contentStart: contentStart, end: contentStart + length)
    }

    /// A DER TLV.
    static func encode(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var header: [UInt8] = [tag]
        if content.count < 0x80 {
            header.append(UInt8(content.count))
        } else {
            var length = content.count
            var bytes: [UInt8] = []
            while length > 0 {
                bytes.insert(UInt8(length & 0xFF), at: 0)
                length >>= 8
            }
            header.append(0x80 | UInt8(bytes.count))
            header += bytes
        }
        return header + content
    }
}

/// A value behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
