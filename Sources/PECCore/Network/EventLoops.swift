import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import NIOSSL

/// What every connection of the process shares: one event-loop thread, started by the first
/// connection (NIO's singleton starts one per core), and one TLS context per CA file, whose system
/// roots are read from the hashed directory, only the one a server's chain names
/// (``SystemCertificates``), where there is one.
///
/// One thread serves a one-connection command and a watch of many accounts alike: the event loop
/// only moves bytes and runs TLS; parsing, decoding and signature checks run on the caller's task.
package enum EventLoops {
    package static let shared = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    private static let contexts = NIOLockedValueBox([String: NIOSSLContext]())

    /// The client TLS context for `caFile` (nil: the system's roots only), made once: making one
    /// with NIO's default roots parses the whole bundle, about 140 certificates. A CA file
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
}
