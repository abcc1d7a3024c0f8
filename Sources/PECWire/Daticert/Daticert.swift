import Foundation

/// The certification data a gestore attaches to every envelope and receipt as `daticert.xml`
/// (pec-standard.md §6). Values are kept as written (trimmed, entities decoded); enumerated
/// attributes stay strings so that values nobody documented survive (`tipo="errore"` exists).
/// JSON keys are snake_case: `gestore_emittente`, `ricevuta_tipo`, `errore_esteso`.
public struct Daticert: Codable, Sendable, Equatable {
    /// One `<destinatari tipo="…">` element: an original recipient.
    public struct Destinatario: Codable, Sendable, Equatable {
        public var address: String
        /// `certificato` (a PEC mailbox) or `esterno` (ordinary mail), verbatim.
        public var tipo: String

        public init(address: String, tipo: String) {
            self.address = address
            self.tipo = tipo
        }

        /// `tipo="esterno"`: an ordinary mailbox, which never sends avvenuta-consegna (§15.5).
        public var isExternal: Bool { tipo.lowercased() == "esterno" }
    }

    /// `<data zona="+0100"><giorno>13/11/2018</giorno><ora>16:39:26</ora></data>`: when the
    /// gestore issued the message, Italian local time with its UTC offset.
    public struct EventTime: Codable, Sendable, Equatable {
        /// `dd/mm/yyyy`, as written.
        public var giorno: String
        /// `hh:mm:ss`, as written.
        public var ora: String
        /// `+hhmm`, as written; nil when the element has no `zona`.
        public var zona: String?
        /// `YYYY-MM-DDTHH:MM:SS+hh:mm`, composed from the three; nil when any of them is malformed.
        public var iso8601: String?

        public init(giorno: String, ora: String, zona: String?) {
            self.giorno = giorno
            self.ora = ora
            self.zona = zona
            self.iso8601 = Self.compose(giorno: giorno, ora: ora, zona: zona)
        }

        /// The instant, when ``iso8601`` could be composed.
        public var date: Date? {
            guard let iso8601 else { return nil }
            // Computed directly for the dates receipts carry (a new ISO8601DateFormatter per receipt was a
            // tenth of `pec sync`'s time); anything unusual (a leap second, 31/02, years before 1900) is left
            // to the formatter, so the result is the same.
            if let seconds = Self.epochSeconds(iso8601) { return Date(timeIntervalSince1970: TimeInterval(seconds)) }
            return ISO8601DateFormatter().date(from: iso8601)
        }

        /// Seconds since 1970 of a ``compose(giorno:ora:zona:)`` text (`YYYY-MM-DDTHH:MM:SS+hh:mm`),
        /// proleptic Gregorian; nil when the formatter should decide.
        static func epochSeconds(_ text: String) -> Int? {
            let bytes = Array(text.utf8)
            guard bytes.count == 25 else { return nil }
            func field(_ start: Int, _ length: Int) -> Int? {
                var value = 0
                for byte in bytes[start..<start + length] {
                    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                    value = value * 10 + Int(byte - UInt8(ascii: "0"))
                }
                return value
            }
            guard let year = field(0, 4), let month = field(5, 2), let day = field(8, 2), let hour = field(11, 2),
                let minute = field(14, 2), let second = field(17, 2), let offsetHours = field(20, 2),
                let offsetMinutes = field(23, 2), bytes[19] == UInt8(ascii: "+") || bytes[19] == UInt8(ascii: "-"),
                (1900...9999).contains(year), (1...12).contains(month), hour < 24, minute < 60, second < 60,
                offsetHours < 24, offsetMinutes < 60
            else { return nil }
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            guard (1...monthDays[month - 1]).contains(day) else { return nil }
            // Days from 1970-01-01 to the civil date (H. Hinnant's days_from_civil).
            let y = month <= 2 ? year - 1 : year
            let era = y / 400
            let yearOfEra = y - era * 400
            let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            let days = era * 146_097 + dayOfEra - 719_468
            let offset = (offsetHours * 3600 + offsetMinutes * 60) * (bytes[19] == UInt8(ascii: "+") ? 1 : -1)
            return days * 86_400 + hour * 3600 + minute * 60 + second - offset
        }

        static func compose(giorno: String, ora: String, zona: String?) -> String? {
            let day = giorno.split(separator: "/", omittingEmptySubsequences: false)
            let time = ora.split(separator: ":", omittingEmptySubsequences: false)
            guard day.count == 3, time.count == 3, let zona else { return nil }
            guard let dd = number(day[0], digits: 1...2, in: 1...31),
                let mm = number(day[1], digits: 1...2, in: 1...12),
                let yyyy = number(day[2], digits: 4...4, in: 1...9999),
                let hour = number(time[0], digits: 1...2, in: 0...23),
                let minute = number(time[1], digits: 1...2, in: 0...59),
                let second = number(time[2], digits: 1...2, in: 0...60)
            else { return nil }
            let zone = Array(zona.utf8)
            guard zone.count == 5, zone[0] == UInt8(ascii: "+") || zone[0] == UInt8(ascii: "-"),
                let offsetHours = number(Substring(zona.dropFirst().prefix(2)), digits: 2...2, in: 0...23),
                let offsetMinutes = number(Substring(zona.suffix(2)), digits: 2...2, in: 0...59)
            else { return nil }
            let sign = zone[0] == UInt8(ascii: "+") ? "+" : "-"
            return "\(pad(yyyy, 4))-\(pad(mm, 2))-\(pad(dd, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
                + "\(sign)\(pad(offsetHours, 2)):\(pad(offsetMinutes, 2))"
        }

        private static func number(_ text: Substring, digits: ClosedRange<Int>, in range: ClosedRange<Int>) -> Int? {
            guard digits.contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(text), range.contains(value)
            else { return nil }
            return value
        }

        private static func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
    }

    /// `postacert/@tipo`, verbatim (lower-cased by nobody): see ``kind``.
    public var tipo: String
    /// `postacert/@errore`: `nessuno` (the DTD default when absent), `no-dest`, `no-dominio`, `virus`, `altro`.
    public var errore: String
    public var mittente: String
    public var destinatari: [Destinatario]
    /// The original Reply-To (the sender when there was none). Required by the DTD, tolerated missing.
    public var risposte: String?
    /// The original subject, already decoded by the gestore.
    public var oggetto: String?
    public var gestoreEmittente: String
    public var data: EventTime
    /// The PEC id: the same in the envelope and in every receipt of one message.
    public var identificativo: String
    /// The client's original Message-ID, with its angle brackets (`<…@…>`), entities decoded.
    public var msgid: String?
    /// `ricevuta/@tipo`: `completa` (DTD default when the element has no attribute), `breve`, `sintetica`;
    /// nil when there is no `<ricevuta>` element (accettazione, errore-consegna …).
    public var ricevutaTipo: String?
    /// The one recipient this (non-)delivery refers to.
    public var consegna: String?
    /// Recipients taken in charge (presa-in-carico); empty when none.
    public var ricezione: [String]
    /// Detail such as `5.1.1 - ARUBA PEC S.p.A. - indirizzo non valido`.
    public var erroreEsteso: String?

    public init(
        tipo: String,
        errore: String = "nessuno",
        mittente: String,
        destinatari: [Destinatario],
        risposte: String?,
        oggetto: String?,
        gestoreEmittente: String,
        data: EventTime,
        identificativo: String,
        msgid: String? = nil,
        ricevutaTipo: String? = nil,
        consegna: String? = nil,
        ricezione: [String] = [],
        erroreEsteso: String? = nil
    ) {
        self.tipo = tipo
        self.errore = errore
        self.mittente = mittente
        self.destinatari = destinatari
        self.risposte = risposte
        self.oggetto = oggetto
        self.gestoreEmittente = gestoreEmittente
        self.data = data
        self.identificativo = identificativo
        self.msgid = msgid
        self.ricevutaTipo = ricevutaTipo
        self.consegna = consegna
        self.ricezione = ricezione
        self.erroreEsteso = erroreEsteso
    }

    /// ``tipo`` as a message kind; unknown values become ``PECMessageKind/other(_:)``.
    public var kind: PECMessageKind { PECMessageKind(rawValue: tipo) }

    /// ``errore`` when it reports a failure: nil for `nessuno` (in any case), the value otherwise.
    public var failure: String? { errore.lowercased() == "nessuno" ? nil : errore }

    private enum CodingKeys: String, CodingKey {
        case tipo, errore, mittente, destinatari, risposte, oggetto
        case gestoreEmittente = "gestore_emittente"
        case data, identificativo, msgid
        case ricevutaTipo = "ricevuta_tipo"
        case consegna, ricezione
        case erroreEsteso = "errore_esteso"
    }
}
