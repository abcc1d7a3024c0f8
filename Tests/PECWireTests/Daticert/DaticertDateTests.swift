import Foundation
import Testing

@testable import PECWire

@Suite("Daticert dates: computed directly, as ISO8601DateFormatter reads them")
struct DaticertDateTests {
    @Test func agreesWithTheFormatter() {
        var generator = SystemRandomNumberGenerator()
        let formatter = ISO8601DateFormatter()
        var texts = [
            "2018-11-13T16:39:26+01:00", "2024-02-29T23:59:59-05:30", "1970-01-01T00:00:00+00:00",
            "2000-03-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1900-01-01T00:00:00+00:00",
        ]
        for _ in 0..<2000 {
            let year = Int.random(in: 1900...2200, using: &generator)
            let month = Int.random(in: 1...12, using: &generator)
            let day = Int.random(in: 1...28, using: &generator)
            let sign = Bool.random(using: &generator) ? "+" : "-"
            texts.append(
                String(
                    format: "%04d-%02d-%02dT%02d:%02d:%02d%@%02d:%02d",
                    year,
                    month,
                    day,
                    Int.random(in: 0...23, using: &generator),
                    Int.random(in: 0...59, using: &generator),
                    Int.random(in: 0...59, using: &generator),
                    sign,
                    Int.random(in: 0...14, using: &generator),
                    [0, 30, 45].randomElement(using: &generator)!
                )
            )
        }
        for text in texts {
            let computed = Daticert.EventTime.epochSeconds(text).map { Date(timeIntervalSince1970: TimeInterval($0)) }
            #expect(computed == formatter.date(from: text), "\(text)")
        }
    }

    @Test("what is unusual is left to the formatter")
    func unusualDatesFallBack() {
        for text in [
            "2018-02-31T10:00:00+01:00", "2019-02-29T10:00:00+01:00", "2018-11-13T16:39:60+01:00",
            "1582-10-10T10:00:00+01:00", "2018-11-13T16:39:26Z", "2018-13-13T16:39:26+01:00",
        ] {
            #expect(Daticert.EventTime.epochSeconds(text) == nil, "\(text)")
        }
        let time = Daticert.EventTime(giorno: "13/11/2018", ora: "16:39:26", zona: "+0100")
        #expect(time.date == ISO8601DateFormatter().date(from: "2018-11-13T16:39:26+01:00"))
    }
}
