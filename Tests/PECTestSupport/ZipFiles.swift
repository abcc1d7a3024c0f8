import Foundation

/// Zip archives built byte by byte for the attachment checks: stored entries, or raw deflate data
/// given by the test (``ZipFiles/zeroBomb(prefix:size:)``), with real CRC-32s so any zip reader opens them.
public enum ZipFiles {
    public struct Entry {
        public var name: String
        /// Stored: the bytes. Deflated: the raw deflate stream.
        public var data: [UInt8]
        public var deflated: Bool
        public var uncompressedSize: Int
        public var crc: UInt32

        public static func stored(_ name: String, _ bytes: [UInt8]) -> Entry {
            Entry(name: name, data: bytes, deflated: false, uncompressedSize: bytes.count, crc: ZipFiles.crc32(bytes))
        }

        public static func stored(_ name: String, _ text: String) -> Entry { stored(name, Array(text.utf8)) }

        public static func deflated(_ name: String, stream: [UInt8], uncompressedSize: Int, crc: UInt32) -> Entry {
            Entry(name: name, data: stream, deflated: true, uncompressedSize: uncompressedSize, crc: crc)
        }
    }

    /// The archive's bytes: local headers with the data, the central directory, its end record.
    public static func archive(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        out.reserveCapacity(entries.reduce(0) { $0 + 30 + $1.name.utf8.count + $1.data.count } + 22)
        central.reserveCapacity(entries.reduce(0) { $0 + 46 + $1.name.utf8.count })
        for entry in entries {
            let offset = out.count
            let name = Array(entry.name.utf8)
            let method: UInt16 = entry.deflated ? 8 : 0
            out += le32(0x0403_4B50) + le16(20) + le16(0x0800) + le16(method) + le16(0) + le16(0x21)
            out += le32(entry.crc) + le32(UInt32(entry.data.count)) + le32(UInt32(entry.uncompressedSize))
            out += le16(UInt16(name.count)) + le16(0) + name + entry.data
            central += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0x0800) + le16(method) + le16(0) + le16(0x21)
            central += le32(entry.crc) + le32(UInt32(entry.data.count)) + le32(UInt32(entry.uncompressedSize))
            central += le16(UInt16(name.count)) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0)
            central += le32(UInt32(offset)) + name
        }
        let centralOffset = out.count
        out += central
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(entries.count)) + le16(UInt16(entries.count))
        out += le32(UInt32(central.count)) + le32(UInt32(centralOffset)) + le16(0)
        return out
    }

    /// A raw deflate stream that inflates to `prefix` followed by zeros, `size` bytes in all (fixed
    /// Huffman codes, runs of 258 bytes: 13 bits per 258 bytes). Its entry's CRC is left 0: a reader
    /// that reaches the end of a bomb has already lost.
    public static func zeroBomb(prefix: [UInt8], size: Int) -> [UInt8] {
        var bits = BitWriter()
        bits.write(1, count: 1)  // final block
        bits.write(1, count: 2)  // fixed Huffman (BTYPE 01)
        func literal(_ byte: UInt8) {
            if byte < 144 {
                bits.writeCode(0x30 + UInt32(byte), count: 8)
            } else {
                bits.writeCode(0x190 + UInt32(byte) - 144, count: 9)
            }
        }
        for byte in prefix { literal(byte) }
        literal(0)
        var remaining = size - prefix.count - 1
        // Length 258 (code 285, 11000101) then distance 1 (00000), Huffman codes written most
        // significant bit first: as one 13-bit value taken least significant bit first, 0b1010_0011.
        while remaining >= 258 {
            bits.write(0xA3, count: 13)
            remaining -= 258
        }
        for _ in 0..<remaining { literal(0) }
        bits.writeCode(0, count: 7)  // end of block
        return bits.finished
    }

    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.value
    }

    struct CRC32 {
        static let table: [UInt32] = (0..<256).map { n in
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            return c
        }
        private var state: UInt32 = 0xFFFF_FFFF
        mutating func update(_ bytes: [UInt8]) {
            for byte in bytes { state = Self.table[Int((state ^ UInt32(byte)) & 0xFF)] ^ (state >> 8) }
        }
        var value: UInt32 { state ^ 0xFFFF_FFFF }
    }

    struct BitWriter {
        private(set) var bytes: [UInt8] = []
        private var pending: UInt64 = 0
        private var used = 0
        /// `value`'s low `count` bits (at most 32), least significant first (deflate's bit order).
        mutating func write(_ value: UInt32, count: Int) {
            pending |= UInt64(value & UInt32((UInt64(1) << count) - 1)) << used
            used += count
            while used >= 8 {
                bytes.append(UInt8(pending & 0xFF))
                pending >>= 8
                used -= 8
            }
        }
        /// A Huffman code: most significant bit first.
        mutating func writeCode(_ code: UInt32, count: Int) {
            var reversed: UInt32 = 0
            for i in 0..<count where code & (1 << i) != 0 { reversed |= 1 << (count - 1 - i) }
            write(reversed, count: count)
        }
        var finished: [UInt8] { used == 0 ? bytes : bytes + [UInt8(pending & 0xFF)] }
    }

    private static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    private static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
}
