import Testing

@testable import PECCore

@Suite("SHA-256 over libcrypto")
struct SHA256DigestTests {
    @Test(
        "FIPS 180-2 vectors",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ]
    )
    func vectors(input: String, expected: String) throws {
        #expect(SHA256Digest.hex(try SHA256Digest.hash(Array(input.utf8))) == expected)
    }

    @Test("a million \"a\", fed in uneven chunks, also through a non-contiguous collection")
    func millionA() throws {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        let digest = try SHA256Digest()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
        var remaining = 1_000_000
        while remaining > 0 {
            let count = min(remaining, chunk.count)
            digest.update(chunk[..<count])
            remaining -= count
        }
        #expect(try digest.finalizeHex() == expected)

        // The context is reset by finalize; a lazy map has no contiguous storage.
        digest.update((0..<1_000_000).lazy.map { _ in UInt8(ascii: "a") })
        #expect(try digest.finalizeHex() == expected)
    }

    @Test("after finalize the same instance hashes a new input from scratch")
    func reuse() throws {
        let digest = try SHA256Digest()
        digest.update(Array("ignored".utf8))
        _ = try digest.finalize()
        digest.update(Array("abc".utf8))
        #expect(try digest.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
