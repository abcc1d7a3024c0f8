import Foundation

extension IMAPClient {
    /// The whole message `uid` of the open mailbox, streamed into a new private temporary file
    /// (never held in memory). The caller removes it with ``TemporaryFiles/remove(_:)``.
    func spoolMessage(uid: IMAP.UID) async throws -> URL {
        let (url, handle) = try TemporaryFiles.createPrivate(suffix: ".eml")
        do {
            defer { try? handle.close() }
            _ = try await streamSection(uid: uid, section: IMAP.SectionSpecifier(part: [], kind: .complete)) {
                try handle.write(contentsOf: $0)
            }
            return url
        } catch {
            TemporaryFiles.remove(url)
            if let error = error as? PECError { throw error }
            throw PECError(.io, "cannot write the message to \(url.path): \(error.localizedDescription)")
        }
    }
}
