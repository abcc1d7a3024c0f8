"""The sandbox's certificates, made fresh for each sandbox directory.

    root CA ("PEC Sandbox Root CA")          the trust anchor clients are given (ca.pem)
    ├── server.pem   TLS for Dovecot and the SMTP simulator: SAN DNS:localhost, IP:127.0.0.1
    ├── server-dns-only.pem   the same without the IP SAN, for hostname-verification tests
    └── intermediate "PEC Sandbox CA1"       plays AgID CA1: name-constrained to pec.sandbox
    │   └── gestore.pem  the gestore's signing certificate: SAN posta-certificata@pec.sandbox,
    │                    emailProtection, the PEC policy OID 1.3.76.16.3.1.1 (as real ones)
    └── rem-service.pem  the REM service's signing certificate (REM mode: S/MIME of every REM message and
                         XAdES of every evidence): SAN rem-service@pec.sandbox, emailProtection,
                         digitalSignature + nonRepudiation, the ETSI policies 0.4.0.195223 (ERDS
                         evidence) and 0.4.0.195324 (REM baseline) as the AgID test certificates carry;
                         no PEC policy OID. Issued by the root directly.
"""

import datetime
import ipaddress
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PEC_POLICY_OID = x509.ObjectIdentifier("1.3.76.16.3.1.1")
DOMAIN = "pec.sandbox"
GESTORE_ADDRESS = f"posta-certificata@{DOMAIN}"
REM_SERVICE_ADDRESS = f"rem-service@{DOMAIN}"
ERDS_EVIDENCE_POLICY_OID = x509.ObjectIdentifier("0.4.0.195223")
REM_BASELINE_POLICY_OID = x509.ObjectIdentifier("0.4.0.195324")


def _name(cn: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "PEC Sandbox S.p.A."),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _builder(subject: x509.Name, issuer: x509.Name, public_key, days: int) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
        encipher_only=False, decipher_only=False,
    )


def _leaf_usage(key_encipherment: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=key_encipherment,
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )


def _write(directory: Path, stem: str, cert: x509.Certificate, key=None) -> None:
    (directory / f"{stem}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path = directory / f"{stem}.key"
        path.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        path.chmod(0o600)


def generate(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    root_key = _key()
    root_name = _name("PEC Sandbox Root CA")
    root = (
        _builder(root_name, root_name, root_key.public_key(), 3650)
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .sign(root_key, hashes.SHA256())
    )

    ca1_key = _key()
    ca1 = (
        _builder(_name("PEC Sandbox CA1"), root_name, ca1_key.public_key(), 3650)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(x509.NameConstraints(permitted_subtrees=[x509.RFC822Name(DOMAIN)], excluded_subtrees=None),
                       critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )

    gestore_key = _key()
    gestore = (
        _builder(_name("Posta Certificata PEC Sandbox"), ca1.subject, gestore_key.public_key(), 3 * 365)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_leaf_usage(key_encipherment=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(GESTORE_ADDRESS)]), critical=False)
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(PEC_POLICY_OID, None)]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca1_key.public_key()), critical=False)
        .sign(ca1_key, hashes.SHA256())
    )

    rem_key = _key()
    rem_service = (
        _builder(_name("REM Service PEC Sandbox"), root_name, rem_key.public_key(), 3 * 365)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(REM_SERVICE_ADDRESS)]), critical=False)
        .add_extension(x509.CertificatePolicies([
            x509.PolicyInformation(ERDS_EVIDENCE_POLICY_OID, ["http://uri.etsi.org/19522/v1#ERDSEvidence"]),
            x509.PolicyInformation(REM_BASELINE_POLICY_OID, ["http://uri.etsi.org/19532/v1#/REMbaseline"]),
        ]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )

    def server_cert(names):
        return (
            _builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]), root_name,
                     server_key.public_key(), 825)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_leaf_usage(key_encipherment=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256())
        )

    server_key = _key()
    server = server_cert([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    server_dns_only = server_cert([x509.DNSName("localhost")])

    _write(directory, "ca", root)
    _write(directory, "ca1", ca1)
    _write(directory, "gestore", gestore, gestore_key)
    _write(directory, "rem-service", rem_service, rem_key)
    _write(directory, "server", server, server_key)
    _write(directory, "server-dns-only", server_dns_only)


if __name__ == "__main__":
    generate(Path(sys.argv[1]))
