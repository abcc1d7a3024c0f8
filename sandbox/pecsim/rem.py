"""REM mode (PEC europea: ETSI EN 319 532-3 formats, EN 319 522-3 evidence, AgID REM Policy-IT): the messages a
REM service provider produces, laid out and headed like the AgID Policy-IT 1.2 samples (../shared/fixtures/rem).

    multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256      <- CMS, rem-service.pem
    ├─ multipart/mixed                                                           <- the signed entity
    │   ├─ multipart/alternative [REM-Section-Type: rem_message/introduction]    text/plain + text/html, UTF-8, QP
    │   ├─ message/rfc822; name=AttachedMimeMessage [rem_message/original]       dispatch only: the submitted bytes
    │   └─ application/xml; name="<Event>.xml" [rem_message/xml_evidence]        XAdES-signed tns:Evidence
    └─ application/pkcs7-signature; name=smime.p7s

The submitted message is never rewritten: the attached original is byte for byte what came in SMTP DATA
(CRLF line ends, dot-unstuffed), and REM-DigestValue = the evidence's PartInfo digest = base64(SHA-256) of it.
"""

import base64
import datetime
import hashlib
import itertools
import os
import quopri
import secrets
from dataclasses import dataclass
from email.utils import format_datetime
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.util import ds_tag
from signxml.xades import XAdESDataObjectFormat, XAdESSigner

from . import messages as m
from .pki import DOMAIN, REM_SERVICE_ADDRESS

PROVIDER_NAME = "PEC Sandbox REM provider"
CRLF = b"\r\n"
_counter = itertools.count(1)

METADATA_VERSION = "EN31953203V010201"
POLICIES = ("http://uri.etsi.org/19532/v1#/REMbaseline", "https://eidas.agid.gov.it/REM/rem-policy-it")
MESSAGE_TYPE = "http://uri.etsi.org/19522/v1#/ERDMessageType/"
DIGEST_ALGORITHM = "http://www.w3.org/2001/04/xmlenc#sha256"
EVENT = "http://uri.etsi.org/19522/Event/"
REASON = "http://uri.etsi.org/19522/EventReason/"


@dataclass(frozen=True)
class Event:
    name: str          # the last segment of REM-EventIdentifier / ERDSEventId
    reason: str        # the last segment of REM-ReasonIdentifier / EventReason/Code
    code: str          # EventReason/Details[1]
    text: str          # EventReason/Details[2]
    per_recipient: bool = False   # carries EvidenceRefersToRecipient


SUBMISSION_ACCEPTANCE = Event("SubmissionAcceptance", "MessageAccepted", "RA01", "Message accepted")
SUBMISSION_REJECTION = Event("SubmissionRejection", "InvalidMessageFormat", "RA02", "Invalid message format")
CONTENT_CONSIGNMENT = Event("ContentConsignment", "MessageConsignedToRecipient", "RD01",
                            "Message successfully consigned to the recipient", per_recipient=True)
CONTENT_CONSIGNMENT_FAILURE = Event(
    "ContentConsignmentFailure", "MessageNotConsignedForUnregisteredRecipient", "RD21",
    "ERD message not consigned for: Unregistered recipient to Recipient's ERDSP", per_recipient=True)


def new_rems_id() -> str:
    """An id like the AgID samples' (26A0CF65.00566CE0.242DDC3F.85251369.rem-service@…), without <>."""
    groups = [f"{secrets.randbits(32):08X}" for _ in range(3)] + [f"{(os.getpid() << 16 | next(_counter)) & 0xFFFFFFFF:08X}"]
    return ".".join(groups) + f".{REM_SERVICE_ADDRESS}"


def utc(when: datetime.datetime) -> str:
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def person_identifier(address: str) -> str:
    """A stable stand-in for the eIDAS PersonIdentifier the provider would hold for a mailbox."""
    return "IT/IT/" + hashlib.sha256(address.lower().encode()).hexdigest().upper()


@dataclass
class RemSubmission:
    """What every REM message about one submission shares."""
    sub: m.Submission              # the PEC-mode facts (raw bytes, sender, recipients, subject, Message-ID)
    from_header: str               # the submitted From, unfolded (REM-MD08)
    message_id: str                # REMS message id (no <>): the dispatch's Message-ID, evidence MessageIdentifier
    digest: str                    # base64 SHA-256 of sub.raw
    time: datetime.datetime        # submission time (aware)
    registered: set                # recipients that have a mailbox here (their Identity is known)


def new_submission(sub: m.Submission, from_header: str, registered) -> RemSubmission:
    return RemSubmission(sub=sub, from_header=from_header or sub.sender, message_id=sub.identificativo,
                         digest=base64.b64encode(hashlib.sha256(sub.raw).digest()).decode(), time=sub.time,
                         registered=set(registered))


# --- evidence ----------------------------------------------------------------------------------

def _e(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _identity(friendly: str, name: str, xsi_type: str, value: str, indent: str) -> list[str]:
    return [
        f"{indent}<tns:Identity>",
        f'{indent}    <saml:Attribute FriendlyName="{friendly}" Name="{name}" '
        f'NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">',
        f'{indent}          <saml:AttributeValue xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:type="{xsi_type}">{_e(value)}</saml:AttributeValue>',
        f"{indent}    </saml:Attribute>",
        f"{indent}</tns:Identity>",
    ]


def _person(address: str, indent: str) -> list[str]:
    return _identity("PersonIdentifier", "http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier",
                     "enp:PersonIdentifierType", person_identifier(address), indent)


def evidence_xml(rs: RemSubmission, event: Event, evidence_id: str, event_time: datetime.datetime,
                 recipient: str | None = None, with_recipient_identities: bool = False) -> str:
    """The unsigned tns:Evidence, element for element like the AgID standalone evidence."""
    sub = rs.sub
    recipients = [address for address, _ in sub.recipients]
    lines = [
        '<tns:Evidence xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
        'xmlns:elp="http://eidas.europa.eu/attributes/legalperson" '
        'xmlns:enp="http://eidas.europa.eu/attributes/naturalperson" xmlns:ext="http://uri.etsi.org/19532/v1#" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:tns="http://uri.etsi.org/19522/v1#" '
        'version="EN319522v1.1.1">',
        f"    <tns:EvidenceIdentifier>{_e(evidence_id)}</tns:EvidenceIdentifier>",
        f"    <tns:ERDSEventId>{EVENT}{event.name}</tns:ERDSEventId>",
        "    <tns:EventReasons>",
        "       <tns:EventReason>",
        f"          <Code>{REASON}{event.reason}</Code>",
        f"          <Details>{event.code}</Details>",
        f"          <Details>{_e(event.text)}</Details>",
        "       </tns:EventReason>",
        "    </tns:EventReasons>",
        f"    <EventTime>{utc(event_time)}</EventTime>",
        "    <tns:EvidenceIssuerPolicyID>",
        f"       <PolicyID>{POLICIES[0]}</PolicyID>",
        f"       <PolicyID>{POLICIES[1]}#evidence-issuer-policy</PolicyID>",
        "    </tns:EvidenceIssuerPolicyID>",
        "    <tns:EvidenceIssuerDetails>",
        *_identity("LegalName", "http://eidas.europa.eu/attributes/legalperson/LegalName", "elp:LegalNameType",
                   PROVIDER_NAME, "        "),
        "    </tns:EvidenceIssuerDetails>",
        "    <tns:SenderDetails>",
        *_person(sub.sender, "        "),
        f'        <Identifier IdentifierSchemeName="mailto">{_e(sub.sender)}</Identifier>',
        "        <AssuranceLevelsDetails>",
        "            <GlobalAssuranceLevel>",
        "                <AssuranceLevel>http://eidas.europa.eu/LoA/substantial</AssuranceLevel>",
        f"                <PolicyID>{POLICIES[1]}#assurance-level-policy</PolicyID>",
        "            </GlobalAssuranceLevel>",
        "            <tns:AuthenticationDetails>",
        f"                <AuthenticationTime>{utc(rs.time)}</AuthenticationTime>",
        f"                <AuthenticationMethod>{POLICIES[1]}#authentication-method</AuthenticationMethod>",
        "            </tns:AuthenticationDetails>",
        "        </AssuranceLevelsDetails>",
        "    </tns:SenderDetails>",
    ]
    for address in recipients:
        lines.append("    <tns:RecipientDetails>")
        if with_recipient_identities and address in rs.registered:
            lines += _person(address, "        ")
        lines.append(f'        <Identifier IdentifierSchemeName="mailto">{_e(address)}</Identifier>')
        lines.append("    </tns:RecipientDetails>")
    lines.append(f"    <tns:SubmissionTime>{utc(rs.time)}</tns:SubmissionTime>")
    if event.per_recipient:
        lines.append(f"    <EvidenceRefersToRecipient>{recipients.index(recipient) + 1}</EvidenceRefersToRecipient>")
    lines += [
        f"    <tns:MessageIdentifier>{_e(rs.message_id)}</tns:MessageIdentifier>",
        "    <tns:UserContentInfo>",
        f"       <AppLayerIdentifier>{_e(sub.message_id)}</AppLayerIdentifier>",
        "       <ComposingParts>1</ComposingParts>",
        "       <tns:PartsInfo>",
        "          <tns:PartInfo>",
        "             <Identifier>urn:oid:1.3.6.1.7</Identifier>",
        "             <ContentType>message/rfc822</ContentType>",
        f'             <ds:DigestMethod Algorithm="{DIGEST_ALGORITHM}"/>',
        f"             <ds:DigestValue>{rs.digest}</ds:DigestValue>",
        "          </tns:PartInfo>",
        "       </tns:PartsInfo>",
        "    </tns:UserContentInfo>",
        "    <tns:Extensions>",
        '       <tns:Extension isCritical="false">',
        "          <ext:GeneralEvidenceInfo>",
        f"            <ext:Subject>{_e(sub.subject)}</ext:Subject>",
        "          </ext:GeneralEvidenceInfo>",
        "       </tns:Extension>",
        "    </tns:Extensions>",
        "</tns:Evidence>",
    ]
    return "\n".join(lines)


class _Signer(XAdESSigner):
    """signxml's XAdES signer with two changes: SigningTime is the evidence's EventTime (UTC, Z), and the
    references to SignedProperties and KeyInfo name their exclusive-c14n transform (without a Transforms element a
    verifier, xmlsec1 among them, must use inclusive C14N 1.0 and finds another digest)."""

    signing_time: datetime.datetime

    def add_signing_time(self, signed_signature_properties, sig_root, signing_settings):
        node = etree.SubElement(signed_signature_properties, "{http://uri.etsi.org/01903/v1.3.2#}SigningTime",
                                nsmap=self.namespaces)
        node.text = utc(self.signing_time)

    def _add_reference_to_signed_info(self, sig_root, node_to_reference, **attrs):
        signed_info = self._find(sig_root, "SignedInfo")
        reference = etree.SubElement(signed_info, ds_tag("Reference"), nsmap=self.namespaces)
        reference.set("URI", f"#{node_to_reference.get('Id')}")
        for name, value in attrs.items():
            reference.set(name, value)
        transforms = etree.SubElement(reference, ds_tag("Transforms"), nsmap=self.namespaces)
        etree.SubElement(transforms, ds_tag("Transform"), nsmap=self.namespaces, Algorithm=self.c14n_alg.value)
        etree.SubElement(reference, ds_tag("DigestMethod"), nsmap=self.namespaces, Algorithm=self.digest_alg.value)
        digest = self._get_digest(self._c14n(node_to_reference, algorithm=self.c14n_alg), algorithm=self.digest_alg)
        etree.SubElement(reference, ds_tag("DigestValue"), nsmap=self.namespaces).text = base64.b64encode(digest).decode()


class RemSigner:
    """The REM service's key: CMS for the messages (messages.Signer) and XAdES for the evidence."""

    def __init__(self, cert_path, key_path):
        self.cms = m.Signer(cert_path, key_path, [])
        self.cert = x509.load_pem_x509_certificate(open(cert_path, "rb").read())
        self.key = serialization.load_pem_private_key(open(key_path, "rb").read(), None)

    def sign_evidence(self, xml: str, when: datetime.datetime) -> bytes:
        """Enveloped XAdES-B: Reference URI="" (enveloped-signature + exc-c14n) over the whole evidence,
        rsa-sha256, the certificate in KeyInfo, SignedProperties with SigningTime = `when`."""
        signer = _Signer(signature_algorithm=SignatureMethod.RSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256,
                         c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
                         data_object_format=XAdESDataObjectFormat(Description="ERDS evidence", MimeType="text/xml"))
        signer.signing_time = when
        root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(remove_blank_text=False))
        signed = signer.sign(root, key=self.key, cert=[self.cert], always_add_key_value=False)
        return b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>' + etree.tostring(signed, encoding="utf-8")

    def evidence(self, rs: RemSubmission, event: Event, recipient: str | None = None,
                 with_recipient_identities: bool = False) -> tuple[str, bytes]:
        """(evidence id, signed evidence XML)."""
        evidence_id = new_rems_id()
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        xml = evidence_xml(rs, event, evidence_id, now, recipient, with_recipient_identities)
        return evidence_id, self.sign_evidence(xml, now)


# --- MIME -------------------------------------------------------------------------------------

def _qp_utf8(text: str) -> bytes:
    return m.to_crlf(quopri.encodestring(m.to_crlf(text.encode("utf-8")), quotetabs=False))


def _boundary(n: int) -> str:
    return f"----=_Part_{n}_{secrets.randbelow(10**9)}.{int(datetime.datetime.now().timestamp() * 1000)}"


def _introduction(text: str, html: str) -> bytes:
    boundary = _boundary(next(_counter))
    return CRLF.join([
        b"REM-Section-Type: rem_message/introduction",
        f'Content-Type: multipart/alternative;\r\n\tboundary="{boundary}"'.encode(), b"",
        f"--{boundary}".encode(),
        b'Content-Type: text/plain;\r\n\tcharset="UTF-8"', b"Content-Transfer-Encoding: quoted-printable", b"",
        _qp_utf8(text), f"--{boundary}".encode(),
        b'Content-Type: text/html;\r\n\tcharset="UTF-8"', b"Content-Transfer-Encoding: quoted-printable", b"",
        _qp_utf8(html), f"--{boundary}--".encode(),
    ])


def _original(raw: bytes) -> bytes:
    return CRLF.join([
        b"Content-Type: message/rfc822; name=AttachedMimeMessage",
        b"Content-Transfer-Encoding: binary",
        b"Content-Disposition: attachment; filename=AttachedMimeMessage",
        b"REM-Section-Type: rem_message/original", b"", b""]) + raw


def _evidence_part(event: Event, xml: bytes) -> bytes:
    encoded = base64.b64encode(xml)
    return CRLF.join([
        f'Content-Type: application/xml; charset=UTF-8; name="{event.name}.xml"'.encode(),
        b"Content-Transfer-Encoding: base64",
        f'Content-Disposition: attachment; filename="{event.name}.xml"'.encode(),
        b"REM-Section-Type: rem_message/xml_evidence", b"",
        CRLF.join(encoded[i:i + 64] for i in range(0, len(encoded), 64))])


def _mixed(parts: list[bytes]) -> bytes:
    boundary = _boundary(next(_counter))
    out = f'Content-Type: multipart/mixed;\r\n\tboundary="{boundary}"\r\n\r\n'.encode()
    for part in parts:
        # A part ending in CRLF (the attached original does) keeps it: the delimiter's CRLF comes on top.
        out += f"--{boundary}".encode() + CRLF + part + CRLF
    return out + f"--{boundary}--".encode() + CRLF


def _assemble(signer: RemSigner, headers: list[tuple[str, str]], entity: bytes) -> bytes:
    signature = signer.cms.sign(entity)
    boundary = _boundary(next(_counter))
    head = [f"{name}: {value}" for name, value in headers] + [
        "MIME-Version: 1.0",
        f'Content-Type: multipart/signed; protocol="application/pkcs7-signature";\r\n\tmicalg=sha-256;\r\n\t'
        f'boundary="{boundary}"',
    ]
    encoded = base64.b64encode(signature)
    out = CRLF.join(h.encode("utf-8") for h in head) + CRLF + CRLF
    out += b"This is a multi-part message in MIME format." + CRLF + CRLF
    out += f"--{boundary}".encode() + CRLF + entity + CRLF
    out += f"--{boundary}".encode() + CRLF
    out += CRLF.join([
        b"Content-Type: application/pkcs7-signature; name=smime.p7s;\r\n\tsmime-type=signed-data",
        b"Content-Transfer-Encoding: base64",
        b'Content-Disposition: attachment; filename="smime.p7s"',
        b"Content-Description: S/MIME Cryptographic Signature", b"",
        CRLF.join(encoded[i:i + 64] for i in range(0, len(encoded), 64))]) + CRLF
    return out + f"--{boundary}--".encode() + CRLF


def _rem_headers(rs: RemSubmission, event: Event, message_type: str, evidence_id: str) -> list[tuple[str, str]]:
    return [
        ("REM-MetadataVersion", METADATA_VERSION),
        ("REM-ApplicablePolicy", POLICIES[0]),
        ("REM-ApplicablePolicy", POLICIES[1]),
        ("REM-MessageType", MESSAGE_TYPE + message_type),
        ("REM-DigestAlgorithm", DIGEST_ALGORITHM),
        ("REM-DigestValue", rs.digest),
        ("REM-UAMessageIdentifier", rs.sub.message_id),
        ("REM-EventIdentifier", EVENT + event.name),
        ("REM-Evidence-ID", f"<{evidence_id}>"),
        ("REM-ReasonIdentifier", REASON + event.reason),
        ("REM-MD08", rs.from_header),
    ]


def _when_it(when: datetime.datetime) -> str:
    return f"{when:%d-%m-%Y} alle ore {when:%H:%M:%S} ({when:%z})"


def _when_en(when: datetime.datetime) -> str:
    return f"{when:%d-%m-%Y} at {when:%H:%M:%S} ({when:%z})"


def _texts(rs: RemSubmission, title_it: str, title_en: str, outcome_it: str, outcome_en: str,
           when: datetime.datetime) -> tuple[str, str]:
    sub = rs.sub
    recipients = [a for a, _ in sub.recipients]
    text = (f"{title_it}\nIl giorno {_when_it(when)}\nil messaggio: \"{sub.subject}\" inviato da \"{sub.sender}\"\n"
            f"ed indirizzato a:\n" + "\n".join(recipients) + f"\n\n{outcome_it}\n\n"
            f"Identificativo messaggio: \"{rs.message_id}\"\nREM service provider: \"{PROVIDER_NAME}\".\n\n"
            + "-" * 89 + "\n\n"
            f"{title_en}\nOn {_when_en(when)}\nthe message: \"{sub.subject}\" sent by \"{sub.sender}\"\n"
            f"and addressed to:\n" + "\n".join(recipients) + f"\n\n{outcome_en}\n\n"
            f"Message identifier: \"{rs.message_id}\"\nREM service provider: \"{PROVIDER_NAME}\".\n")
    e = _e
    html = (f"<h1>{e(title_it)}</h1>\n<p>Il giorno {e(_when_it(when))}</p>\n<p>il messaggio: \"<B>{e(sub.subject)}</B>\" "
            f"inviato da \"{e(sub.sender)}\"<br />ed indirizzato a:<BR>\n" + "<BR>".join(map(e, recipients))
            + f"</p>\n<p>{e(outcome_it)}</p>\n<p>Identificativo messaggio: {e(rs.message_id)}<BR>\n"
            f"REM service provider: \"{e(PROVIDER_NAME)}\".</p>\n<HR/>\n"
            f"<h1>{e(title_en)}</h1>\n<p>On {e(_when_en(when))}</p>\n<p>the message: \"<B>{e(sub.subject)}</B>\" "
            f"sent by \"{e(sub.sender)}\"<br />and addressed to:<BR>\n" + "<BR>".join(map(e, recipients))
            + f"</p>\n<p>{e(outcome_en)}</p>\n<p>Message identifier: {e(rs.message_id)}<BR>\n"
            f"REM service provider: \"{e(PROVIDER_NAME)}\".</p>\n")
    return text, html


def receipt(signer: RemSigner, rs: RemSubmission, event: Event, to: str, evidence: tuple[str, bytes],
            outcome: tuple[str, str]) -> bytes:
    """A REMS receipt: introduction + one evidence, to the sender (or, for a rejection, the logged-in user)."""
    evidence_id, xml = evidence
    now = m.italian_now()
    text, html = _texts(rs, f"Ricevuta di {event.name}", f"Receipt of {event.name}", *outcome, when=now)
    headers = [
        ("From", f"<{REM_SERVICE_ADDRESS}>"),
        ("To", to),
        ("Subject", f"REM {event.name}: {rs.sub.subject_raw}"),
        ("Date", format_datetime(now)),
        ("Message-ID", f"<{new_rems_id()}>"),
        *_rem_headers(rs, event, "receipt", evidence_id),
    ]
    return _assemble(signer, headers, _mixed([_introduction(text, html), _evidence_part(event, xml)]))


def dispatch(signer: RemSigner, rs: RemSubmission, acceptance: tuple[str, bytes]) -> bytes:
    """The REM dispatch to a recipient: introduction, the original as submitted, the SubmissionAcceptance evidence."""
    evidence_id, xml = acceptance
    sub = rs.sub
    text, html = _texts(rs, "Messaggio REM", "REM Dispatch", "Il messaggio originale è incluso in allegato.",
                        "The original message is attached.", when=sub.time)
    headers = [
        ("Reply-To", sub.reply_to),
        ("From", f'"On behalf of: {sub.sender}" <{REM_SERVICE_ADDRESS}>'),
        ("To", sub.to_header),
        *([("Cc", sub.cc_header)] if sub.cc_header else []),
        ("Subject", f"REM Dispatch: {sub.subject_raw}"),
        ("Date", format_datetime(sub.time)),
        ("Message-ID", f"<{rs.message_id}>"),
        *_rem_headers(rs, SUBMISSION_ACCEPTANCE, "dispatch", evidence_id),
    ]
    entity = _mixed([_introduction(text, html), _original(sub.raw), _evidence_part(SUBMISSION_ACCEPTANCE, xml)])
    return _assemble(signer, headers, entity)
