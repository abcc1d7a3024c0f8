import Foundation

/// What one check of `pec doctor` found: a stable id (`imap.tls`), how it went, what it saw in
/// words, what to do about a failure or a warning, and the facts it measured.
public struct DoctorResult: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        case ok, warning, failed
        /// Not run: a check it needs failed first (no TLS without TCP), or nothing to check.
        case skipped
    }

    public var check: String
    public var status: Status
    public var found: String
    /// Empty when nothing needs doing.
    public var fix: [DoctorFix]
    public var details: DoctorDetails?

    public init(
        _ check: String,
        _ status: Status,
        _ found: String,
        fix: [DoctorFix] = [],
        details: DoctorDetails? = nil
    ) {
        self.check = check
        self.status = status
        self.found = found
        self.fix = fix
        self.details = details
    }

    /// A failure that a ``PECError`` describes: its message, and its hint and remedies as the fix.
    static func failed(_ check: String, _ error: PECError, details: DoctorDetails? = nil) -> DoctorResult {
        DoctorResult(check, .failed, error.message, fix: DoctorFix.from(error), details: details)
    }

    static func skipped(_ check: String, because reason: String) -> DoctorResult {
        DoctorResult(check, .skipped, reason)
    }
}

/// The facts a check measured, each present only where it applies.
public struct DoctorDetails: Sendable, Equatable, Codable {
    public var addresses: [String]?
    public var tlsVersion: String?
    public var certificate: CertificateSummary?
    /// The DNS names and IP addresses the certificate is for (subjectAltName).
    public var certificateNames: [String]?
    public var greeting: String?
    public var capabilities: [String]?
    /// The capabilities pec uses that the server lacks.
    public var missingCapabilities: [String]?
    public var authMechanisms: [String]?
    public var maximumMessageSize: Int?
    public var folders: [String: String]?
    public var storage: String?
    public var path: String?
    public var mode: String?
    public var schemaSteps: Int?
    public var freeBytes: Int64?
    public var serverTime: String?
    public var skewSeconds: Double?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case addresses, certificate, greeting, capabilities, folders, storage, path, mode
        case tlsVersion = "tls_version"
        case certificateNames = "certificate_names"
        case missingCapabilities = "missing_capabilities"
        case authMechanisms = "auth_mechanisms"
        case maximumMessageSize = "maximum_message_size"
        case schemaSteps = "schema_steps"
        case freeBytes = "free_bytes"
        case serverTime = "server_time"
        case skewSeconds = "skew_seconds"
    }
}
