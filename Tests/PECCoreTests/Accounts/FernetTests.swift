import Foundation
import Testing

@testable import PECCore

@Suite("Fernet")
struct FernetTests {
    @Test("the spec's generate vector: same token byte for byte")
    func specVector() throws {
        // https://github.com/fernet/spec/blob/master/generate.json
        let fernet = try Fernet(key: "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
        let token = try fernet.encrypt(Array("hello".utf8), timestamp: 499_162_800, iv: Array(0..<16))
        #expect(
            token
                == "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="
        )
        #expect(try fernet.decrypt(token) == Array("hello".utf8))
    }

    @Test("a token made by Python's cryptography decrypts")
    func pythonToken() throws {
        let fernet = try Fernet(key: PythonPecCliFixture.keyBin)
        let plaintext = try fernet.decrypt(PythonPecCliFixture.token)
        #expect(String(decoding: plaintext, as: UTF8.self) == PythonPecCliFixture.password)
    }

    @Test(
        "round trip for empty, block-sized and long plaintexts; fresh IV each time",
        arguments: [0, 1, 15, 16, 17, 1000]
    )
    func roundTrip(length: Int) throws {
        let fernet = try Fernet(key: Fernet.generateKey())
        let plaintext = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let a = try fernet.encrypt(plaintext)
        let b = try fernet.encrypt(plaintext)
        #expect(a != b)
        #expect(try fernet.decrypt(a) == plaintext)
        #expect(a.hasPrefix("gAAAAA"))
    }

    @Test("a generated key is 44 characters of base64url, like Fernet.generate_key()")
    func keyShape() throws {
        let key = try Fernet.generateKey()
        #expect(key.count == 44)
        #expect(key.hasSuffix("="))
        #expect(key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "=" })
        #expect(try Fernet.generateKey() != key)
    }

    @Test("wrong key, altered token, garbage: invalidToken")
    func rejects() throws {
        let fernet = try Fernet(key: PythonPecCliFixture.keyBin)
        let other = try Fernet(key: Fernet.generateKey())
        #expect(throws: Fernet.Failure.invalidToken) { try other.decrypt(PythonPecCliFixture.token) }

        var bytes = try #require(Base64URL.decode(PythonPecCliFixture.token))
        for position in [0, 5, 20, 40, bytes.count - 1] {
            var altered = bytes
            altered[position] ^= 0x01
            #expect(throws: Fernet.Failure.invalidToken) { try fernet.decrypt(Base64URL.encode(altered)) }
        }
        bytes.removeLast(16)
        #expect(throws: Fernet.Failure.invalidToken) { try fernet.decrypt(Base64URL.encode(bytes)) }
        #expect(throws: Fernet.Failure.invalidToken) { try fernet.decrypt("not a token") }
        #expect(throws: Fernet.Failure.invalidToken) { try fernet.decrypt("") }
    }

    @Test("keys that are not base64url of 32 bytes are refused")
    func badKeys() {
        for key in [
            "", "short", String(repeating: "A", count: 40), String(repeating: "A", count: 48),
            "cw/0x689RpI+jtRR7oE8h/eQsKImvJapLeSbXpwF4e4=",
        ] {
            #expect(throws: Fernet.Failure.invalidKey) { try Fernet(key: key) }
        }
    }

    @Test(
        "Python's cryptography decrypts a token we made",
        .enabled(
            if: fernetPython != nil,
            "no Python with `cryptography` (set PEC_SANDBOX_PYTHON or create sandbox/.venv)"
        )
    )
    func pythonDecryptsOurs() throws {
        let python = try #require(fernetPython)
        let key = try Fernet.generateKey()
        let secret = "ünïcødé pässwörd / + = \u{1F512}"
        let token = try Fernet(key: key).encrypt(Array(secret.utf8))
        let script = """
            import sys
            from cryptography.fernet import Fernet
            key, token = sys.stdin.read().split()
            sys.stdout.write(Fernet(key.encode()).decrypt(token.encode()).hex())
            """
        let result = try runProcess(python, ["-c", script], stdin: key + " " + token)
        #expect(result.status == 0)
        let expectedHex = Array(secret.utf8).map { String(format: "%02x", $0) }.joined()
        #expect(result.output == expectedHex)
    }
}
