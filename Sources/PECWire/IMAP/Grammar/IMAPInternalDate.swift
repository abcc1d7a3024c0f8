import Foundation

extension IMAP {
    /// INTERNALDATE as sent by the server: "04-Feb-2026 08:15:00 +0000" (RFC 3501 §2.3.3).
    package struct InternalDate: Hashable, Sendable, CustomStringConvertible {
        package var year: Int
        package var month: Int
        package var day: Int
        package var hour: Int
        package var minute: Int
        package var second: Int
        /// Offset from UTC in minutes ("+0100" is 60).
        package var zoneMinutes: Int

        package init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, zoneMinutes: Int) {
            self.year = year
            self.month = month
            self.day = day
            self.hour = hour
            self.minute = minute
            self.second = second
            self.zoneMinutes = zoneMinutes
        }

        static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

        /// The instant, computed without a Calendar (proleptic Gregorian, days-from-civil).
        package var date: Date {
            let y = month <= 2 ? year - 1 : year
            let era = (y >= 0 ? y : y - 399) / 400
            let yearOfEra = y - era * 400
            let shiftedMonth = month > 2 ? month - 3 : month + 9
            let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            let days = era * 146_097 + dayOfEra - 719_468
            let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - zoneMinutes * 60
            return Date(timeIntervalSince1970: TimeInterval(seconds))
        }

        /// The wire form, e.g. "04-Feb-2026 08:15:00 +0000".
        package var description: String {
            let monthName = (1...12).contains(month) ? Self.monthNames[month - 1] : "???"
            let sign = zoneMinutes < 0 ? "-" : "+"
            let zone = abs(zoneMinutes)
            return "\(Self.pad(day, 2))-\(monthName)-\(Self.pad(year, 4)) \(Self.pad(hour, 2)):\(Self.pad(minute, 2)):"
                + "\(Self.pad(second, 2)) \(sign)\(Self.pad(zone / 60, 2))\(Self.pad(zone % 60, 2))"
        }

        static func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
    }
}
