import Foundation

extension IMAPClient {
    /// The whole message `uid` of the open mailbox, streamed into a new private temporary file
    /// (never held in memory). The caller removes it with ``TemporaryFiles/remove(_:)``.
    func spoolMessage(uid: IMAP.UID) async throws -> URL {
        try await spoolMessage(uid: uid, planning: false).url
    }

    /// ``spoolMessage(uid:)`` with ``SpooledMessage``'s first pass made on the bytes as they arrive,
    /// so reading the file afterwards needs no second pass over it. The plan is nil when the bytes are
    /// not readable MIME: ``SpooledMessage`` then reads the file and says why.
    func spoolPlannedMessage(
        uid: IMAP.UID,
        progress: ProgressHandler? = nil
    ) async throws -> (url: URL, plan: SpooledMessage.Plan?) {
        try await spoolMessage(uid: uid, planning: true, progress: progress)
    }

    private func spoolMessage(
        uid: IMAP.UID,
        planning: Bool,
        progress: ProgressHandler? = nil
    ) async throws -> (url: URL, plan: SpooledMessage.Plan?) {
        let (url, handle) = try TemporaryFiles.createPrivate(suffix: ".eml")
        var planner = planning ? SpooledMessage.Planner() : nil
        do {
            defer { try? handle.close() }
            let whole = IMAP.SectionSpecifier(part: [], kind: .complete)
            _ = try await streamSection(uid: uid, section: whole, progress: progress) {
                try handle.write(contentsOf: $0)
                do {
                    try planner?.append($0)
                } catch {
                    planner = nil
                }
            }
            return (url, try? planner?.finish())
        } catch {
            TemporaryFiles.remove(url)
            if let error = error as? PECError { throw error }
            throw PECError(.io, "cannot write the message to \(url.path): \(error.localizedDescription)")
        }
    }
}
