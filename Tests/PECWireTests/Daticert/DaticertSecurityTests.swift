import Dispatch
import Foundation
import Testing

@testable import PECWire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("DaticertParser: hostile input")
struct DaticertSecurityTests {
    static func withDoctype(_ doctype: String, oggetto: String = "Prova", errore: Bool = true) -> [UInt8] {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            \(doctype)
            <postacert tipo="accettazione"\(errore ? #" errore="nessuno""# : "")>
            <intestazione><mittente>a@x.it</mittente><destinatari tipo="certificato">b@x.it</destinatari>
            <oggetto>\(oggetto)</oggetto></intestazione>
            <dati><gestore-emittente>G</gestore-emittente>
            <data zona="+0100"><giorno>01/02/2026</giorno><ora>10:11:12</ora></data>
            <identificativo>id@x.it</identificativo></dati>
            </postacert>
            """
        return Array(xml.utf8)
    }

    /// Runs `parse` on another thread and gives up after `seconds`, so that a regression that
    /// makes the parser block on a network fetch fails the test instead of hanging the run.
    static func parseBounded(_ bytes: [UInt8], seconds: Double = 10) -> Result<Daticert, any Error>? {
        final class Box: @unchecked Sendable {
            var result: Result<Daticert, any Error>?
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            box.result = Result { try DaticertParser.parse(bytes) }
            done.signal()
        }
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return box.result
    }

    @Test("the real DOCTYPE (SYSTEM \"Postacert.dtd\", relative, absent) is ignored")
    func realDoctype() throws {
        let daticert = try DaticertParser.parse(Self.withDoctype(#"<!DOCTYPE postacert SYSTEM "Postacert.dtd">"#))
        #expect(daticert.tipo == "accettazione")
    }

    @Test("a DOCTYPE naming a local file is not read: its attribute defaults and entities never apply")
    func localDTD() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("daticert-dtd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let dtd = directory.appendingPathComponent("Postacert.dtd")
        try Data(
            #"<!ATTLIST postacert errore CDATA "virus"><!ENTITY leak "LEAKED-FROM-DTD">"#.utf8
        ).write(to: dtd)
        let doctype = #"<!DOCTYPE postacert SYSTEM "\#(dtd.absoluteString)">"#

        // Were the DTD read, errore would default to "virus".
        let plain = try DaticertParser.parse(Self.withDoctype(doctype, errore: false))
        #expect(plain.errore == "nessuno")

        // Were it read, &leak; would expand; unread, the reference is an error or dropped.
        switch Self.parseBounded(Self.withDoctype(doctype, oggetto: "x&leak;y")) {
        case .success(let daticert)?:
            #expect(daticert.oggetto?.contains("LEAKED") == false)
        case .failure(let error)?:
            #expect(error is DaticertError)
        case nil:
            Issue.record("parse did not finish")
        }
    }

    @Test("a DOCTYPE naming an http URL is never fetched: no connection reaches a local listener")
    func httpDTD() throws {
        let listener = try #require(DTDFetchListener(), "cannot open a local TCP listener")
        defer { listener.close() }
        let doctype = #"<!DOCTYPE postacert SYSTEM "http://127.0.0.1:\#(listener.port)/Postacert.dtd">"#
        let outcome = Self.parseBounded(Self.withDoctype(doctype, errore: false), seconds: 10)
        let daticert = try #require(try outcome?.get(), "parse blocked: probably fetching the DTD")
        #expect(daticert.errore == "nessuno")
        #expect(listener.pendingConnection() == false, "the parser connected to the DTD URL")
    }

    @Test("billion laughs (nested entity expansion) is refused at once")
    func billionLaughs() {
        var doctype = #"<!DOCTYPE postacert [<!ENTITY lol0 "lol">"#
        for level in 1...12 {
            doctype += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level - 1);", count: 10) + "\">"
        }
        doctype += "]>"
        let start = Date()
        let outcome = Self.parseBounded(Self.withDoctype(doctype, oggetto: "&lol12;"), seconds: 10)
        #expect(Date().timeIntervalSince(start) < 5)
        guard case .failure(let error)? = outcome else {
            Issue.record("expected a refusal, got \(String(describing: outcome))")
            return
        }
        #expect(error as? DaticertError == .entityDeclaration)
    }

    @Test("external general and parameter entities are refused")
    func externalEntities() {
        for doctype in [
            #"<!DOCTYPE postacert [<!ENTITY x SYSTEM "file:///etc/passwd">]>"#,
            #"<!DOCTYPE postacert [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>"#,
        ] {
            #expect(throws: DaticertError.entityDeclaration) {
                try DaticertParser.parse(Self.withDoctype(doctype, oggetto: "&x;"))
            }
        }
    }

    @Test("UTF-16 input (which would dodge the <!ENTITY check) is refused")
    func utf16() throws {
        let xml = String(decoding: Self.withDoctype(""), as: UTF8.self)
            .replacingOccurrences(of: "UTF-8", with: "UTF-16")
        let bytes = try #require(xml.data(using: .utf16))
        #expect(throws: DaticertError.unsupportedEncoding("UTF-16 or UTF-32")) {
            try DaticertParser.parse(Array(bytes))
        }
        // Declared UTF-16 but written in ASCII bytes: refused by its declaration.
        #expect(throws: DaticertError.unsupportedEncoding("utf-16")) {
            try DaticertParser.parse(Array(xml.utf8))
        }
    }

    /// The issue's case: `+ADw-` is `<` in UTF-7, so no `<!ENTITY` byte sequence exists to find.
    @Test("a UTF-7 daticert hiding an entity (+ADw-!ENTITY) is refused, never expanded")
    func utf7Entity() {
        let xml = """
            <?xml version="1.0" encoding="UTF-7"?>
            +ADw-!DOCTYPE postacert +AFs-+ADw-!ENTITY x "INJECTED"+AD4-+AF0-+AD4-
            <postacert tipo="accettazione" errore="nessuno"><intestazione><mittente>a@x.it</mittente>
            <destinatari tipo="certificato">b@x.it</destinatari><oggetto>&x;</oggetto></intestazione>
            <dati><gestore-emittente>G</gestore-emittente><data zona="+0100"><giorno>01/02/2026</giorno>
            <ora>10:11:12</ora></data><identificativo>id@x.it</identificativo></dati></postacert>
            """
        #expect(throws: DaticertError.unsupportedEncoding("utf-7")) { try DaticertParser.parse(Array(xml.utf8)) }
    }

    @Test(
        "encodings gestori do not use are refused, however they are spelled",
        arguments: ["UTF-7", "utf-16", "UTF-32", "EBCDIC-US", "windows-1252", "latin1", "ISO8859-1", "UTF8"]
    )
    func otherEncodings(encoding: String) {
        let xml = String(decoding: Self.withDoctype(""), as: UTF8.self)
            .replacingOccurrences(of: "UTF-8", with: encoding)
        #expect(throws: DaticertError.unsupportedEncoding(encoding.lowercased())) {
            try DaticertParser.parse(Array(xml.utf8))
        }
    }

    @Test("declared UTF-8, ISO-8859-1 and US-ASCII (any case) are read")
    func acceptedEncodings() throws {
        for encoding in ["UTF-8", "utf-8", "ISO-8859-1", "iso-8859-1", "US-ASCII", "us-ascii"] {
            let xml = String(decoding: Self.withDoctype(""), as: UTF8.self)
                .replacingOccurrences(of: "UTF-8", with: encoding)
            #expect(try DaticertParser.parse(Array(xml.utf8)).oggetto == "Prova", "\(encoding)")
        }
    }

    @Test("bytes invalid in the declared encoding are refused")
    func undecodable() {
        var bytes = Self.withDoctype("", oggetto: "Citt")
        bytes.insert(0xE0, at: bytes.firstIndex(of: UInt8(ascii: "C"))! + 4)
        #expect(throws: DaticertError.undecodable(encoding: "UTF-8")) { try DaticertParser.parse(bytes) }
        let ascii = String(decoding: Self.withDoctype("", oggetto: "Citt"), as: UTF8.self)
            .replacingOccurrences(of: "UTF-8", with: "US-ASCII")
            .replacingOccurrences(of: "Citt", with: "Citt\u{E0}")
        #expect(throws: DaticertError.undecodable(encoding: "US-ASCII")) {
            try DaticertParser.parse(Array(ascii.utf8))
        }
    }

    @Test("an ISO-8859-1 daticert declaring it is read with its accents")
    func latin1Declared() throws {
        let xml = String(decoding: Self.withDoctype("", oggetto: "Perché è già così"), as: UTF8.self)
            .replacingOccurrences(of: "UTF-8", with: "ISO-8859-1")
        let bytes = try #require(xml.data(using: .isoLatin1))
        #expect(try DaticertParser.parse(Array(bytes)).oggetto == "Perché è già così")
    }

    @Test(
        "an internal DTD subset is refused whatever it declares: an ATTLIST default would add errore",
        arguments: [
            (#"<!DOCTYPE postacert [<!ELEMENT postacert ANY>]>"#, "<!ELEMENT"),
            (#"<!DOCTYPE postacert [<!ATTLIST postacert errore CDATA "virus">]>"#, "<!ATTLIST"),
            (#"<!DOCTYPE postacert [<!NOTATION n SYSTEM "x">]>"#, "<!NOTATION"),
        ]
    )
    func internalSubset(doctype: String, declaration: String) {
        #expect(throws: DaticertError.dtdDeclaration(declaration)) {
            try DaticertParser.parse(Self.withDoctype(doctype, errore: false))
        }
    }
}

/// A non-blocking TCP listener on 127.0.0.1, ephemeral port: tells whether anybody connected.
final class DTDFetchListener {
    let descriptor: Int32
    let port: UInt16

    init?() {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound, fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 else {
            _ = systemClose(fd)
            return nil
        }
        descriptor = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    /// True when a connection is waiting to be accepted (it is accepted and closed).
    func pendingConnection() -> Bool {
        let client = accept(descriptor, nil, nil)
        guard client >= 0 else { return false }
        _ = systemClose(client)
        return true
    }

    func close() {
        _ = systemClose(descriptor)
    }
}

private func systemClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
        Glibc.close(fd)
    #else
        Darwin.close(fd)
    #endif
}
