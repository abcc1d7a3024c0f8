import Foundation
import Testing

@testable import PECCore

@Suite("ProviderCatalog")
struct ProviderCatalogTests {
    @Test("ids are unique and lower-case; every preset is implicit TLS on 993 and 465")
    func shape() {
        let ids = ProviderCatalog.all.map(\.id)
        #expect(Set(ids).count == ids.count)
        for preset in ProviderCatalog.all {
            #expect(preset.id == preset.id.lowercased())
            #expect(preset.imap == ServerEndpoint(host: preset.imap.host, port: 993, security: .implicitTLS))
            #expect(preset.smtp == ServerEndpoint(host: preset.smtp.host, port: 465, security: .implicitTLS))
        }
    }

    @Test("the Python pec-cli's provider names all exist, so its credentials.json keeps working")
    func pythonNames() {
        for id in ["aruba", "legalmail", "namirial", "register", "poste", "pec.it"] {
            #expect(ProviderCatalog.preset(id: id) != nil, "missing \(id)")
        }
        #expect(ProviderCatalog.all.count > 6, "more providers than the Python tool's six")
    }

    @Test(
        "hosts are the verified ones, not the wrong ones in the original table",
        arguments: [
            ("legalmail", "mbox.cert.legalmail.it", "sendm.cert.legalmail.it"),
            ("namirial", "imaps.sicurezzapostale.it", "smtps.sicurezzapostale.it"),
            ("poste", "mail.postecert.it", "mail.postecert.it"),
            ("pec.it", "imaps.pec.aruba.it", "smtps.pec.aruba.it"),
            ("aruba", "imaps.pec.aruba.it", "smtps.pec.aruba.it"),
        ]
    )
    func verifiedHosts(id: String, imap: String, smtp: String) throws {
        let preset = try #require(ProviderCatalog.preset(id: id))
        #expect(preset.imap.host == imap)
        #expect(preset.smtp.host == smtp)
        #expect(preset.confidence == .verified)
    }

    @Test("a preset is found from a mailbox address, case-insensitively")
    func byAddress() {
        #expect(ProviderCatalog.preset(forAddress: "Mario.Rossi@PEC.IT")?.id == "aruba")
        #expect(ProviderCatalog.preset(forAddress: "studio@legalmail.it")?.id == "legalmail")
        #expect(ProviderCatalog.preset(forAddress: "x@example.com") == nil)
        #expect(ProviderCatalog.preset(forAddress: "no-at-sign") == nil)
        #expect(ProviderCatalog.preset(id: "ARUBA")?.id == "aruba")
    }

    @Test("the system libraries report their versions; libsecret, loaded on demand, the file it came from")
    func libraries() {
        #expect(PECVersion.libraries["openssl"]?.hasPrefix("OpenSSL 3") == true)
        let libsecret = PECVersion.libraries["libsecret"] ?? ""
        #expect(libsecret.contains("libsecret-1.so.0"))
        #expect(FileManager.default.fileExists(atPath: libsecret), "\(libsecret)")
    }
}
