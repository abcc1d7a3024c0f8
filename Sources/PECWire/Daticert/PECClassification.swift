/// What a message is, decided per pec-standard.md §15.2 from its top-level headers and, when
/// the headers say nothing, from its `daticert.xml`: `X-Ricevuta`, else `X-Trasporto`
/// (`posta-certificata` / `errore` → anomalia), else daticert `tipo`, else ordinary mail.
/// The Subject never decides.
package struct PECClassification: Sendable, Equatable {
    /// Nil for ordinary mail.
    package var kind: PECMessageKind?
    /// Where ``kind`` came from.
    package var source: Source?
    /// Set when the headers and the daticert disagree (the headers win), e.g.
    /// `X-Ricevuta says accettazione but daticert tipo is avvenuta-consegna`.
    package var mismatch: String?

    package enum Source: String, Sendable, Equatable, Codable {
        case xRicevuta = "x-ricevuta"
        case xTrasporto = "x-trasporto"
        case daticert
        /// `REM-MessageType` / `REM-EventIdentifier` (a REM message has no daticert).
        case remHeaders = "rem-headers"
    }

    package init(kind: PECMessageKind?, source: Source?, mismatch: String? = nil) {
        self.kind = kind
        self.source = source
        self.mismatch = mismatch
    }

    package init(headers: HeaderFields, daticert: Daticert?) {
        let receipt = headers.text("X-Ricevuta").flatMap { $0.isEmpty ? nil : $0 }
        let transport = headers.text("X-Trasporto").flatMap { $0.isEmpty ? nil : $0 }
        let headerKind = PECMessageKind(headers: headers)
        let daticertKind = daticert?.kind

        switch (headerKind, daticertKind) {
        case (let header?, let datiKind):
            if receipt == nil, transport == nil {
                self.init(kind: header, source: .remHeaders)
                return
            }
            let name = receipt != nil ? "X-Ricevuta" : "X-Trasporto"
            let value = receipt ?? transport ?? header.rawValue
            self.init(
                kind: header,
                source: receipt != nil ? .xRicevuta : .xTrasporto,
                mismatch: datiKind.flatMap { Self.disagreement(header: header, headerName: name, value: value, $0) }
            )
            // Both headers present and saying different things is also worth a note.
            if self.mismatch == nil, let receipt, let transport {
                self.mismatch = "both X-Ricevuta: \(receipt) and X-Trasporto: \(transport) are present"
            }
        case (nil, let datiKind?):
            self.init(kind: datiKind, source: .daticert)
        case (nil, nil):
            self.init(kind: nil, source: nil)
        }
    }

    /// Nil when the daticert `tipo` is what the header implies. An anomaly envelope has no daticert
    /// of its own (§3 row 2), so any daticert under `X-Trasporto: errore` is reported.
    private static func disagreement(
        header: PECMessageKind,
        headerName: String,
        value: String,
        _ daticert: PECMessageKind
    ) -> String? {
        guard header != daticert else { return nil }
        return "\(headerName) says \(value) but daticert tipo is \(daticert.rawValue)"
    }
}
