import Foundation
import PECCore
import Testing

/// pec_send's asks (prompts, tokens) count against the rate limit before the human answers.
@Suite("confirmation slots")
struct ConfirmationSlotsTests {
    /// Only this test's thread reads and moves it.
    final class Clock: @unchecked Sendable {
        var time = Date(timeIntervalSince1970: 1_800_000_000)
        func advance(_ seconds: TimeInterval) { time += seconds }
        var now: @Sendable () -> Date { { self.time } }
    }

    @Test("the fourth ask to a recipient within the window is refused, whatever the earlier answers")
    func fourthAskRefused() throws {
        let clock = Clock()
        let slots = ConfirmationSlots(limit: RecipientRateLimit(maxSends: 3, window: 300), now: clock.now)
        for _ in 0..<3 {
            try slots.take(recipients: ["a@pec.example.it"])
            clock.advance(10)
        }
        #expect(throws: PECError.self) { try slots.take(recipients: ["A@pec.example.it", "b@pec.example.it"]) }
        do {
            try slots.take(recipients: ["a@pec.example.it"])
        } catch {
            #expect(error.kind == .rateLimited)
            #expect(error.message.contains("a@pec.example.it"))
        }
        // A refused ask took no slot: b is still free three times.
        for _ in 0..<3 { try slots.take(recipients: ["b@pec.example.it"]) }
        // After the window, a asks again.
        clock.advance(300)
        try slots.take(recipients: ["a@pec.example.it"])
    }
}
