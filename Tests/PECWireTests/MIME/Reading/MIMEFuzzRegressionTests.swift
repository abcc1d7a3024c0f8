import Foundation
import Testing

@testable import PECWire

/// Inputs the fuzzer (Fuzz/MIMEFuzzer.swift) found, checked with its invariants in every chunking.
@Suite("MIME fuzz regressions")
struct MIMEFuzzRegressionTests {
    static let findings: [(String, String)] = [
        // A digest part cut off right after its (empty) header block: the embedded message that
        // never started gave a partEnd without a partStart.
        ("empty digest part", "B0NvbnRlbnQtVHlwZTogbXVsdGlwYXJ0L2RpZ2VzdDsgYm91bmRhcnk9ZAoKLS1kCi0tZC0tCg=="),
        (
            "digest part running into a part with a broken header",
            "B0NvbnRlbnQtVHlwZTogbXVsdGlwYXJ0L2RpZ2VzdDsgYm91bmRhcnk9ZAoKLS1kCgpTdWJqZWN0OiBhCgpib2R5Ci0tZApDb250ZW50LVR5ZXA6IHRleHQvcGxhAAAAAAAAAAAAAAAAAAAAAAotLWQKClN1YmplY3Q6IGEKCmJvZHkKLS1kAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAaW4KCi0tZC07LQo="
        ),
        (
            "nested digests",
            "B0NvbnRlbnQtVHlwZTogbXVsdGlwYXJ0L2RpZ2VzdDsgYgdDb250ZW50LVR5cGU6IG11bHRpcGFydC9kaShnc2V0OyBib3VuZGFyeT1kCgotdGVudC1vdW5kYXJ5PWQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/f///wAKCi0sZAoKU3ViamUHQ29udGVudC1UeXBlOiBtdWx0aXBhclR5cGU6IG11bHRpcGFydC9kaWdlKHN0OyBib3VuZGFyeT1kCgotLWQKClN1YmplY3Q6IGEKCmJ0L2RpZ2VzdDsgYm91bmRhcnk9ZAoKLSxkCgpTdWJqZWN0OiBhCgpib2R5Ci0tZAr0////ZW50LVR5b2R5Ci0tZAq2b250ZW50LXBlOiB0ZXh0L3D///////////////////////////////////////////////////////////////9UeXBlOiB0ZXh0L3BsYWluCv//////////dGV4dAItLWQtLQAKAAAA//8K"
        ),
    ]

    @Test("fuzzer findings keep the invariants", arguments: findings)
    func finding(name: String, base64: String) throws {
        let bytes = try #require(Data(base64Encoded: base64).map { [UInt8]($0) }, "\(name)")
        let input = Array(bytes.dropFirst())
        for chunk in [1, 3, 7, 16, 64, 512, 4096, 1 << 20] {
            let violations = MIMETestSupport.invariantViolations(
                input,
                chunk: chunk,
                options: MIMETestSupport.fuzzOptions
            )
            #expect(violations.isEmpty, "\(name), chunk \(chunk): \(violations.prefix(3))")
        }
    }
}
