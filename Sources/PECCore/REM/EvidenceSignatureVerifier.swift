import COpenSSL
import CXMLSec
import Foundation
import PECWire

/// Checks the XAdES signature of an ETSI evidence document (EN 319 522-3 `tns:Evidence`, rem.md) with
/// libxmlsec1, the way ``SignatureVerifier`` checks a message's CMS.
///
/// The bytes pass ``XMLSafetyGate`` first and a DTD is refused, as for the evidence parser; libxml2 then
/// reads them with no network and no entity substitution. Two checks, in this order:
/// 1. content: xmlsec verifies every `ds:Reference` and the signature value with the key of the certificate
///    in `ds:KeyInfo`, its own certificate checks off. References may only point inside the document, the
///    transforms are an allow-list (no XSLT), and one reference must cover the whole document (`URI=""`),
///    so a signature over the signed properties alone proves nothing about the evidence. Failure → `invalid`.
/// 2. chain: that certificate against the ``PECTrustStore``, with the other `KeyInfo` certificates as
///    untrusted intermediates, at the XAdES `SigningTime` (as the CMS check uses `signingTime`).
///    Failure → `untrusted`.
public struct EvidenceSignatureVerifier: Sendable {
    public init() {}

    public func verify(evidenceXML: [UInt8], trust: PECTrustStore) -> SignatureCheck {
        verify(evidenceXML: evidenceXML, trust: trust, at: nil)
    }

    /// `time` replaces the signing time in the chain check (tests: show the time is what decides).
    func verify(evidenceXML bytes: [UInt8], trust: PECTrustStore, at time: Date?) -> SignatureCheck {
        guard bytes.count <= REMEvidenceParser.maximumSize else {
            return SignatureCheck(
                status: .invalid,
                reason: "the evidence is larger than \(REMEvidenceParser.maximumSize) bytes"
            )
        }
        do {
            _ = try XMLSafetyGate.admit(bytes)
        } catch {
            return SignatureCheck(
                status: .invalid,
                reason: "the evidence is refused: \(REMEvidenceParser.describe(error))"
            )
        }
        if REMEvidenceParser.containsDoctype(bytes) {
            return SignatureCheck(status: .invalid, reason: "the evidence is refused: it declares a DTD (<!DOCTYPE)")
        }
        ERR_clear_error()
        defer { ERR_clear_error() }
        var result = pec_xades_result()
        bytes.withUnsafeBufferPointer { buffer in
            pec_xades_verify(buffer.baseAddress, Int32(buffer.count), &result)
        }
        defer { pec_xades_result_free(&result) }

        var check = SignatureCheck(status: .invalid)
        check.signingTime = Self.text(&result.signing_time).flatMap(Self.date).map(SignatureVerifier.iso8601)
        check.digestAlgorithm = Self.text(&result.method).map { method in
            String(method.split(separator: "-").last ?? Substring(method)).lowercased()
        }
        if let certificate = result.certificate {
            check.signerSubject = SignatureVerifier.name(X509_get_subject_name(certificate))
            check.signerIssuer = SignatureVerifier.name(X509_get_issuer_name(certificate))
            check.signerEmail = SignatureVerifier.email(certificate)
            check.gestorePolicy = pec_certificate_has_policy(certificate, SignatureCheck.gestorePolicyOID) == 1
        }
        switch result.status {
        case PEC_XADES_UNSIGNED:
            return SignatureCheck(status: .unsigned, reason: Self.text(&result.reason))
        case PEC_XADES_VALID:
            break
        default:
            check.reason = Self.text(&result.reason) ?? "the XML signature does not hold"
            return check
        }
        guard let certificate = result.certificate else {
            check.status = .untrusted
            check.reason = "the XML signature carries no certificate (ds:X509Data), so its signer cannot be known"
            return check
        }
        let when = time ?? check.signingTime.flatMap(Self.date) ?? Date()
        if let failure = SignatureVerifier.verifyChain(
            certificate,
            bag: result.certificates,
            trust: trust,
            at: when,
            chain: &check.chain
        ) {
            check.status = .untrusted
            check.reason = failure
            return check
        }
        check.status = .valid
        return check
    }

    /// A NUL-terminated C array field as a String, nil when empty.
    private static func text<T>(_ field: inout T) -> String? {
        let value = withUnsafeBytes(of: &field) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return value.isEmpty ? nil : value
    }

    /// `xsd:dateTime` as XAdES writes it: `2022-08-03T14:22:14Z`, with fractional seconds or an offset.
    private static func date(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
