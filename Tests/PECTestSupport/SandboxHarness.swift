import Foundation
import Testing

/// The sandbox `make test` started (Dovecot IMAPS + PEC simulator), and a private pec
/// configuration directory per test, so tests never share or touch real credentials.
struct SandboxHarness {
    static var isAnnounced: Bool { ProcessInfo.processInfo.environment["PEC_SANDBOX"] == "1" }
    /// `make test` runs the Swift tests inside a private D-Bus session with gnome-keyring.
    static var hasKeyring: Bool { ProcessInfo.processInfo.environment["PEC_KEYRING_TEST"] == "1" }

    let host: String
    let imapsPort: Int
    let smtpsPort: Int
    let caFile: String
    let directory: String
    let password: String
    let configHome: URL

    /// The REM sandbox `make test` starts beside the PEC one (`PEC_REM_SANDBOX_DIR`, its `env` file).
    static var remDirectory: String? { ProcessInfo.processInfo.environment["PEC_REM_SANDBOX_DIR"] }

    init() throws {
        try self.init(settings: ProcessInfo.processInfo.environment)
    }

    /// The REM-mode sandbox, from the exports of its `env` file.
    static func rem() throws -> SandboxHarness {
        let directory = try #require(remDirectory, "PEC_REM_SANDBOX_DIR is not set: run through `make test`")
        let text = try String(contentsOfFile: directory + "/env", encoding: .utf8)
        var settings: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("export ") {
            let assignment = line.dropFirst("export ".count)
            guard let equals = assignment.firstIndex(of: "=") else { continue }
            var value = assignment[assignment.index(after: equals)...]
            if value.hasPrefix("'"), value.hasSuffix("'"), value.count >= 2 { value = value.dropFirst().dropLast() }
            settings[String(assignment[..<equals])] = String(value)
        }
        try #require(settings["PEC_SANDBOX_STANDARD"] == "rem", "\(directory) is not a REM sandbox")
        return try SandboxHarness(settings: settings)
    }

    init(settings env: [String: String]) throws {
        func value(_ name: String) throws -> String {
            try #require(env[name], "\(name) is not set although PEC_SANDBOX=1")
        }
        host = try value("PEC_SANDBOX_HOST")
        imapsPort = try #require(Int(try value("PEC_SANDBOX_IMAPS_PORT")))
        smtpsPort = try #require(Int(try value("PEC_SANDBOX_SMTPS_PORT")))
        caFile = try value("PEC_SANDBOX_CA_FILE")
        directory = try value("PEC_SANDBOX_DIR")
        password = try value("PEC_SANDBOX_PASSWORD")
        configHome = FileManager.default.temporaryDirectory.appendingPathComponent("pec-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: configHome, withIntermediateDirectories: true)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: configHome)
    }

    var credentialsFile: URL { configHome.appendingPathComponent("mayai-cli/pec/credentials.json") }

    /// The environment `pec` runs with: the private config directory, and the Secret Service only
    /// when `keyring` is set (without a session bus pec must fall back to the encrypted file).
    func environment(keyring: Bool = false) -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var env: [String: String] = [
            "PATH": inherited["PATH"] ?? "/usr/bin:/bin",
            "HOME": configHome.path,
            "XDG_CONFIG_HOME": configHome.path,
            "LANG": "C.UTF-8",
        ]
        if keyring {
            for name in ["DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "GNOME_KEYRING_CONTROL"] {
                env[name] = inherited[name]
            }
        }
        return env
    }

    func address(_ user: String) -> String { "\(user)@pec.sandbox" }

    /// The simulator's journal entries about the submission with this Message-ID (the submission
    /// and the deliveries it caused).
    func journal(messageID: String) -> [[String: Any]] {
        let path = URL(fileURLWithPath: directory).appendingPathComponent("journal.ndjson")
        guard let text = try? String(contentsOf: path, encoding: .utf8) else { return [] }
        let events = text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        let ids = Set(
            events.filter { $0["msgid"] as? String == messageID }.compactMap { $0["identificativo"] as? String }
        )
        return events.filter {
            $0["msgid"] as? String == messageID || ids.contains($0["identificativo"] as? String ?? "")
        }
    }

    /// The simulator's journal entries of submissions authenticated as this sandbox user
    /// (`submitted`, and `refused` for a gestore's limit), whatever their Message-ID.
    func journal(authUser user: String) -> [[String: Any]] {
        let path = URL(fileURLWithPath: directory).appendingPathComponent("journal.ndjson")
        guard let text = try? String(contentsOf: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }.filter { ($0["auth_user"] as? String)?.lowercased() == address(user) }
    }

    /// How many times the simulator received the message with this Message-ID.
    func submissions(messageID: String) -> Int {
        journal(messageID: messageID).filter { $0["event"] as? String == "submitted" }.count
    }

    /// `pec auth login` for a sandbox user through the custom-host flags.
    @discardableResult
    func login(
        _ user: String,
        password: String? = nil,
        keyring: Bool = false,
        extra: [String] = []
    ) throws -> PecRun {
        try pec(
            [
                "--json", "auth", "login", "--address", address(user), "--imap-host", host, "--imap-port",
                "\(imapsPort)", "--smtp-host", host, "--smtp-port", "\(smtpsPort)", "--ca-file", caFile,
                "--password-stdin",
            ] + extra,
            stdin: (password ?? self.password) + "\n",
            keyring: keyring
        )
    }

    func pec(_ arguments: [String], stdin: String = "", keyring: Bool = false, timeout: Double = 60) throws -> PecRun {
        try PecRun.run(arguments, stdin: stdin, environment: environment(keyring: keyring), timeout: timeout)
    }
}

extension PecRun {
    /// The `{"error":{…}}` object a failing `--json` run prints last.
    func errorObject() throws -> [String: Any] {
        let last = try #require(try jsonLines().last, "no JSON on stdout; stderr: \(stderr)")
        return try #require(last["error"] as? [String: Any], "last line is not an error: \(stdout)")
    }
}
