extension IMAP.GrammarParser {
    // date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
    // date-day-fixed = (SP DIGIT) / 2DIGIT
    // date-month = "Jan" / "Feb" / "Mar" / "Apr" / "May" / "Jun" / "Jul" / "Aug" / "Sep" / "Oct" / "Nov" / "Dec"
    // date-year = 4DIGIT
    // time = 2DIGIT ":" 2DIGIT ":" 2DIGIT
    // zone = ("+" / "-") 4DIGIT
    // Tolerance: a one-digit day without the leading space ("4-Feb-2026").
    static func parseInternalDate(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.InternalDate {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            try PL.parseByte(quote, &buffer)
            PL.skipSpaces(&buffer)
            let day = try parseDigits(&buffer, minLength: 1, maxLength: 2)
            try PL.parseByte(UInt8(ascii: "-"), &buffer)
            let monthName = try PL.parseBytes(&buffer, minLength: 3, maxLength: 3, hint: "expected a month") {
                ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z")
            }
            let monthText = String(decoding: monthName, as: UTF8.self).lowercased()
            guard let monthIndex = IMAP.InternalDate.monthNames.firstIndex(where: { $0.lowercased() == monthText })
            else { throw PL.syntaxError("expected a month name") }
            try PL.parseByte(UInt8(ascii: "-"), &buffer)
            let year = try parseDigits(&buffer, minLength: 4, maxLength: 4)
            try PL.parseSpace(&buffer)
            let hour = try parseDigits(&buffer, minLength: 2, maxLength: 2)
            try PL.parseByte(UInt8(ascii: ":"), &buffer)
            let minute = try parseDigits(&buffer, minLength: 2, maxLength: 2)
            try PL.parseByte(UInt8(ascii: ":"), &buffer)
            let second = try parseDigits(&buffer, minLength: 2, maxLength: 2)
            try PL.parseSpace(&buffer)
            let sign = try buffer.readByte()
            guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else {
                throw PL.syntaxError("expected a time zone")
            }
            let zone = try parseDigits(&buffer, minLength: 4, maxLength: 4)
            try PL.parseByte(quote, &buffer)
            guard (1...31).contains(day), hour < 24, minute < 60, second <= 60, zone % 100 < 60 else {
                throw PL.syntaxError("date or time out of range")
            }
            let zoneMinutes = (zone / 100 * 60 + zone % 100) * (sign == UInt8(ascii: "-") ? -1 : 1)
            return IMAP.InternalDate(
                year: year,
                month: monthIndex + 1,
                day: day,
                hour: hour,
                minute: minute,
                second: second,
                zoneMinutes: zoneMinutes
            )
        }
    }

    // n*m DIGIT
    /// `minLength...maxLength` DIGITs as a small integer.
    static func parseDigits(_ buffer: inout ParseBuffer, minLength: Int, maxLength: Int) throws -> Int {
        let digits = try PL.parseBytes(
            &buffer,
            minLength: minLength,
            maxLength: maxLength,
            hint: "expected \(minLength) digits",
            where: PL.isDigit
        )
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }
}
