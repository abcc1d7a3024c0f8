// libFuzzer target for the MIME parser, compiled by scripts/fuzz.sh (make fuzz) together with the PECWire
// sources alone (Sources/PECWire, pure Swift + Foundation). The parser must never crash, trap,
// hang or grow without bound: it yields events or throws MIMEError. Small limits make the limit
// paths reachable with small inputs.

@_cdecl("LLVMFuzzerTestOneInput")
public func mimeFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let control = bytes[0]
    let input = Array(bytes.dropFirst())
    var options = MIMEStreamParser.Options()
    options.maxDepth = 12
    options.maxParts = 200
    options.maxHeaderBytes = 2048
    options.maxHeaderFields = 100
    // Streaming, in chunks chosen by the control byte (1 byte ... all at once). Invariants: body
    // bytes handed out are exactly the input bytes at the reported offsets, in order, and a part's
    // body starts where its header block ends.
    var parser = MIMEStreamParser(options: options)
    // Byte-sized chunks only for short inputs: they cost an event per byte.
    let chunks = input.count > 1024 ? [64, 512, 4096, 1 << 20] : [1, 3, 7, 16]
    let chunk = chunks[Int(control & 3)]
    // Open parts: where the next body byte must come from, and whether any came.
    var open: [(cursor: Int, streamed: Bool)] = []
    var offset = 0
    var failed = false
    func drain() throws {
        while let event = try parser.next() {
            switch event {
            case .partStart(_, let headers, let range):
                precondition(range.lowerBound <= range.upperBound && range.upperBound <= input.count)
                open.append((range.upperBound, false))
                _ = MIMEContentType(headers: headers).boundary
                _ = MIMEContentDisposition(headers: headers)?.filename
            case .bodyBytes(_, let slice):
                let cursor = open[open.count - 1].cursor
                precondition(!slice.isEmpty && input[cursor..<(cursor + slice.count)].elementsEqual(slice))
                open[open.count - 1] = (cursor + slice.count, true)
            case .partEnd(_, let range):
                let part = open.removeLast()
                precondition(range.upperBound <= input.count)
                if part.streamed {
                    precondition(range.upperBound == part.cursor)
                }
            case .end:
                precondition(open.isEmpty)
            }
        }
    }
    do {
        while offset < input.count {
            let end = min(input.count, offset + chunk)
            try parser.append(input[offset..<end])
            precondition(parser.bufferedByteCount <= options.maxHeaderBytes + 2 * chunk + 4096)
            try drain()
            offset = end
        }
        parser.finish()
        try drain()
    } catch {
        _ = "\(error)"
        failed = true
    }
    // The in-memory tree agrees with the stream about failure; decoding and text never trap.
    do {
        let message = try MIMEMessage(parsing: input, options: options)
        precondition(!failed, "stream failed but the tree did not")
        for entity in message.allEntities {
            precondition(entity.rawRange.upperBound <= input.count)
            _ = entity.text
            _ = entity.filename
            precondition(entity.headerRange.upperBound == entity.bodyRange.lowerBound)
            _ = entity.decodedBody.count
        }
    } catch {
        precondition(failed, "tree failed but the stream did not")
    }
    return 0
}
