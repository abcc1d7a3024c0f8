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
        #expect(await EventHook.run("cat > '\(out)'", input: "{\"kind\":\"delivery\"}\n") == .exited(status: 0))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "{\"kind\":\"delivery\"}\n")
    }

    /// (SIGTERM, then SIGKILL 2 s later: under the test runner SIGTERM may be blocked.) The hook
    /// would sleep 120 s; coming back well before that, as `stopped`, is the bound at work.
    @Test func aHangingHookIsStoppedAfterTheBound() async throws {
        let started = ContinuousClock.now
        let outcome = await EventHook.run("exec sleep 120", input: "{}\n", timeout: .milliseconds(300))
        #expect(outcome == .stopped)
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        #expect(ContinuousClock.now - started < .seconds(100))
    }

    @Test func aFailingHookDoesNotStopTheWatch() async {
        #expect(await EventHook.run("exit 3", input: "{}\n") == .exited(status: 3))
    }

    @Test func aHookThatDoesNotReadItsInputCannotHurtTheWatch() async {
        #expect(await EventHook.run("exit 0", input: String(repeating: "x", count: 1 << 20)) == .exited(status: 0))
    }
}
