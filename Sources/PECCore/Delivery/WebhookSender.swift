import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// How one delivery of events ended, for the outbox.
public enum DeliveryOutcome: Sendable, Equatable {
    /// Taken (a 2xx; a hook that exited 0): the cursor may move.
    case acknowledged
    /// Not now (408, 425, 429, 5xx, a timeout, a broken connection; a hook that could not run or ran out
    /// of time, or exited 75, EX_TEMPFAIL): try again later (`after`: the server's Retry-After).
    case retry(after: Duration?, reason: String)
    /// Never (any other answer or exit status): these events are parked.
    case park(reason: String)
}

/// Where an outbox delivers: its name in the ledger (its cursor, its parked events), how it is named
/// in messages, and how a batch is handed over.
public struct DeliveryTarget: Sendable {
    public let name: String
    public let label: String
    public let batch: Int
    let deliver: @Sendable ([TrackingEvent]) async -> DeliveryOutcome

    public init(
        name: String,
        label: String,
        batch: Int = 1,
        deliver: @escaping @Sendable ([TrackingEvent]) async -> DeliveryOutcome
    ) {
        self.name = name
        self.label = label
        self.batch = batch
        self.deliver = deliver
    }
}

/// Posts receipt events over HTTPS with swift-server/async-http-client: TLS verified against the
/// system store (and `--webhook-ca-file`), no redirects followed, a body signed with HMAC-SHA256.
public final class WebhookSender: Sendable {
    let client: HTTPClient
    static let requestTimeout: TimeAmount = .seconds(30)

    public init(caFile: String?) throws(PECError) {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw PECError(.io, "cannot read the webhook CA file \(caFile)")
            }
            tls.additionalTrustRoots = [.file(caFile)]
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: Self.requestTimeout)
        )
        // The client's own reconnect loop (100 ms and up) would hammer a receiver that resets
        // connections: one attempt per POST, and the outbox's backoff decides when the next one is.
        configuration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroupProvider: .shared(EventLoops.shared), configuration: configuration)
    }

    /// `webhook` as an outbox's target.
    public func target(_ webhook: WebhookTarget) -> DeliveryTarget {
        DeliveryTarget(name: webhook.name, label: "webhook \(webhook.url.absoluteString)", batch: webhook.batch) {
            await self.post($0, to: webhook)
        }
    }

    /// Must be called before the sender goes away.
    public func shutdown() async {
        try? await client.shutdown()
    }

    func post(_ events: [TrackingEvent], to target: WebhookTarget, now: Date = Date()) async -> DeliveryOutcome {
        let body: [UInt8]
        do {
            body = try WebhookPayload.body(events, format: target.format, batch: target.batch > 1)
        } catch {
            return .park(reason: "the event cannot be encoded: \(error)")
        }
        var request = HTTPClientRequest(url: target.url.absoluteString)
        request.method = .POST
        let timestamp = Int(now.timeIntervalSince1970)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "pec/\(PECVersion.current)")
        request.headers.add(name: "Idempotency-Key", value: WebhookPayload.idempotencyKey(events))
        request.headers.add(
            name: "PEC-Signature",
            value: WebhookPayload.signature(secret: target.secret, timestamp: timestamp, body: body)
        )
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: Self.requestTimeout)
            // What the receiver says is read (bounded) and dropped: only the status counts.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return Self.outcome(status: response.status, retryAfter: response.headers.first(name: "Retry-After"))
        } catch {
            return .retry(after: nil, reason: Self.describe(error))
        }
    }

    static func outcome(status: HTTPResponseStatus, retryAfter: String?) -> DeliveryOutcome {
        let code = Int(status.code)
        let text = "\(code) \(status.reasonPhrase)"
        switch code {
        case 200..<300: return .acknowledged
        case 408, 425, 429, 500..<600: return .retry(after: retryAfter.flatMap(Self.retryAfter), reason: text)
        default: return .park(reason: text)
        }
    }

    /// `Retry-After` in seconds or as an HTTP date, at most an hour.
    static func retryAfter(_ value: String) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        var seconds: Double? = Double(trimmed).flatMap { $0 >= 0 ? $0 : nil }
        if seconds == nil {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            seconds = formatter.date(from: trimmed).map { max(0, $0.timeIntervalSinceNow) }
        }
        return seconds.map { .milliseconds(Int64(min($0, 3600) * 1000)) }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        return "\(error)"
    }
}

/// What a webhook POST carries.
enum WebhookPayload {
    /// `pec`: the event record `watch --json` prints (with `event_id` and `seq`), or `{"events": [...]}`
    /// for a batch. `genro`: genro-mail-proxy's `{"delivery_report": [...]}`.
    static func body(_ events: [TrackingEvent], format: WebhookTarget.Format, batch: Bool) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        switch format {
        case .pec:
            let records = try events.map { event in
                try OutputRenderer(format: .json).render(record: event).trimmingCharacters(in: .newlines)
            }
            let text = batch ? "{\"events\":[" + records.joined(separator: ",") + "]}" : records.joined()
            return Array(text.utf8)
        case .genro:
            return Array(try encoder.encode(GenroReport(deliveryReport: events.map(GenroReport.Entry.init))))
        }
    }

    /// The event's id, or `<first>..<last>` for a batch.
    static func idempotencyKey(_ events: [TrackingEvent]) -> String {
        let ids = events.map { $0.eventID ?? "seq_\($0.seq)" }
        return ids.count == 1 ? ids[0] : "\(ids.first ?? "")..\(ids.last ?? "")"
    }

    /// `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (the Stripe convention): the receiver
    /// recomputes it over the raw body and refuses an old `t`.
    static func signature(secret: [UInt8], timestamp: Int, body: [UInt8]) -> String {
        let signed = Array("\(timestamp).".utf8) + body
        let mac = HMACSHA256.digest(key: secret, data: signed).map(SHA256Digest.hex) ?? ""
        return "t=\(timestamp),v1=\(mac)"
    }
}

/// genro-mail-proxy's delivery report (its sync protocol): one entry per event, nothing dropped
/// into `pec_details`.
struct GenroReport: Encodable {
    struct Entry: Encodable {
        var id: String
        var pecEvent: String
        var pecTs: Int
        var pecDetails: String

        enum CodingKeys: String, CodingKey {
            case id
            case pecEvent = "pec_event"
            case pecTs = "pec_ts"
            case pecDetails = "pec_details"
        }

        init(_ event: TrackingEvent) {
            id = event.ref ?? event.messageID
            pecEvent =
                switch event.kind {
                case .acceptance: "pec_acceptance"
                case .delivery, .handover: "pec_delivery"
                case .relay: "pec_relay"
                case .timeout: "pec_timeout"
                case .deliveryError, .nonAcceptance, .virus, .deliveryWarning: "pec_error"
                }
            pecTs = Int(event.at.timeIntervalSince1970)
            let what =
                switch event.kind {
                case .acceptance: "PEC accettazione"
                case .nonAcceptance: "PEC non accettazione"
                case .relay: "PEC presa in carico"
                case .delivery: "PEC avvenuta consegna"
                case .deliveryError: "PEC mancata consegna"
                case .deliveryWarning: "PEC preavviso di mancata consegna"
                case .virus: "PEC rilevazione virus"
                case .handover: "REM ContentHandover"
                case .timeout: "PEC scadenza \(event.deadline?.rawValue ?? "")"
                }
            let parts: [String?] = [
                what, event.recipient.map { "a \($0)" }, event.errore.map { "errore \($0)" }, event.erroreEsteso,
                event.trusted ? nil : "NON CERTIFICATA",
            ]
            pecDetails = TextFormatter.oneLine(parts.compactMap { $0 }.joined(separator: " — "))
        }
    }

    var deliveryReport: [Entry]

    enum CodingKeys: String, CodingKey {
        case deliveryReport = "delivery_report"
    }
}
