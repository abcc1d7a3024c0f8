// libFuzzer target for the XML readers of gestore data, compiled by scripts/fuzz.sh (make fuzz) with the
// PECWire sources alone: the REM evidence parser and the daticert parser, behind XMLSafetyGate. They
// must never crash, trap or hang: they return a value or throw their typed error.

@_cdecl("LLVMFuzzerTestOneInput")
public func xmlFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let input = Array(bytes.dropFirst())
    // The control byte picks the parser; both see every input shape over a run.
    if bytes[0] & 1 == 0 {
        if let evidence = try? REMEvidenceParser.parse(input) {
            // What the reader promises: an index in range or no recipient.
            if let recipient = evidence.recipient, !evidence.recipients.contains(recipient) { fatalError("recipient") }
            _ = evidence.event.rawValue
            _ = evidence.reason?.name
        }
    } else {
        _ = try? DaticertParser.parse(input)
    }
    return 0
}
