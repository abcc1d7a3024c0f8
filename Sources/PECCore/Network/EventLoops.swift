import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import NIOSSL

/// What every connection of the process shares: one event-loop thread, started by the first
/// connection (NIO's singleton starts one per core), and one TLS context per CA file.
///
/// One thread serves a one-connection command and a watch of many accounts alike: the event loop
/// only moves bytes and runs TLS; parsing, decoding and signature checks run on the caller's task.
package enum EventLoops {
    package static let shared = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    private static let contexts = NIOLockedValueBox([String: NIOSSLContext]())

    /// The client TLS context for `caFile` (nil: the system's roots only), made once: making one
    /// parses the system's trust store, about 140 certificates, and holds them in memory. A CA file
    /// that changed on disk (another inode, size or time) gets a new one.
    package static func clientTLSContext(caFile: String?, make: () throws -> NIOSSLContext) rethrows -> NIOSSLContext {
        var key = ""
        if let caFile {
            var info = stat()
            guard stat(caFile, &info) == 0 else { return try make() }
            key = "\(caFile)\u{0}\(info.st_ino)/\(info.st_size)/\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }
        if let context = contexts.withLockedValue({ $0[key] }) { return context }
        let context = try make()
        return contexts.withLockedValue { cache in
            if let existing = cache[key] { return existing }
            cache[key] = context
            return context
        }
    }

    /// The system's trust store as a hashed directory (Debian's and Ubuntu's `/etc/ssl/certs`), where
    /// only the root a server's chain names is read; nil elsewhere, where NIO reads the whole bundle.
    /// Parsing the bundle costs a few milliseconds and a megabyte per context, for one root used.
    package static let systemCertificateDirectory = SystemCertificates.hashedDirectory("/etc/ssl/certs")
}
