import Foundation

/// `pec auth login --password-command "pass show pec/aruba"`: the command is saved instead of the
/// password, and run at every login. Its standard output's first line is the password.
///
/// Neither the command nor what it prints is ever logged or put in an error: the command line may
/// hold a token, and its output is the secret.
public struct PasswordCommand: Sendable, Equatable {
    public var text: String

    /// How long the command may take (a password manager waiting for an unlock that never comes).
    public static let defaultTimeout: Duration = .seconds(30)
    /// More than any password; what comes after is read and thrown away.
    static let outputLimit = 64 * 1024

    /// `PEC_PASSWORD_COMMAND_TIMEOUT` seconds, or the default.
    public static func timeout(environment: [String: String]) throws(PECError) -> Duration {
        guard let raw = environment["PEC_PASSWORD_COMMAND_TIMEOUT"], !raw.isEmpty else { return defaultTimeout }
        guard let seconds = Double(raw), seconds > 0, seconds <= 3600 else {
            throw PECError(
                .usage,
                "PEC_PASSWORD_COMMAND_TIMEOUT is \"\(raw)\"; give seconds, more than 0 and at most 3600"
            )
        }
        return .milliseconds(Int(seconds * 1000))
    }

    public init(_ text: String) throws(PECError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw PECError(.usage, "--password-command is empty") }
        guard !trimmed.contains("\0") else { throw PECError(.usage, "--password-command holds a NUL character") }
        self.text = trimmed
    }

    /// The program and its arguments: the words themselves when the text is plain words, else
    /// `/bin/sh -c TEXT` (quotes, pipes, variables, globs: what only a shell reads right).
    var argv: [String] {
        let plain = CharacterSet(
            charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@+,=% "
        )
        if text.unicodeScalars.allSatisfy(plain.contains) {
            return text.split(separator: " ").map(String.init)
        }
        return ["/bin/sh", "-c", text]
    }

    /// Runs the command (stdin from /dev/null, stderr shown to the user, in a process group of its
    /// own so that a timeout stops everything it started) and returns its first line.
    /// `account` only names the account in errors.
    public func password(for account: String, timeout: Duration = Self.defaultTimeout) throws(PECError) -> String {
        let run: Run
        do {
            run = try Run.spawn(argv, timeout: timeout)
        } catch {
            throw failure(account, "could not be started (\(String(cString: strerror(error.code))))")
        }
        switch run.ending {
        case .timedOut:
            throw failure(account, "did not finish within \(NetworkFailure.seconds(timeout)) and was stopped")
        case .signal(let number):
            throw failure(account, "was killed by signal \(number)")
        case .exit(let status) where status != 0:
            throw failure(account, "exited with status \(status)")
        case .exit:
            break
        }
        var line = run.output.prefix { $0 != 0x0A }
        if line.last == 0x0D { line = line.dropLast() }
        guard !line.isEmpty else { throw failure(account, "printed nothing on its first line") }
        guard let password = String(bytes: line, encoding: .utf8) else {
            throw failure(account, "printed a first line that is not UTF-8")
        }
        return password
    }

    private func failure(_ account: String, _ what: String) -> PECError {
        PECError(
            .notAuthenticated,
            "the password command of \(account) \(what)",
            hint: "run it yourself to see why; its first line must be the password",
            remedy: .login(address: nil)
        )
    }

    /// One run of the command: what it printed and how it ended.
    struct Run {
        enum Ending: Equatable {
            case exit(Int32)
            case signal(Int32)
            case timedOut
        }

        var output: [UInt8]
        var ending: Ending

        struct SpawnError: Error {
            var code: Int32
        }

        static func spawn(_ argv: [String], timeout: Duration) throws(SpawnError) -> Run {
            var pipeEnds: [Int32] = [-1, -1]
            guard pipe(&pipeEnds) == 0 else { throw SpawnError(code: errno) }
            let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
            defer { close(readEnd) }
            _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)

            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
            posix_spawn_file_actions_addclose(&actions, writeEnd)
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
            posix_spawnattr_setpgroup(&attributes, 0)

            var cArguments = argv.map { strdup($0) } + [nil]
            defer { for argument in cArguments { free(argument) } }
            var pid: pid_t = 0
            let spawned = posix_spawnp(&pid, argv[0], &actions, &attributes, &cArguments, environ)
            close(writeEnd)
            guard spawned == 0 else { throw SpawnError(code: spawned) }

            let deadline = ContinuousClock.now + timeout
            var output: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            var timedOut = false
            reading: while true {
                let left = deadline - ContinuousClock.now
                guard left > .zero else {
                    timedOut = true
                    break
                }
                var poller = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
                let milliseconds = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
                let ready = poll(&poller, 1, Int32(clamping: milliseconds + 1))
                if ready < 0 {
                    if errno == EINTR { continue }
                    timedOut = true
                    break
                }
                if ready == 0 { continue }
                let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                switch count {
                case 0: break reading
                case ..<0: if errno != EINTR { break reading }
                default:
                    output.append(contentsOf: buffer[..<min(count, max(0, outputLimit - output.count))])
                }
            }
            // The output ended (or the time is up): the command gets what is left of its time to exit.
            var status: Int32 = 0
            while !timedOut {
                let waited = waitpid(pid, &status, WNOHANG)
                if waited == pid { break }
                if waited < 0 && errno != EINTR { throw SpawnError(code: errno) }
                if ContinuousClock.now >= deadline {
                    timedOut = true
                    break
                }
                usleep(10_000)
            }
            if timedOut {
                kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return Run(output: output, ending: .timedOut)
            }
            let signal = status & 0x7F
            return Run(output: output, ending: signal == 0 ? .exit((status >> 8) & 0xFF) : .signal(signal))
        }
    }
}
