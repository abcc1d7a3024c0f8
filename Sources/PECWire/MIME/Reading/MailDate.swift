import Foundation

/// A `Date:` header value (RFC 5322 §3.3), kept with the sender's UTC offset so it can be shown as
/// ISO-8601 the way the sender wrote it.
package struct MailDate: Sendable, Equatable {
    package var year, month, day, hour, minute, second: Int
    /// Offset from UTC in minutes (+60 for Italian winter time).
    package var offsetMinutes: Int

    package init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, offsetMinutes: Int) {
        (self.year, self.month, self.day) = (year, month, day)
        (self.hour, self.minute, self.second) = (hour, minute, second)
        self.offsetMinutes = offsetMinutes
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    /// RFC 5322 §4.3 obsolete zones; military single letters are ambiguous and read as UTC.
    private static let zones: [String: Int] = [
        "ut": 0, "gmt": 0, "z": 0, "utc": 0, "edt": -240, "est": -300, "cdt": -300, "cst": -360,
        "mdt": -360, "mst": -420, "pdt": -420, "pst": -480, "cet": 60, "cest": 120,
    ]

    // date-time = [ day-of-week "," ] date time [CFWS]
    // date = day month year ; time = hour ":" minute [ ":" second ] FWS zone
    // Lenient: comments dropped, 2-digit years (RFC 5322 §4.3), missing seconds, named zones,
    // "-0000", extra spaces. Returns nil for anything that does not name a real instant.
    package init?(parsing text: String) {
        var cleaned = ""
        var depth = 0
        for character in text {
            if character == "(" {
                depth += 1
            } else if character == ")" {
                depth = max(0, depth - 1)
            } else if depth == 0 {
                cleaned.append(character == "," ? " " : character)
            }
        }
        var tokens = cleaned.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
            .map { $0.lowercased() }
        if let first = tokens.first, first.first?.isLetter == true, !Self.months.contains(String(first.prefix(3))) {
            tokens.removeFirst()  // day of week
        }
        guard tokens.count >= 4,
            let day = Int(tokens[0]),
            let monthIndex = Self.months.firstIndex(of: String(tokens[1].prefix(3))),
            var year = Int(tokens[2])
        else { return nil }
        if tokens[2].count <= 2 { year += year < 50 ? 2000 : 1900 } else if tokens[2].count == 3 { year += 1900 }
        let time = tokens[3].split(separator: ":").map { Int($0) }
        guard time.count == 2 || time.count == 3, let hour = time[0], let minute = time[1] else { return nil }
        let second = time.count == 3 ? time[2] : 0
        guard let second else { return nil }
        // No zone, or one we cannot read: the instant is unknown (the caller falls back to the
        // server's arrival time rather than guess UTC).
        guard tokens.count >= 5 else { return nil }
        let zone = tokens[4].replacingOccurrences(of: ":", with: "")
        var offset: Int
        if let sign = zone.first, sign == "+" || sign == "-", zone.count == 5,
            zone.dropFirst().allSatisfy(\.isASCII), let value = Int(zone.dropFirst())
        {
            offset = (value / 100) * 60 + value % 100
            if sign == "-" { offset = -offset }
        } else if let named = Self.zones[zone] {
            offset = named
        } else {
            return nil
        }
        guard (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
            (1900...9999).contains(year), abs(offset) < 24 * 60
        else { return nil }
        self.init(
            year: year,
            month: monthIndex + 1,
            day: day,
            hour: hour,
            minute: minute,
            second: min(second, 59),
            offsetMinutes: offset
        )
        guard date != nil else { return nil }
    }

    /// The instant, or nil for impossible calendar dates (31 February).
    package var date: Date? {
        var calendar = Calendar(identifier: .gregorian)
        guard let zone = TimeZone(secondsFromGMT: offsetMinutes * 60) else { return nil }
        calendar.timeZone = zone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let date = calendar.date(from: components),
            calendar.component(.day, from: date) == day
        else { return nil }
        return date
    }

    /// `2026-11-20T10:15:00+01:00`.
    package var iso8601: String {
        let sign = offsetMinutes < 0 ? "-" : "+"
        let offset = abs(offsetMinutes)
        let local = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, hour, minute, second)
        return local + sign + String(format: "%02d:%02d", offset / 60, offset % 60)
    }
}
