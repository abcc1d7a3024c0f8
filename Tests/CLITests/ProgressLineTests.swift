import Foundation
import Testing

@testable import PECCore
@testable import pec

@Suite("the progress line's words and thresholds")
struct ProgressLineTests {
    @Test("bytes, share, rate and time left; counts for messages and files")
    func words() {
        let download = WorkProgress(.downloading, done: 4_600_000, total: 27_400_000, unit: .bytes)
        #expect(
            ProgressLine.describe(download, elapsed: .milliseconds(2000))
                == "downloading  4.6 MB of 27.4 MB  16%  2.3 MB/s  10 s left"
        )
        let sync = WorkProgress(.syncing, done: 500, total: 10_000, unit: .messages)
        #expect(
            ProgressLine.describe(sync, elapsed: .seconds(1))
                == "syncing  500 of 10000 messages  5%  500/s  19 s left"
        )
        let dossier = WorkProgress(.writingDossier, done: 3, total: 3, unit: .files)
        #expect(ProgressLine.describe(dossier, elapsed: .zero) == "writing the dossier  3 of 3 files  100%")
        #expect(ProgressLine.duration(3725) == "1 h 2 min")
        #expect(ProgressLine.duration(61) == "1 min 1 s")
        #expect(ProgressLine.bytes(999) == "999 B")
    }

    @Test("small work draws nothing: under 1 MiB, 100 messages or fewer")
    func thresholds() {
        #expect(!ProgressLine.worthShowing(WorkProgress(.downloading, done: 10, total: 900_000, unit: .bytes)))
        #expect(ProgressLine.worthShowing(WorkProgress(.sending, done: 10, total: 2 << 20, unit: .bytes)))
        #expect(!ProgressLine.worthShowing(WorkProgress(.syncing, done: 100, total: 100, unit: .messages)))
        #expect(ProgressLine.worthShowing(WorkProgress(.syncing, done: 0, total: 101, unit: .messages)))
        #expect(ProgressLine.worthShowing(WorkProgress(.writingDossier, done: 1, total: 5, unit: .files)))
    }

    @Test("no handler with --json, under TERM=dumb, or when stderr is not a terminal")
    func handler() {
        #expect(ProgressLine.handler(json: true, environment: ["TERM": "xterm"]) == nil)
        #expect(ProgressLine.handler(json: false, environment: ["TERM": "dumb"]) == nil)
        // Under `swift test`, stderr is a pipe or a file.
        if isatty(STDERR_FILENO) == 0 {
            #expect(ProgressLine.handler(json: false, environment: ["TERM": "xterm"]) == nil)
        }
    }
}
