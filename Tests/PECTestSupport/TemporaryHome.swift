import Foundation

/// A private temporary directory (mode 0700, from `mkdtemp`) for one test: a HOME with nothing
/// saved, a ledger's directory, files to attach. Deleted when it is released.
public final class TemporaryHome: Sendable {
    /// The real path: the temporary directory may itself go through a symbolic link.
    public let path: String

    public init(prefix: String = "pec-test") throws {
        var template = Array((NSTemporaryDirectory() + "/\(prefix).XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw CocoaError(.fileWriteUnknown)
        }
        let made = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        guard let resolved = realpath(made, nil) else { throw CocoaError(.fileReadUnknown) }
        defer { free(resolved) }
        path = String(cString: resolved)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public var url: URL { URL(fileURLWithPath: path, isDirectory: true) }

    /// `HOME` and the XDG directories inside it, for a process or a use-case that reads them.
    public var environment: [String: String] {
        ["HOME": path, "XDG_CONFIG_HOME": path + "/config", "XDG_STATE_HOME": path + "/state"]
    }

    /// Writes `text` to `relative` (creating its directories) and returns the full path.
    @discardableResult
    public func file(_ relative: String, _ text: String = "x") throws -> String {
        try file(relative, bytes: Array(text.utf8))
    }

    @discardableResult
    public func file(_ relative: String, bytes: [UInt8]) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        return full
    }
}
