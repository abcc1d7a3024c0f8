import Foundation
import Testing

@testable import PECCore

@Suite("DoctorProbes: resolving and connecting, bounded by the timeout")
struct DoctorProbesTests {
    @Test("localhost resolves to a loopback address; a .invalid name fails within the timeout")
    func resolve() async throws {
        let addresses = try #require(try? await DoctorProbes.resolve("localhost", timeout: .seconds(5)).get())
        #expect(addresses.contains { $0 == "127.0.0.1" || $0 == "::1" }, "\(addresses)")
        // Timed on this thread: through `resolve`, the wait would include the time the test runner's
        // other tests keep every concurrency thread blocked.
        let started = ContinuousClock.now
        let failed = DoctorProbes.resolveWaiting("no-such-host.invalid", timeout: .seconds(3))
        #expect((try? failed.get()) == nil)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("a closed loopback port: refused, said as nothing answering")
    func refused() async throws {
        // Port 1 on loopback: nothing listens there in the test machines (tcpmux is long gone).
        let settings = ConnectionSettings(endpoint: ServerEndpoint(host: "127.0.0.1", port: 1), timeout: .seconds(3))
        do {
            _ = try await DoctorProbes.connect(settings)
            Issue.record("connected to 127.0.0.1:1")
        } catch {
            #expect(error.nothingAnswers)
            #expect(error.error.message.contains("connection refused"), "\(error.error)")
        }
    }
}
