/// One SMTP reply (RFC 5321 §4.2): a three-digit code and one or more lines of text. When the
/// text starts with an enhanced status code (RFC 3463, `5.1.1`) of the reply's class, that code is
/// split out of every line.
///
/// ### Example
///     S: 250-smtp.example.it
///     S: 250 2.0.0 Ok
/// is `SMTPReply(code: 250, enhancedCode: nil, lines: ["smtp.example.it", "2.0.0 Ok"])` — the
/// enhanced code is only looked for in the first line, as RFC 2034 has it on every line or none.
package struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    package var code: Int
    package var enhancedCode: SMTPEnhancedStatusCode?
    /// The text of each line, without the code, the separator and (when split out) the enhanced code.
    package var lines: [String]

    package init(code: Int, enhancedCode: SMTPEnhancedStatusCode? = nil, lines: [String]) {
        self.code = code
        self.enhancedCode = enhancedCode
        self.lines = lines
    }

    /// All lines joined by a space: what a message to the user shows.
    package var text: String { lines.filter { !$0.isEmpty }.joined(separator: " ") }

    /// 2xx: the command succeeded.
    package var isPositive: Bool { (200..<300).contains(code) }
    /// 3xx: go on (354 after DATA, 334 during AUTH).
    package var isIntermediate: Bool { (300..<400).contains(code) }
    /// 4xx: a temporary failure; the same command may succeed later.
    package var isTransientFailure: Bool { (400..<500).contains(code) }
    /// 5xx: a permanent failure.
    package var isPermanentFailure: Bool { (500..<600).contains(code) }

    /// `550 5.1.1 user unknown`, for messages and logs.
    package var description: String {
        var parts = ["\(code)"]
        if let enhancedCode { parts.append(enhancedCode.description) }
        if !text.isEmpty { parts.append(text) }
        return parts.joined(separator: " ")
    }
}

/// An enhanced mail system status code (RFC 3463): `class.subject.detail`, e.g. `5.1.1` (bad
/// destination mailbox address) or `4.2.2` (mailbox full).
package struct SMTPEnhancedStatusCode: Sendable, Hashable, CustomStringConvertible {
    /// 2 (success), 4 (persistent transient failure) or 5 (permanent failure).
    package var statusClass: Int
    package var subject: Int
    package var detail: Int

    package init(statusClass: Int, subject: Int, detail: Int) {
        self.statusClass = statusClass
        self.subject = subject
        self.detail = detail
    }

    package var description: String { "\(statusClass).\(subject).\(detail)" }
}
