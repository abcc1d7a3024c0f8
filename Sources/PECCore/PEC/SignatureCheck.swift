import Foundation

/// The outcome of checking the S/MIME signature of one raw message (pec-standard.md §10.2).
///
/// Precedence when several things are wrong: `unsigned` (nothing to check) → `invalid` (the signature part
/// cannot be read, or the content digest / signature value does not match) → `untrusted` (the content is
/// intact but the signer's chain does not end in the trust store at the signing time) → `valid`. A tampered
/// message is therefore `invalid` even when its signer is also untrusted.
public struct SignatureCheck: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Content intact and signer chained to the trust store at the signing time.
        case valid
        /// A signature is there but does not hold: content changed, or the signature part is unreadable.
        case invalid
        /// Content intact, but the signer's certificate chain does not end in the trust store.
        case untrusted
        /// No `multipart/signed` entity in the message.
        case unsigned
    }

    public var status: Status
    /// RFC 2253 subject of the signer certificate: `CN=Posta Certificata ARUBA PEC,O=Aruba PEC S.p.A.,…`.
    public var signerSubject: String?
    /// The signer's address: subject alternative name rfc822Name, else the subject emailAddress.
    public var signerEmail: String?
    /// RFC 2253 issuer of the signer certificate: `CN=AgID CA1,…`.
    public var signerIssuer: String?
    /// ISO-8601 (UTC) time of the CMS `signingTime` signed attribute, when present.
    public var signingTime: String?
    /// Digest algorithm of the signer info, lower case: `sha1`, `sha256`.
    public var digestAlgorithm: String?
    /// Why the signature is not valid, in words; nil when valid.
    public var reason: String?
    /// The signer certificate carries the policy AgID assigns to PEC gestori (1.3.76.16.3.1.1):
    /// what tells a gestore's signature from any other S/MIME signature.
    public var gestorePolicy: Bool = false
    /// The signer's certificate, then each issuer up to the trust anchor, when the chain was built. Not part
    /// of `verify`/`get` records (nor of the ledger's copy): a dossier's report shows it.
    public var chain: [CertificateSummary] = []

    /// The OID of the certificate policy of PEC gestori' signing certificates.
    public static let gestorePolicyOID = "1.3.76.16.3.1.1"

    public init(
        status: Status,
        signerSubject: String? = nil,
        signerEmail: String? = nil,
        signerIssuer: String? = nil,
        signingTime: String? = nil,
        digestAlgorithm: String? = nil,
        reason: String? = nil
    ) {
        self.status = status
        self.signerSubject = signerSubject
        self.signerEmail = signerEmail
        self.signerIssuer = signerIssuer
        self.signingTime = signingTime
        self.digestAlgorithm = digestAlgorithm
        self.reason = reason
    }

    /// Equal when everything a record shows is equal: the ``chain`` is not kept by the ledger.
    public static func == (left: SignatureCheck, right: SignatureCheck) -> Bool {
        left.status == right.status && left.signerSubject == right.signerSubject
            && left.signerEmail == right.signerEmail && left.signerIssuer == right.signerIssuer
            && left.signingTime == right.signingTime && left.digestAlgorithm == right.digestAlgorithm
            && left.reason == right.reason && left.gestorePolicy == right.gestorePolicy
    }

    enum CodingKeys: String, CodingKey {
        case status
        case signerSubject = "signer_subject"
        case signerEmail = "signer_email"
        case signerIssuer = "signer_issuer"
        case signingTime = "signing_time"
        case digestAlgorithm = "digest_algorithm"
        case reason
        case gestorePolicy = "gestore_policy"
    }
}
