import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A local file read sequentially with POSIX calls, closed in `deinit`.
///
/// Opened with O_NONBLOCK so that a path swapped for a FIFO after validation cannot block the open;
/// the descriptor is then checked to be a regular file (`fstat`), which is what is actually read.
final class AttachmentFileReader {
    /// Bytes read per call: a multiple of 3, so base64 of each chunk needs no carry (the encoder
    /// still handles any size), and small enough that a file is never held whole in memory.
    static let chunkSize = 48 * 1024

    let path: String
    /// Size reported by `fstat` when the file was opened.
    let sizeAtOpen: Int
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw PECError(
                .io,
                "cannot open attachment \(path): \(String(cString: strerror(errno)))",
                hint: "Check that the file exists and is readable."
            )
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw PECError(.io, "attachment \(path) is not a regular file", hint: "Only regular files can be attached.")
        }
        self.descriptor = descriptor
        self.sizeAtOpen = Int(status.st_size)
    }

    deinit {
        close(descriptor)
    }

    /// Fills `buffer` from the start as far as the file allows; returns the byte count, 0 at the
    /// end of the file. Short reads are retried so every chunk but the last is full.
    func readChunk(into buffer: inout [UInt8]) throws -> Int {
        var filled = 0
        // Bounded: each pass either adds ≥ 1 byte, stops at end of file, or retries an
        // interrupted call (EINTR, which needs a signal per pass).
        while filled < buffer.count {
            let count = buffer.withUnsafeMutableBytes { raw in
                readDescriptor(descriptor, raw.baseAddress.map { $0 + filled }, raw.count - filled)
            }
            if count > 0 {
                filled += count
            } else if count == 0 {
                break
            } else if errno != EINTR {
                throw PECError(.io, "cannot read attachment \(path): \(String(cString: strerror(errno)))")
            }
        }
        return filled
    }
}

/// POSIX read(2), named apart from `readChunk` and usable with Glibc and Darwin alike.
private func readDescriptor(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
