import Foundation
import Testing

@testable import PECTestSupport
@testable import pec

/// `watch --exec`: the hook gets the event on its standard input, and one that hangs is stopped
/// after the bound without blocking the watch's thread.
@Suite("watch --exec hook")
struct EventHookTests {
    @Test func theHookReadsTheEvent() async throws {
        let home = try TemporaryHome(prefix: "pec-hook")
        let out = home.path + "/event.json"
        await EventHook.run("cat > '\(out)'", input: "{\"kind\":\"delivery\"}\n")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "{\"kind\":\"delivery\"}\n")
    }

    /// (SIGTERM, then SIGKILL 2 s later: under the test runner SIGTERM may be blocked.)
    @Test func aHangingHookIsStoppedAfterTheBound() async throws {
        let started = ContinuousClock.now
        await EventHook.run("exec sleep 30", input: "{}\n", timeout: .milliseconds(300))
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(300))
        #expect(elapsed < .seconds(10))
    }

    @Test func aFailingHookDoesNotStopTheWatch() async {
        let started = ContinuousClock.now
        await EventHook.run("exit 3", input: "{}\n")
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
