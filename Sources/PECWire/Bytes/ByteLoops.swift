/// What the byte-at-a-time codecs (base64 decoding, SMTP dot-stuffing) share: their loop runs over
/// contiguous memory and writes through a pointer, not by appending byte by byte.
extension Array where Element == UInt8 {
    /// Appends what `write` puts into `capacity` bytes of new room at the end; `write` returns how
    /// many it wrote (at most `capacity`), and the rest of the room is dropped.
    package mutating func append(upTo capacity: Int, writingWith write: (UnsafeMutablePointer<UInt8>) -> Int) {
        guard capacity > 0 else { return }
        let start = count
        append(contentsOf: repeatElement(0, count: capacity))
        let written = withUnsafeMutableBufferPointer { whole in write(whole.baseAddress! + start) }
        precondition(written <= capacity, "a byte loop wrote past the room it was given")
        removeLast(capacity - written)
    }
}

/// `body` over `bytes` as contiguous memory: in place when the collection stores them so, else over a copy.
package func withContiguousBytes<Result>(
    of bytes: some Collection<UInt8>,
    _ body: (UnsafeBufferPointer<UInt8>) throws -> Result
) rethrows -> Result {
    if let result = try bytes.withContiguousStorageIfAvailable(body) { return result }
    return try Array(bytes).withUnsafeBufferPointer(body)
}
