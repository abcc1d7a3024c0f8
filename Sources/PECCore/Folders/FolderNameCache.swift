import Foundation

/// The folder names each account's server listed last, in `$XDG_STATE_HOME/pec/folders/ADDRESS`
/// (one per line): what shell completion of `--folder` offers without touching the network.
/// Written by every full folder listing (`pec folders`, `pec_folders`); best effort.
public struct FolderNameCache: Sendable {
    public var directory: URL

    public init(environment: [String: String]) {
        directory = SendLedger.stateDirectory(environment: environment)
            .appendingPathComponent("folders", isDirectory: true)
    }

    /// Replaces the names kept for `address`.
    public func save(_ names: [String], for address: String) {
        // A name with a line break cannot be one line of the file (nor a completion).
        let lines = names.filter { !$0.contains(where: \.isNewline) }
        guard (try? SecureFiles.ensureDirectory(directory)) != nil else { return }
        try? SecureFiles.writeAtomically(Data((lines.joined(separator: "\n") + "\n").utf8), to: file(for: address))
    }

    /// The names kept for `address`, in the order listed; empty when there are none.
    public func names(for address: String) -> [String] {
        guard let data = try? SecureFiles.readPrivate(file(for: address)) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Forgets `address` (`pec auth logout`).
    public func forget(_ address: String) {
        unlink(file(for: address).path)
    }

    private func file(for address: String) -> URL {
        directory.appendingPathComponent(LoginHistory.fileName(for: address), isDirectory: false)
    }
}
