import Testing

@testable import PECWire

@Suite("MIME boundary ambiguity")
struct MIMEBoundaryAmbiguityTests {
    static func entity(_ headers: String) throws -> MIMEEntity {
        let raw = headers + "\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n"
        return try MIMEMessage(parsing: Array(raw.utf8)).root
    }

    @Test(
        "parameter definitions are counted on parsed names, not on text",
        arguments: [
            (#"multipart/mixed; boundary="--boundary_0_1a2b""#, 1),
            (#"multipart/mixed; name="boundary=x"; boundary=b"#, 1),
            (#"multipart/mixed; boundary=a; Boundary="b""#, 2),
            (#"multipart/mixed; boundary*0=a; boundary*1=b"#, 1),
            (#"multipart/mixed; boundary*0=a; boundary*1=b; boundary*1=c"#, 2),
            (#"multipart/mixed; boundary=a; boundary*=utf-8''b"#, 2),
            (#"multipart/mixed; boundaryx=a; xboundary=b"#, 0),
        ]
    )
    func definitions(header: String, count: Int) {
        #expect(MIMEContentType(parsing: Array(header.utf8)).parameters.definitions(of: "boundary") == count)
    }

    @Test("OpenSSL's reading: quotes without escapes, comments inside values, one line at a time")
    func openSSLReading() throws {
        func boundaries(_ block: String) -> [String]? {
            OpenSSLMIMEHeaderReading.contentTypeParameters(headerBlock: Array(block.utf8))?
                .filter { $0.name == "boundary" }.map { String(decoding: $0.value, as: UTF8.self) }
        }
        #expect(boundaries("Content-Type: multipart/signed; boundary=\"--boundary_0_x\"\r\n\r\n") == ["--boundary_0_x"])
        #expect(boundaries("Content-Type: multipart/signed;\r\n\tboundary=\"b\"\r\n\r\n") == ["b"])
        #expect(boundaries("Content-Type: a/b; x=\"a\\\"; boundary=evil; y=\\\"\"; boundary=b\r\n") == ["evil", "b"])
        #expect(boundaries("Content-Type: a/b; x=\"\r\n boundary=evil\r\n \"; boundary=b\r\n") == ["evil"])
        #expect(boundaries("Content-Type: a/b; boundary=b(c; d)\r\n") == ["b(c; d)"])
        #expect(boundaries("Content-Type: a/b; boundary=b\r\nContent-Type: a/c; boundary=c\r\n") == nil)
        let long = "X-Long: " + String(repeating: "x", count: 1100)
        #expect(boundaries(long + "\r\nContent-Type: a/b; boundary=b\r\n") == nil, "OpenSSL splits such a line")
    }

    @Test("a genuine .NET-style header is unambiguous; a repeated or differently read boundary is not")
    func ambiguity() throws {
        #expect(try Self.entity(#"Content-Type: multipart/mixed; boundary="b""#).boundaryAmbiguity == nil)
        #expect(
            try Self.entity(#"Content-Type: multipart/mixed; name="boundary=x"; boundary="b""#).boundaryAmbiguity == nil
        )
        #expect(try Self.entity(#"Content-Type: multipart/mixed; boundary="b"; boundary=c"#).boundaryAmbiguity != nil)
        #expect(
            try Self.entity("Content-Type: multipart/mixed; x=\"\r\n boundary=evil\r\n \"; boundary=b")
                .boundaryAmbiguity != nil
        )
        #expect(
            try Self.entity("Content-Type: multipart/mixed; boundary=b\r\nContent-Type: text/plain").boundaryAmbiguity
                != nil
        )
    }
}
