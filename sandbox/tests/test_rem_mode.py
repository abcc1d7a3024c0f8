"""Self-test of the sandbox in REM mode (PEC_SANDBOX_STANDARD=rem): real SMTPS submissions read back over IMAPS, each
REM message checked for the AgID samples' headers and layout, its CMS with `openssl smime -verify`, each evidence's
XAdES with signxml, and the digest against the bytes we sent."""

import base64
import email
import email.header
import email.policy
import hashlib
import imaplib
import re
import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import Criticality, ExtensionPolicy
from lxml import etree
from signxml.util import X509CertChainVerifier
from signxml.xades import XAdESVerifier

from pec_record import openssl_verify

MARIO, ANNA, LUCA = "mario.rossi@pec.sandbox", "anna.bianchi@pec.sandbox", "luca.verdi@pec.sandbox"
UNKNOWN, EXTERNAL = "nessuno@pec.sandbox", "someone@example.com"
NS = {"tns": "http://uri.etsi.org/19522/v1#", "ds": "http://www.w3.org/2000/09/xmldsig#",
      "ext": "http://uri.etsi.org/19532/v1#", "xades": "http://uri.etsi.org/01903/v1.3.2#"}
POLICIES = ["http://uri.etsi.org/19532/v1#/REMbaseline", "https://eidas.agid.gov.it/REM/rem-policy-it"]


@pytest.fixture(scope="session")
def rem(rem_sandbox):
    return rem_sandbox


def tls(rem):
    return ssl.create_default_context(cafile=rem["ca_file"])


def new_raw(to=(ANNA,), sender=MARIO, subject="Prova REM perché", bcc=()) -> tuple[str, bytes]:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if bcc:
        msg["Bcc"] = ", ".join(bcc)
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@selftest.example>"
    msg.set_content("Buongiorno,\n.una riga che inizia col punto\nè un messaggio REM di prova.\n")
    msg.add_attachment(b"%PDF-1.4 prova", maintype="application", subtype="pdf", filename="fattura.pdf")
    raw = msg.as_bytes()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    return msg["Message-ID"], raw


def submit(rem, raw, rcpts, user=MARIO, from_addr=MARIO):
    with smtplib.SMTP_SSL(rem["host"], rem["smtps_port"], context=tls(rem), timeout=10) as smtp:
        smtp.login(user, rem["password"])
        return smtp.sendmail(from_addr, list(rcpts), raw)


def fetch_rem(rem, user, message_id, want, timeout=10.0):
    """Raw REM messages in `user`'s INBOX about `message_id` (REM-UAMessageIdentifier), polling until `want`."""
    deadline = time.monotonic() + timeout
    with imaplib.IMAP4_SSL(rem["host"], rem["imaps_port"], ssl_context=tls(rem), timeout=10) as imap:
        imap.login(user, rem["password"])
        while True:
            imap.select("INBOX", readonly=True)
            _, data = imap.uid("SEARCH", "HEADER", "REM-UAMessageIdentifier", f'"{message_id}"')
            uids = data[0].split()
            if len(uids) >= want or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        return [imap.uid("FETCH", uid, "(BODY.PEEK[])")[1][0][1] for uid in uids]


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def last_segment(uri):
    return uri.rsplit("/", 1)[-1]


def by_event(raws):
    out = {}
    for raw in raws:
        out.setdefault(last_segment(parse(raw)["REM-EventIdentifier"]), []).append(raw)
    return out


def evidence_parts(raw):
    """[(file name, XML bytes)] of the rem_message/xml_evidence parts."""
    return [(p.get_filename(), p.get_payload(decode=True)) for p in parse(raw).walk()
            if p.get("REM-Section-Type") == "rem_message/xml_evidence"]


def attached_original(raw) -> bytes:
    """The exact bytes of the rem_message/original part (between its blank line and the next delimiter)."""
    mixed = parse(raw).get_payload()[0]
    boundary = mixed.get_boundary().encode()
    start = raw.index(b"REM-Section-Type: rem_message/original\r\n\r\n") + len(b"REM-Section-Type: rem_message/original\r\n\r\n")
    return raw[start:raw.index(b"\r\n--" + boundary, start)]


class _EmailProtectionChain(X509CertChainVerifier):
    """signxml's chain check builds cryptography's *client* verifier, which wants EKU clientAuth; a REM service
    certificate has emailProtection (as the AgID ones). Same store (ca.pem), that EKU required instead."""

    @property
    def verifier(self):
        def email_protection(policy, cert, eku):
            if eku is None or ExtendedKeyUsageOID.EMAIL_PROTECTION not in eku:
                raise ValueError("no emailProtection EKU")
        ee = ExtensionPolicy.permit_all().require_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, email_protection)
        return self.builder.extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(),
                                               ee_policy=ee).build_client_verifier()


class EvidenceVerifier(XAdESVerifier):
    def get_cert_chain_verifier(self, ca_pem_file):
        return _EmailProtectionChain(ca_pem_file=ca_pem_file)


def xades_valid(rem, xml: bytes) -> bool:
    try:
        # 3 references: the whole evidence (URI=""), SignedProperties, KeyInfo.
        EvidenceVerifier().verify(xml, ca_pem_file=rem["ca_file"], expect_references=3)
        return True
    except Exception:
        return False


def cms_valid(rem, tmp_path, raw) -> bool:
    path = tmp_path / f"{uuid.uuid4().hex}.eml"
    path.write_bytes(raw)
    return openssl_verify(path, "-CAfile", rem["ca_file"])


def text(root, path):
    node = root.find(path, NS)
    return None if node is None else node.text


def check_common_headers(rem, raw, event, reason, message_type, msgid, digest, evidence_id):
    message = parse(raw)
    assert message["REM-MetadataVersion"] == "EN31953203V010201"
    assert message.get_all("REM-ApplicablePolicy") == POLICIES
    assert message["REM-MessageType"] == f"http://uri.etsi.org/19522/v1#/ERDMessageType/{message_type}"
    assert message["REM-DigestAlgorithm"] == "http://www.w3.org/2001/04/xmlenc#sha256"
    assert message["REM-DigestValue"] == digest
    assert message["REM-UAMessageIdentifier"] == msgid
    assert message["REM-EventIdentifier"] == f"http://uri.etsi.org/19522/Event/{event}"
    assert message["REM-ReasonIdentifier"] == f"http://uri.etsi.org/19522/EventReason/{reason}"
    assert message["REM-Evidence-ID"] == f"<{evidence_id}>"
    assert message["REM-MD08"] == MARIO
    assert message["X-Ricevuta"] is None and message["X-Trasporto"] is None and message["X-Riferimento-Message-ID"] is None
    assert message.get_content_type() == "multipart/signed"
    assert message.get_param("protocol") == "application/pkcs7-signature" and message.get_param("micalg") == "sha-256"
    mixed, signature = message.get_payload()
    assert mixed.get_content_type() == "multipart/mixed"
    assert signature.get_content_type() == "application/pkcs7-signature" and signature.get_filename() == "smime.p7s"
    assert mixed.get_payload()[0].get("REM-Section-Type") == "rem_message/introduction"
    assert mixed.get_payload()[0].get_content_type() == "multipart/alternative"
    assert re.fullmatch(r"<[0-9A-F]{8}(\.[0-9A-F]{8}){3}\.rem-service@pec\.sandbox>", message["Message-ID"])


def check_evidence(rem, xml, event, reason, code, recipients, msgid, digest, subject, refers_to=None):
    root = etree.fromstring(xml)
    assert root.tag == "{http://uri.etsi.org/19522/v1#}Evidence" and root.get("version") == "EN319522v1.1.1"
    assert text(root, "tns:ERDSEventId") == f"http://uri.etsi.org/19522/Event/{event}"
    assert text(root, "tns:EventReasons/tns:EventReason/Code") == f"http://uri.etsi.org/19522/EventReason/{reason}"
    assert [d.text for d in root.findall("tns:EventReasons/tns:EventReason/Details", NS)][0] == code
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text(root, "EventTime"))
    assert [p.text for p in root.findall("tns:EvidenceIssuerPolicyID/PolicyID", NS)] == [
        POLICIES[0], POLICIES[1] + "#evidence-issuer-policy"]
    assert root.find("tns:SenderDetails/Identifier", NS).get("IdentifierSchemeName") == "mailto"
    assert text(root, "tns:SenderDetails/Identifier") == MARIO
    assert text(root, "tns:SenderDetails/AssuranceLevelsDetails/GlobalAssuranceLevel/AssuranceLevel") == \
        "http://eidas.europa.eu/LoA/substantial"
    assert [text(r, "Identifier") for r in root.findall("tns:RecipientDetails", NS)] == recipients
    assert text(root, "EvidenceRefersToRecipient") == (None if refers_to is None else str(refers_to))
    assert text(root, "tns:UserContentInfo/AppLayerIdentifier") == msgid
    info = root.find("tns:UserContentInfo/tns:PartsInfo/tns:PartInfo", NS)
    assert text(info, "ContentType") == "message/rfc822"
    assert info.find("ds:DigestMethod", NS).get("Algorithm") == "http://www.w3.org/2001/04/xmlenc#sha256"
    assert text(info, "ds:DigestValue") == digest
    assert text(root, "tns:Extensions/tns:Extension/ext:GeneralEvidenceInfo/ext:Subject") == subject
    signature = root[-1]
    assert signature.tag == "{http://www.w3.org/2000/09/xmldsig#}Signature"
    references = signature.findall("ds:SignedInfo/ds:Reference", NS)
    assert [r.get("URI") for r in references].count("") == 1
    assert signature.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS) is not None
    assert text(signature, "ds:Object/xades:QualifyingProperties/xades:SignedProperties/"
                           "xades:SignedSignatureProperties/xades:SigningTime") == text(root, "EventTime")
    assert xades_valid(rem, xml), f"{event}: XAdES does not verify"
    altered = xml.replace(b"<EventTime>", b"<EventTime>1", 1)
    assert altered != xml and not xades_valid(rem, altered), f"{event}: an altered EventTime still verifies"
    return root


def evidence_layout(root):
    """The root's children in order, a run of RecipientDetails counted once, without the signature."""
    tags = [child.tag for child in root if child.tag != "{http://www.w3.org/2000/09/xmldsig#}Signature"]
    return [tag for i, tag in enumerate(tags) if i == 0 or tag != tags[i - 1]]


# --- the main flow -------------------------------------------------------------------------------

def test_submission_produces_acceptance_dispatch_consignment_and_failure(rem, rem_fixtures_dir, tmp_path):
    msgid, raw = new_raw(to=(ANNA, UNKNOWN, EXTERNAL))
    assert submit(rem, raw, [ANNA, UNKNOWN, EXTERNAL]) == {}
    digest = base64.b64encode(hashlib.sha256(raw).digest()).decode()
    recipients = [ANNA, UNKNOWN, EXTERNAL]
    subject = "Prova REM perché"

    sender_box = by_event(fetch_rem(rem, MARIO, msgid, want=3))
    recipient_box = fetch_rem(rem, ANNA, msgid, want=1)
    assert sorted((k, len(v)) for k, v in sender_box.items()) == [
        ("ContentConsignment", 1), ("ContentConsignmentFailure", 1), ("SubmissionAcceptance", 1)]
    assert len(recipient_box) == 1

    expected = {
        "SubmissionAcceptance": ("MessageAccepted", "RA01", None),
        "ContentConsignment": ("MessageConsignedToRecipient", "RD01", 1),
        "ContentConsignmentFailure": ("MessageNotConsignedForUnregisteredRecipient", "RD21", 2),
    }
    sample = etree.parse(str(rem_fixtures_dir / "standalone-evidence" / "ContentConsignmentFailure1.RD21.xml")).getroot()
    rems_ids = set()
    for event, (reason, code, refers_to) in expected.items():
        receipt = sender_box[event][0]
        message = parse(receipt)
        assert message["From"] == "<rem-service@pec.sandbox>" and message["To"] == MARIO
        assert message["Reply-To"] is None
        assert str(email.header.make_header(email.header.decode_header(message["Subject"]))) == f"REM {event}: {subject}"
        assert cms_valid(rem, tmp_path, receipt), f"{event}: openssl smime -verify failed"
        ((name, xml),) = evidence_parts(receipt)
        assert name == f"{event}.xml"
        root = check_evidence(rem, xml, event, reason, code, recipients, msgid, digest, subject, refers_to)
        check_common_headers(rem, receipt, event, reason, "receipt", msgid, digest, text(root, "tns:EvidenceIdentifier"))
        assert all(p.get("REM-Section-Type") != "rem_message/original" for p in message.walk())
        rems_ids.add(text(root, "tns:MessageIdentifier"))
        if event == "ContentConsignmentFailure":
            assert evidence_layout(root) == evidence_layout(sample), "element order differs from the AgID sample"
    assert len(rems_ids) == 1, "every evidence of one submission names the same REMS message id"

    dispatch = recipient_box[0]
    message = parse(dispatch)
    assert message["From"] == '"On behalf of: mario.rossi@pec.sandbox" <rem-service@pec.sandbox>'
    assert message["Reply-To"] == MARIO and message["To"] == ", ".join(recipients)
    assert message["Message-ID"] == f"<{rems_ids.pop()}>"
    assert cms_valid(rem, tmp_path, dispatch), "dispatch: openssl smime -verify failed"
    ((name, xml),) = evidence_parts(dispatch)
    assert name == "SubmissionAcceptance.xml"
    root = check_evidence(rem, xml, "SubmissionAcceptance", "MessageAccepted", "RA01", recipients, msgid, digest, subject)
    acceptance_id = text(root, "tns:EvidenceIdentifier")
    check_common_headers(rem, dispatch, "SubmissionAcceptance", "MessageAccepted", "dispatch", msgid, digest, acceptance_id)
    assert parse(sender_box["SubmissionAcceptance"][0])["REM-Evidence-ID"] == f"<{acceptance_id}>", \
        "the dispatch carries the evidence of the sender's SubmissionAcceptance"
    original = [p for p in message.walk() if p.get("REM-Section-Type") == "rem_message/original"]
    assert len(original) == 1 and original[0].get_content_type() == "message/rfc822"
    assert original[0].get_param("name") == "AttachedMimeMessage" and original[0]["Content-Transfer-Encoding"] == "binary"
    assert attached_original(dispatch) == raw, "the attached original is not the submitted bytes"
    assert base64.b64encode(hashlib.sha256(attached_original(dispatch)).digest()).decode() == message["REM-DigestValue"]

    tampered = dispatch.replace(b"una riga che inizia", b"una riga che inizio", 1)
    assert tampered != dispatch and not cms_valid(rem, tmp_path, tampered), "tampering not detected"


def test_rem_service_certificate(rem):
    cert = x509.load_pem_x509_certificate(open(rem["rem_cert_file"], "rb").read())
    assert rem["rem_service_address"] == "rem-service@pec.sandbox"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == ["rem-service@pec.sandbox"]
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    policies = [p.policy_identifier.dotted_string for p in cert.extensions.get_extension_for_class(x509.CertificatePolicies).value]
    assert policies == ["0.4.0.195223", "0.4.0.195324"]


# --- formal errors: SubmissionRejection -----------------------------------------------------------

@pytest.mark.parametrize("case", ["envelope-sender", "bcc"])
def test_formal_error_gives_only_a_submission_rejection(rem, tmp_path, case):
    if case == "envelope-sender":
        msgid, raw = new_raw(sender=ANNA)
        submit(rem, raw, [ANNA], user=MARIO, from_addr=ANNA)
    else:
        msgid, raw = new_raw(to=(ANNA,))
        submit(rem, raw, [ANNA, LUCA])
    box = by_event(fetch_rem(rem, MARIO, msgid, want=1))
    assert list(box) == ["SubmissionRejection"] and len(box["SubmissionRejection"]) == 1
    receipt = box["SubmissionRejection"][0]
    assert cms_valid(rem, tmp_path, receipt)
    ((name, xml),) = evidence_parts(receipt)
    assert name == "SubmissionRejection.xml"
    root = etree.fromstring(xml)
    assert text(root, "tns:EventReasons/tns:EventReason/Code") == "http://uri.etsi.org/19522/EventReason/InvalidMessageFormat"
    assert root.find("tns:EventReasons/tns:EventReason/Details", NS).text == "RA02"
    assert xades_valid(rem, xml)
    assert parse(receipt)["REM-ReasonIdentifier"] == "http://uri.etsi.org/19522/EventReason/InvalidMessageFormat"
    time.sleep(0.3)
    assert fetch_rem(rem, ANNA, msgid, want=1, timeout=0.3) == []
    assert len(fetch_rem(rem, MARIO, msgid, want=2, timeout=0.3)) == 1


def test_noreceipt_produces_nothing(rem):
    msgid, raw = new_raw(to=(f"noreceipt+{ANNA}",))
    assert submit(rem, raw, [f"noreceipt+{ANNA}"]) == {}
    assert fetch_rem(rem, MARIO, msgid, want=1, timeout=1.0) == []
    assert fetch_rem(rem, ANNA, msgid, want=1, timeout=0.2) == []


def test_slow_recipient_gets_the_dispatch_late(rem):
    msgid, raw = new_raw(to=(ANNA, f"slow+{LUCA}"))
    start = time.monotonic()
    submit(rem, raw, [ANNA, f"slow+{LUCA}"])
    early = by_event(fetch_rem(rem, MARIO, msgid, want=2))
    assert sorted(early) == ["ContentConsignment", "SubmissionAcceptance"]
    late = by_event(fetch_rem(rem, MARIO, msgid, want=3, timeout=rem["slow_seconds"] + 10))
    assert time.monotonic() - start >= rem["slow_seconds"]
    refers = sorted(etree.fromstring(evidence_parts(r)[0][1]).find("EvidenceRefersToRecipient").text
                    for r in late["ContentConsignment"])
    assert refers == ["1", "2"]
    (dispatch,) = fetch_rem(rem, LUCA, msgid, want=1)
    assert attached_original(dispatch) == raw
