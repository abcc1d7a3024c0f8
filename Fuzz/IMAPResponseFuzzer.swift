// libFuzzer target for IMAP.ResponseParser, compiled by scripts/fuzz.sh together with the PECWire
// sources alone (Sources/PECWire, pure Swift + Foundation), so no other module has to be built with
// the sanitizers. The parser must never crash, trap or hang:
// it returns nil (needs more input) or throws.

@_cdecl("LLVMFuzzerTestOneInput")
public func imapFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let control = bytes[0]
    let input = bytes.dropFirst()
    // The first byte chooses up to 3 chunks, so that resuming at odd places is exercised too.
    let cut1 = input.startIndex + Int(control & 0x0F) * input.count / 16
    let cut2 = cut1 + (input.endIndex - cut1) * Int(control >> 4) / 16
    let chunks = [input[input.startIndex..<cut1], input[cut1..<cut2], input[cut2..<input.endIndex]]
    var options = IMAP.ResponseParser.Options()
    options.streamingChunkSize = 7
    options.maxSetExpansion = 10_000
    var parser = IMAP.ResponseParser(options: options)
    var accumulator = IMAP.FetchAccumulator()
    for chunk in chunks {
        parser.append(chunk)
        do {
            while let response = try parser.next() {
                if case .fetch(let event) = response { _ = accumulator.handle(event) }
            }
        } catch {
            _ = error.description
            return 0
        }
    }
    return 0
}
