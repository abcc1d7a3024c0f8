import COpenSSL
import Foundation

/// Checks the S/MIME signature of a PEC message with OpenSSL's CMS code (pec-standard.md §5, §10.2).
///
/// The `multipart/signed` entity is handed to `SMIME_read_CMS` as a slice of the raw bytes, never
/// re-serialised: OpenSSL splits it and canonicalises the first part's line ends to CRLF itself, which is what
/// the gestore signed, so messages stored with LF line ends verify too. Both protocol strings
/// (`application/pkcs7-signature`, `application/x-pkcs7-signature`) and any digest libcrypto knows
/// (SHA-1 and SHA-256 in practice) are accepted.
///
/// Two separate checks, in this order (see ``SignatureCheck`` for the precedence):
/// 1. content: `CMS_verify` with `CMS_NO_SIGNER_CERT_VERIFY` — the messageDigest attribute against the content
///    and the signature value against the signer's public key. Failure → `invalid`.
/// 2. chain: `X509_verify_cert` of every signer certificate against the ``PECTrustStore``, with the CMS
///    certificate bag as untrusted intermediates, purpose S/MIME signing, at the CMS signingTime (PEC signing
///    certificates last 3 years, old receipts must stay verifiable). Failure → `untrusted`.
///
/// SHA-1: OpenSSL 3 only refuses SHA-1 where a security level applies, i.e. to certificate signatures during
/// chain building (`auth_level` ≥ 1 counts sha1WithRSA as < 80 bits; the 2014 DigitPA chain is sha1WithRSA).
/// The chain check therefore runs with its own verify parameters at `auth_level` 0, whatever the default or an
/// `openssl.cnf` says; nothing else in the process changes. The message digest itself (SHA-1 in every Aruba,
/// Sogei and Namirial receipt) is not subject to a security level in libcrypto 3.0.
public struct SignatureVerifier: Sendable {
    public init() {}

    public func verify(rawMessage: [UInt8], trust: PECTrustStore) -> SignatureCheck {
        verify(rawMessage: rawMessage, trust: trust, at: nil)
    }

    /// `time` replaces the signing time in the chain check (tests: show the time is what decides).
    func verify(rawMessage: [UInt8], trust: PECTrustStore, at time: Date?) -> SignatureCheck {
        guard let range = SignedEntityLocator.signedEntity(in: rawMessage) else {
            return SignatureCheck(status: .unsigned, reason: "the message has no multipart/signed part")
        }
        guard range.count < Int(Int32.max) else {
            return SignatureCheck(status: .invalid, reason: "the signed part is too large to verify")
        }
        ERR_clear_error()
        defer { ERR_clear_error() }
        return rawMessage[range].withUnsafeBytes { raw in
            guard let base = raw.baseAddress, let input = BIO_new_mem_buf(base, Int32(raw.count)) else {
                return SignatureCheck(status: .invalid, reason: "the signed part is empty")
            }
            defer { BIO_free(input) }
            var content: OpaquePointer?
            guard let cms = SMIME_read_CMS(input, &content) else {
                return SignatureCheck(
                    status: .invalid,
                    reason: "the S/MIME signature cannot be read (\(Self.drainErrors()))"
                )
            }
            defer {
                CMS_ContentInfo_free(cms)
                if let content { BIO_free(content) }
            }
            return Self.check(cms, content: content, trust: trust, at: time)
        }
    }

    /// The check of a `multipart/signed` already split: its first part's exact bytes are `range` of
    /// the open file `descriptor` (read through, never held whole), `signature` the decoded
    /// smime.p7s. OpenSSL canonicalises the content's line ends as it does for a message it splits.
    func verify(
        detachedContentIn descriptor: Int32,
        range: Range<Int>,
        signature: [UInt8],
        trust: PECTrustStore,
        at time: Date? = nil
    ) -> SignatureCheck {
        ERR_clear_error()
        defer { ERR_clear_error() }
        // The certificates parsed apart, once per distinct certificate (``SignerCertificates``);
        // the whole structure as it is when it cannot be split or a certificate does not parse.
        var parts = SignerCertificates.split(signature)
        var certificates: [OpaquePointer] = []
        for der in parts?.certificates ?? [] {
            guard let certificate = SignerCertificates.certificate(der: der) else {
                parts = nil
                break
            }
            certificates.append(certificate)
        }
        let bag = parts == nil ? nil : Self.stack(certificates)
        if parts == nil { certificates.forEach { X509_free($0) } }
        if bag == nil { parts = nil }
        defer { if let bag { pec_sk_X509_pop_free(bag) } }
        let der = parts?.stripped ?? signature
        let cms: OpaquePointer? = der.withUnsafeBytes { raw in
            var pointer: UnsafePointer<UInt8>? = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
            guard pointer != nil else { return nil }
            return d2i_CMS_ContentInfo(nil, &pointer, raw.count)
        }
        guard let cms else {
            return SignatureCheck(
                status: .invalid,
                reason: "the S/MIME signature cannot be read (\(Self.drainErrors()))"
            )
        }
        defer { CMS_ContentInfo_free(cms) }
        guard let content = pec_BIO_new_fd_range(descriptor, Int64(range.lowerBound), Int64(range.count)) else {
            return SignatureCheck(status: .invalid, reason: "OpenSSL could not read the signed content")
        }
        defer { BIO_free(content) }
        // Content already in canonical CRLF form (what IMAP serves) is digested in large reads; any
        // other goes through OpenSSL's line-by-line canonicalisation, as for a message it splits itself.
        let canonical = Self.isCanonicalCRLF(descriptor, range: range)
        return Self.check(cms, content: content, trust: trust, at: time, binary: canonical, certificates: bag)
    }

    /// Whether every CR of `range` is followed by a LF and every LF follows a CR (false on a read error).
    static func isCanonicalCRLF(_ descriptor: Int32, range: Range<Int>) -> Bool {
        pec_fd_range_is_crlf(descriptor, Int64(range.lowerBound), Int64(range.count)) == 1
    }

    /// A STACK_OF(X509) that owns `certificates` (freed with `pec_sk_X509_pop_free`); nil, with
    /// every one freed, when OpenSSL cannot allocate it.
    private static func stack(_ certificates: [OpaquePointer]) -> OpaquePointer? {
        guard let stack = pec_sk_X509_new_null() else {
            certificates.forEach { X509_free($0) }
            return nil
        }
        for (index, certificate) in certificates.enumerated() where pec_sk_X509_push(stack, certificate) <= 0 {
            certificates[index...].forEach { X509_free($0) }
            pec_sk_X509_pop_free(stack)
            return nil
        }
        return stack
    }

    /// `certificates`: the signature's certificates when they were parsed apart (the CMS then has
    /// none of its own); nil to take them from the CMS.
    private static func check(
        _ cms: OpaquePointer,
        content: OpaquePointer?,
        trust: PECTrustStore,
        at time: Date?,
        binary: Bool = false,
        certificates: OpaquePointer? = nil
    ) -> SignatureCheck {
        guard OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed else {
            return SignatureCheck(status: .invalid, reason: "the signature part is not CMS SignedData")
        }
        guard let content else {
            return SignatureCheck(status: .invalid, reason: "the signature is not detached: no signed content")
        }
        guard let signerInfos = CMS_get0_SignerInfos(cms), pec_sk_CMS_SignerInfo_num(signerInfos) > 0 else {
            return SignatureCheck(status: .invalid, reason: "the signature has no signer")
        }
        let own = certificates == nil ? CMS_get1_certs(cms) : nil
        defer { if let own { pec_sk_X509_pop_free(own) } }
        let bag = certificates ?? own
        let signers = (0..<pec_sk_CMS_SignerInfo_num(signerInfos)).compactMap {
            pec_sk_CMS_SignerInfo_value(signerInfos, $0)
        }
        let first = signers[0]
        let firstCertificate = signerCertificate(first, bag: bag)
        var result = describe(first, certificate: firstCertificate)

        // 1. Content: digest and signature value, no certificate checks.
        let flags = UInt32(CMS_NO_SIGNER_CERT_VERIFY) | (binary ? UInt32(CMS_BINARY) : 0)
        guard CMS_verify(cms, certificates, nil, content, nil, flags) == 1 else {
            result.status = .invalid
            result.reason =
                "the signature does not match the signed content: changed after signing, or forged (\(drainErrors()))"
            return result
        }
        // 2. Chain of every signer, at its signing time.
        for signer in signers {
            guard let certificate = signerCertificate(signer, bag: bag) else {
                result.status = .invalid
                result.reason = "the signer certificate is not in the signature"
                return result
            }
            let when = time ?? signingDate(signer) ?? Date()
            var chain: [CertificateSummary] = []
            if let failure = verifyChain(certificate, bag: bag, trust: trust, at: when, chain: &chain) {
                result.status = .untrusted
                result.reason = failure
                return result
            }
            if signer == first { result.chain = chain }
        }
        result.status = .valid
        return result
    }

    /// Nil when the chain ends in the trust store, else why not.
    static func verifyChain(
        _ certificate: OpaquePointer,
        bag: OpaquePointer?,
        trust: PECTrustStore,
        at when: Date,
        chain: inout [CertificateSummary]
    ) -> String? {
        guard let context = X509_STORE_CTX_new() else { return "OpenSSL could not allocate a verify context" }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, trust.store, certificate, bag) == 1,
            X509_STORE_CTX_set_default(context, "smime_sign") == 1,
            let parameters = X509_STORE_CTX_get0_param(context)
        else { return "OpenSSL could not set up the chain check (\(drainErrors()))" }
        // Pinned intermediates (AgID CA1, DigitPA CA1) are anchors on their own.
        X509_VERIFY_PARAM_set_flags(parameters, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        // Allow sha1WithRSA certificate signatures (legacy DigitPA chain) whatever the default level.
        X509_VERIFY_PARAM_set_auth_level(parameters, 0)
        X509_VERIFY_PARAM_set_time(parameters, time_t(when.timeIntervalSince1970.rounded(.down)))
        if X509_verify_cert(context) == 1 {
            if let built = X509_STORE_CTX_get0_chain(context) {
                chain = (0..<pec_sk_X509_num(built)).compactMap { pec_sk_X509_value(built, $0) }.map(summary)
            }
            return nil
        }
        let error = X509_STORE_CTX_get_error(context)
        let text = X509_verify_cert_error_string(Int(error)).map { String(cString: $0) } ?? "error \(error)"
        _ = drainErrors()
        return "the signer's certificate chain does not end in the trust store at \(iso8601(when)): \(text)"
            + " (depth \(X509_STORE_CTX_get_error_depth(context)))"
    }

    /// What a report shows of a certificate.
    static func summary(_ certificate: OpaquePointer) -> CertificateSummary {
        var serial = ""
        if let number = X509_get0_serialNumber(certificate), let big = ASN1_INTEGER_to_BN(number, nil) {
            if let hex = BN_bn2hex(big) {
                serial = String(cString: hex)
                CRYPTO_free(hex, #fileID, #line)
            }
            BN_free(big)
        }
        return CertificateSummary(
            subject: name(X509_get_subject_name(certificate)) ?? "",
            issuer: name(X509_get_issuer_name(certificate)) ?? "",
            serial: serial,
            notBefore: date(X509_get0_notBefore(certificate)).map(iso8601) ?? "",
            notAfter: date(X509_get0_notAfter(certificate)).map(iso8601) ?? ""
        )
    }

    private static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    /// The signer's certificate from the CMS certificate bag.
    private static func signerCertificate(_ signer: OpaquePointer, bag: OpaquePointer?) -> OpaquePointer? {
        guard let bag else { return nil }
        for index in 0..<pec_sk_X509_num(bag) {
            if let certificate = pec_sk_X509_value(bag, index), CMS_SignerInfo_cert_cmp(signer, certificate) == 0 {
                return certificate
            }
        }
        return nil
    }

    private static func describe(_ signer: OpaquePointer, certificate: OpaquePointer?) -> SignatureCheck {
        var result = SignatureCheck(status: .invalid)
        result.signingTime = signingDate(signer).map(iso8601)
        var digest: UnsafeMutablePointer<X509_ALGOR>?
        CMS_SignerInfo_get0_algs(signer, nil, nil, &digest, nil)
        if let digest {
            var object: OpaquePointer?
            X509_ALGOR_get0(&object, nil, nil, digest)
            let nid = OBJ_obj2nid(object)
            if nid != NID_undef, let name = OBJ_nid2sn(nid) {
                result.digestAlgorithm = String(cString: name).lowercased()
            }
        }
        guard let certificate else { return result }
        result.signerSubject = name(X509_get_subject_name(certificate))
        result.signerIssuer = name(X509_get_issuer_name(certificate))
        result.signerEmail = email(certificate)
        result.gestorePolicy = pec_certificate_has_policy(certificate, SignatureCheck.gestorePolicyOID) == 1
        return result
    }

    /// RFC 2253 text of an X509_NAME.
    static func name(_ name: OpaquePointer?) -> String? {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        guard X509_NAME_print_ex(bio, name, 0, pec_XN_FLAG_RFC2253_UTF8()) >= 0 else { return nil }
        var data: UnsafeMutablePointer<CChar>?
        let length = pec_BIO_get_mem_data(bio, &data)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }

    /// SAN rfc822Name first, else the subject emailAddress.
    static func email(_ certificate: OpaquePointer) -> String? {
        if let names = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) {
            let generalNames = OpaquePointer(names)
            defer { GENERAL_NAMES_free(generalNames) }
            for index in 0..<pec_sk_GENERAL_NAME_num(generalNames) {
                guard let entry = pec_sk_GENERAL_NAME_value(generalNames, index), entry.pointee.type == GEN_EMAIL,
                    let text = string(entry.pointee.d.rfc822Name)
                else { continue }
                return text
            }
        }
        guard let emails = X509_get1_email(certificate) else { return nil }
        defer { X509_email_free(emails) }
        guard pec_sk_OPENSSL_STRING_num(emails) > 0, let first = pec_sk_OPENSSL_STRING_value(emails, 0) else {
            return nil
        }
        return String(cString: first)
    }

    private static func string(_ value: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
        guard let value, let data = ASN1_STRING_get0_data(value) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(value))), as: UTF8.self)
    }

    private static func signingDate(_ signer: OpaquePointer) -> Date? {
        guard let time = pec_CMS_signingTime(signer) else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    static func iso8601(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ",
            parts.tm_year + 1900,
            parts.tm_mon + 1,
            parts.tm_mday,
            parts.tm_hour,
            parts.tm_min,
            parts.tm_sec
        )
    }

    /// The reasons on OpenSSL's error queue (which is emptied), for `reason` texts.
    static func drainErrors() -> String {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            let text = ERR_reason_error_string(code).map { String(cString: $0) } ?? "error \(code)"
            if !reasons.contains(text) { reasons.append(text) }
        }
        return reasons.isEmpty ? "no detail from OpenSSL" : reasons.joined(separator: "; ")
    }
}
