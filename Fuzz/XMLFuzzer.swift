// libFuzzer target for the XML readers of gestore data, compiled by scripts/fuzz.sh (make fuzz) with the
// PECWire sources alone: the REM evidence parser and the daticert parser, behind XMLSafetyGate, and the
// XMLReader under them on raw bytes. They must never crash, trap or hang: they return a value or throw
// their typed error.

@_cdecl("LLVMFuzzerTestOneInput")
public func xmlFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let input = Array(bytes.dropFirst())
    // The control byte picks the reader; each sees every input shape over a run.
    switch bytes[0] % 3 {
    case 0:
        if let evidence = try? REMEvidenceParser.parse(input) {
            // What the reader promises: an index in range or no recipient.
            if let recipient = evidence.recipient, !evidence.recipients.contains(recipient) { fatalError("recipient") }
            _ = evidence.event.rawValue
            _ = evidence.reason?.name
        }
    case 1:
        _ = try? DaticertParser.parse(input)
    default:
        // The reader alone, without the gate: any bytes, namespaces on or off. A document it reads is
        // well-formed: its start and end events balance and never go below the root.
        guard let events = try? XMLReader.events(input, namespaces: bytes[0] & 0x80 == 0) else { return 0 }
        var depth = 0
        for event in events {
            switch event {
            case .start: depth += 1
            case .end: depth -= 1
            case .text(let text): if text.isEmpty || depth == 0 { fatalError("text") }
            }
            if depth < 0 { fatalError("depth") }
        }
        if depth != 0 { fatalError("unbalanced") }
    }
    return 0
}
