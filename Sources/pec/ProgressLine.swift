import Foundation
import PECCore

/// The one progress line on stderr while long work runs: redrawn in place with its bytes (or
/// messages, or files), rate and time left, and wiped before anything else is written.
///
/// Only when stderr is a terminal that can redraw a line: never with `--json`, never under
/// `TERM=dumb`, never into a pipe or a file (where a log must stay clean). It has no colours, so
/// `NO_COLOR` asks nothing more of it. Small work draws nothing: a download or a save under 1 MiB, a
/// sync of 100 messages or fewer.
final class ProgressLine: @unchecked Sendable {
    static let shared = ProgressLine()

    static let minimumBytes = 1 << 20
    static let minimumMessages = 101
    /// Redraws at most this often: a line that changes faster cannot be read, and costs writes.
    static let interval: Duration = .milliseconds(100)

    // Guarded by `lock`: progress comes from the task doing the work, wiping from the main one.
    private let lock = NSLock()
    private var activity: WorkProgress.Activity?
    private var lastDone = 0
    private var started = ContinuousClock.now
    private var lastDrawn: ContinuousClock.Instant?
    private var visible = false

    /// The handler for a command's use-case; nil when nothing may be drawn.
    static func handler(json: Bool, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> ProgressHandler?
    {
        guard !json, isatty(STDERR_FILENO) == 1, environment["TERM"] != "dumb" else { return nil }
        return { shared.update($0) }
    }

    func update(_ progress: WorkProgress) {
        lock.lock()
        defer { lock.unlock() }
        let now = ContinuousClock.now
        // A new activity, or the same one starting over (a send retried): its own rate and time left.
        if progress.activity != activity || progress.done < lastDone {
            activity = progress.activity
            started = now
            lastDrawn = nil
        }
        lastDone = progress.done
        guard Self.worthShowing(progress) else { return }
        let finished = progress.total.map { progress.done >= $0 } ?? false
        if let lastDrawn, now - lastDrawn < Self.interval, !finished { return }
        lastDrawn = now
        let line = Self.describe(progress, elapsed: now - started)
        // \r and erase-to-end-of-line: the line is redrawn where it is, whatever was longer before.
        try? FileHandle.standardError.write(contentsOf: Data("\r\(Self.fitted(line))\u{1B}[K".utf8))
        visible = true
    }

    /// Wipes the line, if one is shown: before any other output, and when the work is over.
    func clear() {
        lock.lock()
        defer { lock.unlock() }
        guard visible else { return }
        visible = false
        try? FileHandle.standardError.write(contentsOf: Data("\r\u{1B}[K".utf8))
    }

    static func worthShowing(_ progress: WorkProgress) -> Bool {
        switch progress.unit {
        case .bytes: max(progress.total ?? 0, progress.done) >= minimumBytes
        case .messages: (progress.total ?? progress.done) >= minimumMessages
        case .files: true
        }
    }

    /// "downloading  12.5 MB of 27.1 MB  46%  8.3 MB/s  2 s left"
    static func describe(_ progress: WorkProgress, elapsed: Duration) -> String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0.05 ? Double(progress.done) / seconds : nil
        var parts = [progress.activity.rawValue]
        let amount: (Int) -> String = { progress.unit == .bytes ? bytes($0) : "\($0)" }
        let noun = progress.unit == .messages ? " messages" : progress.unit == .files ? " files" : ""
        if let total = progress.total, total > 0 {
            parts.append("\(amount(progress.done)) of \(amount(total))\(noun)")
            parts.append("\(min(100, progress.done * 100 / total))%")
        } else {
            parts.append("\(amount(progress.done))\(noun)")
        }
        if let rate, rate > 0 {
            parts.append(progress.unit == .bytes ? "\(bytes(Int(rate)))/s" : "\(Int(rate.rounded()))/s")
            if let total = progress.total, total > progress.done {
                parts.append("\(duration(Double(total - progress.done) / rate)) left")
            }
        }
        return parts.joined(separator: "  ")
    }

    static func bytes(_ count: Int) -> String {
        let value = Double(count)
        if value >= 1e9 { return String(format: "%.1f GB", value / 1e9) }
        if value >= 1e6 { return String(format: "%.1f MB", value / 1e6) }
        if value >= 1e3 { return String(format: "%.0f kB", value / 1e3) }
        return "\(count) B"
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \(whole % 3600 / 60) min"
    }

    /// Cut to the terminal's width: a line that wraps can no longer be redrawn in place.
    private static func fitted(_ line: String) -> String {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 1 else { return line }
        let width = Int(size.ws_col) - 1
        return line.count > width ? String(line.prefix(width)) : line
    }
}
