import Foundation

@testable import PECCore

/// Builds the script of one IMAP session as ``IMAPClient`` runs it: it numbers the client's tags
/// (`P1`, `P2` … as the client does), so a step is written as the command and the server's
/// answer, and a captured transcript's answer can be replayed under the client's tag.
///
///     var imap = IMAPScript()
///     imap.greeting()
///     imap.login()
///     imap.command("EXAMINE INBOX", ["* 3 EXISTS", "* OK [UIDVALIDITY 7] ok"], completion: "OK [READ-ONLY] done")
///     imap.command("UID SEARCH ALL", ["* SEARCH 1 2 3"])
///     imap.command("UID FETCH 1:3 (UID FLAGS)", replay: try ServerTranscript.named("06-fetch-meta").responses[0])
///     imap.logout()
///     let connector = ScriptedConnector(imap.steps)
public struct IMAPScript: Sendable {
    public static let capabilities = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ MOVE UIDPLUS AUTH=PLAIN"
    public static let username = "mario.rossi@pec.sandbox"
    public static let password = "secret"

    public private(set) var steps: [ScriptStep] = []
    /// The tag the client gives its next command.
    public private(set) var nextTag = 1

    public init() {}

    public mutating func server(_ lines: String...) {
        steps.append(.server(lines.flatMap { Array(($0 + "\r\n").utf8) }))
    }

    public mutating func server(bytes: [UInt8]) { steps.append(.server(bytes)) }

    public mutating func client(_ line: String) { steps.append(.client(Array((line + "\r\n").utf8))) }

    public mutating func step(_ step: ScriptStep) { steps.append(step) }

    public mutating func greeting(capabilities: String = Self.capabilities) {
        server("* OK [CAPABILITY \(capabilities)] Dovecot ready.")
    }

    /// AUTHENTICATE PLAIN with SASL-IR, as the client does when the greeting offers it.
    public mutating func login(
        username: String = Self.username,
        password: String = Self.password,
        capabilities: String = Self.capabilities
    ) {
        let token = Data("\0\(username)\0\(password)".utf8).base64EncodedString()
        command("AUTHENTICATE PLAIN \(token)", completion: "OK [CAPABILITY \(capabilities)] Logged in")
    }

    /// The client's next command (`text` without its tag), the server's untagged lines, then the
    /// tagged completion (`OK …`, `NO …`, `BAD …`).
    public mutating func command(_ text: String, _ untagged: [String] = [], completion: String = "OK done") {
        let tag = takeTag()
        client("\(tag) \(text)")
        steps.append(.server((untagged + ["\(tag) \(completion)"]).flatMap { Array(($0 + "\r\n").utf8) }))
    }

    /// The client's next command, answered with a response captured from a real server.
    public mutating func command(_ text: String, replay response: ServerTranscript.Response) {
        let tag = takeTag()
        client("\(tag) \(text)")
        steps.append(.server(response.untagged + Array("\(tag) ".utf8) + response.completion))
    }

    /// The client's next command, whatever its exact arguments (`prefix` without the tag).
    public mutating func command(startingWith prefix: String, _ untagged: [String], completion: String = "OK done") {
        let tag = takeTag()
        steps.append(.clientLine(prefix: Array("\(tag) \(prefix)".utf8)))
        steps.append(.server((untagged + ["\(tag) \(completion)"]).flatMap { Array(($0 + "\r\n").utf8) }))
    }

    public mutating func logout() {
        command("LOGOUT", ["* BYE Logging out"], completion: "OK Logout completed.")
    }

    /// Skips a tag, for a command the client sends without the script answering it (the last
    /// command before a dropped connection).
    public mutating func takeTag() -> String {
        defer { nextTag += 1 }
        return "P\(nextTag)"
    }
}

/// One message's FETCH response, literals sized for you:
/// `* 3 FETCH (UID 3 FLAGS (\\Seen) BODY[HEADER.FIELDS (X-RICEVUTA)] {26}\r\n…)`.
public struct FetchReply: Sendable {
    public var sequence: UInt32
    public var uid: UInt32
    /// Attributes as the server writes them, after the UID (`FLAGS (\\Seen) RFC822.SIZE 12`).
    public var attributes: String
    /// Sections by their name in the response (`BODY[]`, `BODY[HEADER.FIELDS (X-RICEVUTA)]`).
    public var sections: [(name: String, bytes: [UInt8])]

    public init(sequence: UInt32? = nil, uid: UInt32, attributes: String = "", sections: [(String, [UInt8])] = []) {
        self.sequence = sequence ?? uid
        self.uid = uid
        self.attributes = attributes
        self.sections = sections.map { (name: $0.0, bytes: $0.1) }
    }

    public var bytes: [UInt8] {
        var line = Array("* \(sequence) FETCH (UID \(uid)\(attributes.isEmpty ? "" : " " + attributes)".utf8)
        for section in sections {
            line += Array(" \(section.name) {\(section.bytes.count)}\r\n".utf8) + section.bytes
        }
        return line + Array(")\r\n".utf8)
    }
}

extension IMAPScript {
    /// `UID SEARCH <criteria>` answered with `found`.
    public mutating func search(_ criteria: String, found: [UInt32]) {
        command(
            "UID SEARCH \(criteria)",
            ["* SEARCH" + found.map { " \($0)" }.joined()],
            completion: "OK Search completed."
        )
    }

    /// A FETCH command (`text` without the tag) answered with `replies`.
    public mutating func command(
        _ text: String,
        fetched replies: [FetchReply],
        completion: String = "OK Fetch completed."
    ) {
        let tag = takeTag()
        client("\(tag) \(text)")
        server(bytes: replies.flatMap(\.bytes) + Array("\(tag) \(completion)\r\n".utf8))
    }
}

/// Builds the script of one SMTP submission session as ``SMTPClient`` runs it.
public struct SMTPScript: Sendable {
    public static let username = IMAPScript.username
    public static let password = IMAPScript.password

    public private(set) var steps: [ScriptStep] = []

    public init() {}

    public mutating func server(_ lines: String...) {
        steps.append(.server(lines.flatMap { Array(($0 + "\r\n").utf8) }))
    }

    public mutating func client(_ line: String) { steps.append(.client(Array((line + "\r\n").utf8))) }

    public mutating func step(_ step: ScriptStep) { steps.append(step) }

    /// `line` from the client, answered with `reply` (one or more reply lines).
    public mutating func exchange(_ line: String, _ reply: String...) {
        client(line)
        steps.append(.server(reply.flatMap { Array(($0 + "\r\n").utf8) }))
    }

    /// Greeting, EHLO (with SIZE, AUTH PLAIN, 8BITMIME …) and AUTH PLAIN.
    public mutating func session(clientName: String = "localhost", size: Int = 52_428_800) {
        server("220 smtp.pec.sandbox ESMTP ready")
        exchange(
            "EHLO \(clientName)",
            "250-smtp.pec.sandbox",
            "250-PIPELINING",
            "250-SIZE \(size)",
            "250-8BITMIME",
            "250-ENHANCEDSTATUSCODES",
            "250-AUTH PLAIN LOGIN",
            "250 SMTPUTF8"
        )
        let token = Data("\0\(Self.username)\0\(Self.password)".utf8).base64EncodedString()
        exchange("AUTH PLAIN \(token)", "235 2.7.0 Authentication successful")
    }

    public mutating func quit() {
        exchange("QUIT", "221 2.0.0 Bye")
    }
}

/// Server output captured from the sandbox's Dovecot (`Tests/…/IMAP/Transcripts/*.txt`, CRLF and
/// literals kept), cut into one ``Response`` per tagged completion.
public struct ServerTranscript: Sendable {
    /// What the server said for one command: its untagged lines (literals included) and its
    /// completion without the tag (`OK Fetch completed.\r\n`).
    public struct Response: Sendable {
        public var untagged: [UInt8]
        public var tag: String
        public var completion: [UInt8]
    }

    public var bytes: [UInt8]
    public var responses: [Response]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
        self.responses = Self.cut(bytes)
    }

    /// A transcript by name (`"06-fetch-meta"`), from wherever the IMAP tests keep them.
    public static func named(_ name: String) throws -> ServerTranscript {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        for target in ["PECWireTests", "PECCoreTests"] {
            let url = tests.appendingPathComponent("\(target)/IMAP/Transcripts/\(name).txt")
            if let data = FileManager.default.contents(atPath: url.path) { return ServerTranscript(bytes: Array(data)) }
        }
        throw ScriptMismatch(description: "no transcript \(name) under \(tests.path)")
    }

    /// Lines, with the bytes of any literal (`{n}` or `{n+}` before CRLF) kept inside their line.
    private static func cut(_ bytes: [UInt8]) -> [Response] {
        var responses: [Response] = []
        var untagged: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let start = index
            // One logical response: lines joined by literals.
            while index < bytes.count {
                guard let lf = bytes[index...].firstIndex(of: 10) else {
                    index = bytes.count
                    break
                }
                let line = bytes[index..<lf]
                index = lf + 1
                if let count = literalCount(line) {
                    index = min(bytes.count, index + count)
                } else {
                    break
                }
            }
            let response = Array(bytes[start..<index])
            let isUntagged = response.first == UInt8(ascii: "*") || response.first == UInt8(ascii: "+")
            if isUntagged {
                untagged += response
            } else if let space = response.firstIndex(of: 32) {
                responses.append(
                    Response(
                        untagged: untagged,
                        tag: String(decoding: response[..<space], as: UTF8.self),
                        completion: Array(response[(space + 1)...])
                    )
                )
                untagged = []
            }
        }
        return responses
    }

    private static func literalCount(_ line: ArraySlice<UInt8>) -> Int? {
        var line = line
        if line.last == 13 { line.removeLast() }
        guard line.last == UInt8(ascii: "}"), let open = line.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        var digits = line[(open + 1)..<(line.endIndex - 1)]
        if digits.last == UInt8(ascii: "+") { digits.removeLast() }
        guard !digits.isEmpty, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return Int(String(decoding: digits, as: UTF8.self))
    }
}
