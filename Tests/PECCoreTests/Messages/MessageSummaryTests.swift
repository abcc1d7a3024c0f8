import Testing

@testable import PECCore

@Suite("message summaries")
struct MessageSummaryTests {
    typealias Part = IMAP.BodyStructure.SinglePart
    typealias Parameter = IMAP.BodyStructure.BodyParameter

    static func part(
        _ type: String,
        _ subtype: String,
        parameters: [Parameter] = [],
        disposition: IMAP.BodyStructure.Disposition? = nil
    ) -> IMAP.BodyStructure {
        var single = Part(
            type: type,
            subtype: subtype,
            parameters: parameters,
            id: nil,
            description: nil,
            encoding: "base64",
            size: 10,
            kind: .basic
        )
        single.disposition = disposition
        return .singlepart(single)
    }

    static func mixed(_ parts: [IMAP.BodyStructure]) -> IMAP.BodyStructure {
        .multipart(IMAP.BodyStructure.MultiPart(parts: parts, subtype: "mixed"))
    }

    @Test("a PEC receipt: daticert.xml inline with a file name counts, smime.p7s does not")
    func receipt() {
        let daticert = Self.part(
            "application",
            "xml",
            parameters: [Parameter(name: "name", value: Array("daticert.xml".utf8))],
            disposition: .init(
                kind: "inline",
                parameters: [Parameter(name: "filename", value: Array("daticert.xml".utf8))]
            )
        )
        let signature = Self.part(
            "application",
            "pkcs7-signature",
            parameters: [Parameter(name: "name", value: Array("smime.p7s".utf8))],
            disposition: .init(kind: "attachment", parameters: [])
        )
        let text = Self.part("text", "plain")
        #expect(MessageSummary.hasAttachments(Self.mixed([Self.mixed([text, daticert]), signature])))
        #expect(!MessageSummary.hasAttachments(Self.mixed([Self.mixed([text]), signature])))
    }

    @Test("plain text alone has none; an attachment disposition without a name has one")
    func plain() {
        #expect(!MessageSummary.hasAttachments(Self.part("text", "plain")))
        #expect(
            MessageSummary.hasAttachments(
                Self.mixed([
                    Self.part("text", "plain"),
                    Self.part("application", "pdf", disposition: .init(kind: "attachment", parameters: [])),
                ])
            )
        )
    }

    @Test("retry delays double from 1 s and stop at 30 s")
    func backoff() {
        let policy = RetryPolicy()
        #expect((0..<7).map { policy.delay(beforeRetry: $0) } == [1, 2, 4, 8, 16, 30, 30].map { Duration.seconds($0) })
    }

    @Test("user dates must be real YYYY-MM-DD days")
    func calendarDay() {
        #expect(CalendarDay("2026-02-28")?.description == "2026-02-28")
        for bad in ["2026-02-30", "26-02-01", "2026/02/01", "", "2026-13-01"] {
            #expect(CalendarDay(bad) == nil, "\(bad)")
        }
    }
}
