import Foundation
import Testing

@testable import PECCore

@Suite("JSONValueEncoder")
struct JSONValueEncoderTests {
    struct Record: Encodable {
        var zeta = "first"
        var alpha = 2
        var middle: [String] = ["a", "b"]
        var nested = Nested()
        var missing: String? = nil
        var flag = false
    }

    struct Nested: Encodable {
        var when = Date(timeIntervalSince1970: 1_542_123_566)
        var ratio = 1.5
    }

    @Test("keeps the declaration order of fields, not sorted or hashed order")
    func order() throws {
        let value = try JSONValueEncoder().encode(Record())
        #expect(
            value.serialized
                == #"{"zeta":"first","alpha":2,"middle":["a","b"],"nested":{"when":"2018-11-13T15:39:26Z","ratio":1.5},"flag":false}"#
        )
    }

    @Test("escapes quotes, backslashes and control characters; writes non-ASCII as UTF-8")
    func escaping() throws {
        let value = try JSONValueEncoder().encode(["s": "perché \"sì\"\\\n\u{01}\u{2028}"])
        #expect(value.serialized == #"{"s":"perché \"sì\"\\\n\u0001\u2028"}"#)
    }

    @Test("refuses numbers JSON cannot hold")
    func nonFinite() {
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode(["x": Double.infinity]) }
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode([Double.nan]) }
    }

    @Test("stripping removes null, empty strings, lists and objects at every depth, never false or 0")
    func stripping() {
        let value = JSONValue.object([
            .init("a", .null), .init("b", .string("")), .init("c", .array([.null, .string("")])),
            .init("d", .object([.init("e", .null)])), .init("f", .bool(false)), .init("g", .number("0")),
            .init("h", .array([.string("x"), .object([])])),
        ])
        #expect(value.strippingEmpty().serialized == #"{"f":false,"g":0,"h":["x"]}"#)
    }

    @Test("the output policy leaves empty values out of the encoded record, and keeps required lists")
    func omittedEmptyValues() throws {
        struct Sparse: Encodable {
            var name = ""
            var missing: String? = nil
            var items: [String] = []
            var nested = [["a": ""]]
            var count = 0
        }
        #expect(
            try JSONValueEncoder().encode(Sparse()).serialized
                == #"{"name":"","items":[],"nested":[{"a":""}],"count":0}"#
        )
        #expect(try JSONValueEncoder(emptyValues: .omitted()).encode(Sparse()).serialized == #"{"count":0}"#)
        let required = JSONValueEncoder(emptyValues: .omitted(requiredLists: ["items", "absent"]))
        #expect(try required.encode(Sparse()).serialized == #"{"count":0,"absent":[],"items":[]}"#)
    }

    @Test("encodes enums by raw value and nested arrays of records")
    func nestedArrays() throws {
        let value = try JSONValueEncoder().encode([ProviderCatalog.all[0].row])
        guard case .array(let rows) = value, let first = rows.first else {
            Issue.record("expected an array, got \(value)")
            return
        }
        #expect(first["id"] == .string("aruba"))
        #expect(first["imap_security"] == .string("tls"))
        #expect(first["imap_port"] == .number("993"))
    }
}
