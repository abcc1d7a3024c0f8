import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The absolute path of the running pec-mcp, for the `command` of the client's entry.
enum ExecutablePath {
    /// The path it was started by when that names this very file (so `/opt/homebrew/bin/pec-mcp`,
    /// a link that survives upgrades, rather than the versioned file it points to); else the file itself.
    static func current(arguments: [String] = CommandLine.arguments, environment: [String: String]) -> String? {
        let file = runningFile()
        if let invoked = arguments.first.flatMap({ resolved($0, path: environment["PATH"]) }) {
            guard let file else { return invoked }
            if sameFile(invoked, file) { return invoked }
        }
        return file
    }

    /// The executable file itself, links resolved.
    private static func runningFile() -> String? {
        #if os(Linux)
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            guard count > 0 else { return nil }
            return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #elseif canImport(Darwin)
            var size: UInt32 = 0
            _ = _NSGetExecutablePath(nil, &size)
            var buffer = [CChar](repeating: 0, count: Int(size) + 1)
            guard _NSGetExecutablePath(&buffer, &size) == 0 else { return nil }
            guard let real = realpath(buffer, nil) else { return String(cString: buffer) }
            defer { free(real) }
            return String(cString: real)
        #else
            return nil
        #endif
    }

    /// argv[0] as an absolute path: as given when it has a slash, else looked up in PATH as the shell did.
    private static func resolved(_ argument: String, path: String?) -> String? {
        if argument.contains("/") {
            let absolute =
                argument.hasPrefix("/")
                ? argument : FileManager.default.currentDirectoryPath + "/" + argument
            return URL(fileURLWithPath: absolute).standardizedFileURL.path
        }
        for directory in (path ?? "").split(separator: ":") where directory.hasPrefix("/") {
            let candidate = "\(directory)/\(argument)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    private static func sameFile(_ a: String, _ b: String) -> Bool {
        var first = stat()
        var second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }
}
