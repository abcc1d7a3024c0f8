import Foundation
import Testing

@testable import PECCore

/// A private temporary HOME and XDG_CONFIG_HOME for one test, deleted when it is released.
/// The environment never contains a session bus unless `keyring: true`, so a store made from it
/// never reaches a keyring (nor the real ~/.config).
final class CredentialsSandbox: @unchecked Sendable {
    let root: URL
    var environment: [String: String]

    init(keyring: Bool = false, extra: [String: String] = [:]) throws {
        var template = Array((NSTemporaryDirectory() + "/pec-accounts.XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw CocoaError(.fileWriteUnknown)
        }
        root = URL(fileURLWithPath: String(cString: template.withUnsafeBufferPointer { $0.baseAddress! }))
        environment = [
            "HOME": root.appendingPathComponent("home").path,
            "XDG_CONFIG_HOME": root.appendingPathComponent("config").path,
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        if keyring {
            for key in ["DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"] {
                environment[key] = ProcessInfo.processInfo.environment[key]
            }
        }
        environment.merge(extra) { _, new in new }
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    var store: AccountStore { AccountStore(environment: environment) }
    var directory: URL { root.appendingPathComponent("config/mayai-cli/pec") }
    var credentialsFile: URL { directory.appendingPathComponent("credentials.json") }
    var keyFile: URL { directory.appendingPathComponent("key.bin") }

    /// Writes a file as the Python pec-cli would: directory 0755, file 0600.
    func writePythonFile(_ name: String, _ text: String, mode: mode_t = 0o600) throws {
        try FileManager.default.createDirectory(
            at: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755]
        )
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        chmod(url.path, mode)
    }

    func json() throws -> [String: Any] {
        let data = try Data(contentsOf: credentialsFile)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func files() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    func mode(_ url: URL) -> mode_t {
        var info = stat()
        return stat(url.path, &info) == 0 ? info.st_mode & 0o777 : 0
    }
}

/// The PECError a call threw, or nil when it did not throw (any other error is recorded as an issue).
func pecError<T>(_ body: () throws -> T) -> PECError? {
    do {
        _ = try body()
        return nil
    } catch let error as PECError {
        return error
    } catch {
        Issue.record("expected a PECError, got \(error)")
        return nil
    }
}

func arubaAccount(_ address: String, name: String? = nil) -> Account {
    Account(name: name, address: address, preset: ProviderCatalog.preset(id: "aruba")!)
}

/// Runs a program and returns its exit status and stdout (stderr is discarded).
func runProcess(_ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil)
    throws -> (status: Int32, output: String)
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A Python with `cryptography` (the sandbox's venv): `$PEC_SANDBOX_PYTHON`, else sandbox/.venv found
/// above this file; nil when there is none or it lacks `cryptography`.
let fernetPython: String? = {
    var candidates: [String] = []
    if let configured = ProcessInfo.processInfo.environment["PEC_SANDBOX_PYTHON"], !configured.isEmpty {
        candidates.append(configured)
    }
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<6 {
        url.deleteLastPathComponent()
        candidates.append(url.appendingPathComponent("sandbox/.venv/bin/python").path)
    }
    for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
        if let result = try? runProcess(candidate, ["-c", "import cryptography.fernet"]), result.status == 0 {
            return candidate
        }
    }
    return nil
}()
