"""Builds PEC messages byte for byte in the format real gestori use (pec-standard.md §3-§7):

    multipart/signed; protocol="application/x-pkcs7-signature"; micalg="sha-256"
    ├─ multipart/mixed (Content-Transfer-Encoding: binary)      <- the signed entity
    │   ├─ multipart/alternative: text/plain + text/html, iso-8859-1, quoted-printable
    │   ├─ daticert.xml (application/xml, inline, base64)
    │   └─ postacert.eml (message/rfc822, inline)               <- envelopes, completa/breve receipts
    └─ smime.p7s (application/x-pkcs7-signature, attachment, base64)

Every line ends in CRLF, as on the wire, so the signature verifies on what IMAP serves.
"""

import base64
import datetime
import email
import email.policy
import hashlib
import itertools
import os
import quopri
import re
import secrets
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.utils import format_datetime, getaddresses
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from .pki import DOMAIN, GESTORE_ADDRESS

GESTORE_NAME = "PEC Sandbox S.p.A."
CRLF = b"\r\n"
_counter = itertools.count(1)


class Kind:
    """The X-Ricevuta / X-Trasporto values and daticert tipo of each message we make."""
    ACCEPTANCE = "accettazione"
    NON_ACCEPTANCE = "non-accettazione"
    DELIVERY = "avvenuta-consegna"
    DELIVERY_ERROR = "errore-consegna"
    TRANSPORT = "posta-certificata"


SUBJECT_PREFIX = {
    Kind.ACCEPTANCE: "ACCETTAZIONE: ",
    Kind.NON_ACCEPTANCE: "AVVISO DI NON ACCETTAZIONE: ",
    Kind.DELIVERY: "CONSEGNA: ",
    Kind.DELIVERY_ERROR: "AVVISO DI MANCATA CONSEGNA: ",
    Kind.TRANSPORT: "POSTA CERTIFICATA: ",
}


@dataclass
class Submission:
    """One message as the access point accepted it, with what every PEC message about it shares."""
    raw: bytes                      # the submitted message, CRLF line endings
    sender: str                     # the From address (= MAIL FROM when accepted)
    recipients: list                # [(address, "certificato" | "esterno")], To then Cc
    subject_raw: str                # the Subject as sent (may hold RFC 2047 words)
    subject: str                    # decoded, for daticert <oggetto> and the body text
    reply_to: str
    message_id: str                 # the client's Message-ID, with <>
    receipt_type: str               # completa | breve | sintetica (X-TipoRicevuta)
    identificativo: str             # the PEC id the access point assigns
    time: datetime.datetime         # Italian local time of acceptance
    to_header: str = ""
    cc_header: str = ""


def italian_now() -> datetime.datetime:
    try:
        from zoneinfo import ZoneInfo
        return datetime.datetime.now(ZoneInfo("Europe/Rome")).replace(microsecond=0)
    except Exception:  # no tz database: CET all year round
        return datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=1))).replace(microsecond=0)


def new_identificativo(when: datetime.datetime) -> str:
    """An id of the "opec" family (Aruba, Namirial, Sogei): opec<n>.<YYYYMMDDhhmmss>.<pid>.<n>.<n>.<n>@<gestore>.
    Used for the identificativo of a submission and for the Message-ID of each receipt."""
    return f"opec288.{when:%Y%m%d%H%M%S}.{os.getpid():05d}.{next(_counter)}.1.{secrets.randbelow(1000)}@{DOMAIN}"


def header_value(message: email.message.Message, name: str) -> str:
    value = message.get(name)
    return "" if value is None else re.sub(r"\r?\n[ \t]+", " ", str(value)).strip()


def decode_words(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


def to_crlf(data: bytes) -> bytes:
    return re.sub(rb"\r?\n", CRLF, data)


def parse_submission(raw: bytes, receipt_type_default: str = "completa") -> dict:
    """The submitted message's header facts (addresses lower-cased)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    def addresses(name):
        return [a.lower() for _, a in getaddresses(message.get_all(name, [])) if a]
    receipt_type = header_value(message, "X-TipoRicevuta").lower() or receipt_type_default
    if receipt_type not in ("completa", "breve", "sintetica"):
        receipt_type = receipt_type_default
    return {
        "from": addresses("From"),
        "to": addresses("To"),
        "cc": addresses("Cc"),
        "bcc": addresses("Bcc"),
        "reply_to": addresses("Reply-To"),
        "subject_raw": header_value(message, "Subject"),
        "message_id": header_value(message, "Message-ID"),
        "receipt_type": receipt_type,
        "to_header": header_value(message, "To"),
        "cc_header": header_value(message, "Cc"),
        "from_header": header_value(message, "From"),
    }


# --- the parts ---------------------------------------------------------------------------------

def _qp_latin1(text: str) -> bytes:
    return to_crlf(quopri.encodestring(to_crlf(text.encode("iso-8859-1", "replace")), quotetabs=False))


def _alternative(text: str) -> bytes:
    boundary = f"----=_alt_{secrets.token_hex(12)}"
    html = "<html><body><pre>" + escape(text) + "</pre></body></html>"
    lines = [
        f'Content-Type: multipart/alternative; boundary="{boundary}"'.encode(), b"", f"--{boundary}".encode(),
        b'Content-Type: text/plain; charset="iso-8859-1"', b"Content-Disposition: inline",
        b"Content-Transfer-Encoding: quoted-printable", b"", _qp_latin1(text), f"--{boundary}".encode(),
        b'Content-Type: text/html; charset="iso-8859-1"', b"Content-Disposition: inline",
        b"Content-Transfer-Encoding: quoted-printable", b"", _qp_latin1(html), f"--{boundary}--".encode(),
    ]
    return CRLF.join(lines)


def _base64_lines(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return CRLF.join(encoded[i:i + 76] for i in range(0, len(encoded), 76))


def daticert(kind: str, sub: Submission, errore: str = "nessuno", consegna: str | None = None,
             errore_esteso: str | None = None, with_receipt_type: bool = False) -> bytes:
    e = lambda s: escape(s, {'"': "&quot;"})
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<postacert tipo="{kind}" errore="{errore}">',
        "    <intestazione>",
        f"        <mittente>{e(sub.sender)}</mittente>",
        *[f'        <destinatari tipo="{tipo}">{e(addr)}</destinatari>' for addr, tipo in sub.recipients],
        f"        <risposte>{e(sub.reply_to)}</risposte>",
        f"        <oggetto>{e(sub.subject)}</oggetto>",
        "    </intestazione>",
        "    <dati>",
        f"        <gestore-emittente>{e(GESTORE_NAME)}</gestore-emittente>",
        f'        <data zona="{sub.time:%z}">',
        f"            <giorno>{sub.time:%d/%m/%Y}</giorno>",
        f"            <ora>{sub.time:%H:%M:%S}</ora>",
        "        </data>",
        f"        <identificativo>{e(sub.identificativo)}</identificativo>",
        f"        <msgid>{e(sub.message_id)}</msgid>",
    ]
    if with_receipt_type:
        lines.append(f'        <ricevuta tipo="{sub.receipt_type}" />')
    if consegna:
        lines.append(f"        <consegna>{e(consegna)}</consegna>")
    if errore_esteso:
        lines.append(f"        <errore-esteso>{e(errore_esteso)}</errore-esteso>")
    lines += ["    </dati>", "</postacert>", ""]
    return "\n".join(lines).encode("utf-8")


def postacert(sub: Submission, receipt_type: str = "completa") -> bytes:
    """The original as the access point rewrites it (as Aruba does): Message-ID becomes the
    identificativo, the client's id moves to X-Riferimento-Message-ID. `breve` replaces each
    attachment with its SHA-256 digest."""
    raw = to_crlf(sub.raw)
    if receipt_type == "breve":
        raw = _replace_attachments_with_digests(raw)
    head, sep, body = raw.partition(CRLF + CRLF)
    lines = re.split(rb"\r\n(?![ \t])", head)
    kept = [l for l in lines if not re.match(rb"(?i)(message-id|x-riferimento-message-id|x-tiporicevuta)\s*:", l)]
    kept += [f"Message-ID: <{sub.identificativo}>".encode(),
             f"X-Riferimento-Message-ID: {sub.message_id}".encode(),
             f"X-TipoRicevuta: {sub.receipt_type}".encode()]
    return CRLF.join(kept) + CRLF + CRLF + body


def _replace_attachments_with_digests(raw: bytes) -> bytes:
    message = email.message_from_bytes(raw, policy=email.policy.SMTP)
    for part in message.walk():
        if part.is_multipart() or part.get_filename() is None:
            continue
        digest = hashlib.sha256(part.get_payload(decode=True) or b"").hexdigest()
        filename = part.get_filename()
        part.set_content(f"SHA-256 {digest}\r\n", subtype="plain", charset="us-ascii",
                         disposition="attachment", filename=f"{filename}.sha256")
    return to_crlf(message.as_bytes())


def _transfer_encoding(data: bytes) -> str:
    if any(len(line) > 998 for line in data.split(CRLF)) or b"\0" in data:
        return "binary"
    return "8bit" if any(b > 127 for b in data) else "7bit"


def signed_entity(text: str, daticert_xml: bytes | None, inner_eml: bytes | None) -> bytes:
    boundary = f"----------=_{int(datetime.datetime.now().timestamp())}-{os.getpid()}-{next(_counter)}"
    parts = [_alternative(text)]
    if daticert_xml is not None:
        parts.append(CRLF.join([
            b'Content-Type: application/xml; name="daticert.xml"',
            b'Content-Disposition: inline; filename="daticert.xml"',
            b"Content-Transfer-Encoding: base64", b"", _base64_lines(daticert_xml)]))
    if inner_eml is not None:
        parts.append(CRLF.join([
            b'Content-Type: message/rfc822; name="postacert.eml"',
            b'Content-Disposition: inline; filename="postacert.eml"',
            f"Content-Transfer-Encoding: {_transfer_encoding(inner_eml)}".encode(), b"", inner_eml]))
    body = b"This is a multi-part message in MIME format." + CRLF
    for part in parts:
        body += f"--{boundary}".encode() + CRLF + part + CRLF
    body += f"--{boundary}--".encode() + CRLF
    header = f'Content-Type: multipart/mixed; boundary="{boundary}"\r\nContent-Transfer-Encoding: binary\r\n\r\n'
    return header.encode() + body


class Signer:
    def __init__(self, cert_path, key_path, chain_paths=()):
        read = lambda path: open(path, "rb").read()
        self.cert = x509.load_pem_x509_certificate(read(cert_path))
        self.chain = [x509.load_pem_x509_certificate(read(path)) for path in chain_paths]
        self.key = serialization.load_pem_private_key(read(key_path), None)

    def sign(self, content: bytes) -> bytes:
        builder = pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(self.cert, self.key, hashes.SHA256())
        for cert in self.chain:
            builder = builder.add_certificate(cert)
        return builder.sign(serialization.Encoding.DER,
                            [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])


def assemble(signer: Signer, headers: list[tuple[str, str]], entity: bytes) -> bytes:
    """The complete message: gestore headers, then the multipart/signed around `entity`."""
    signature = signer.sign(entity)
    boundary = f"----{secrets.token_hex(16).upper()}"
    head = [f"{name}: {value}" for name, value in headers] + [
        "MIME-Version: 1.0",
        f'Content-Type: multipart/signed; protocol="application/x-pkcs7-signature"; micalg="sha-256"; '
        f'boundary="{boundary}"',
    ]
    out = CRLF.join(h.encode("utf-8") for h in head) + CRLF + CRLF
    out += b"This is an S/MIME signed message" + CRLF + CRLF
    out += f"--{boundary}".encode() + CRLF + entity + CRLF
    out += f"--{boundary}".encode() + CRLF
    out += CRLF.join([
        b'Content-Type: application/x-pkcs7-signature; name="smime.p7s"',
        b"Content-Transfer-Encoding: base64",
        b'Content-Disposition: attachment; filename="smime.p7s"',
        b"Content-Description: S/MIME Cryptographic Signature", b"", _base64_lines(signature)]) + CRLF
    out += f"--{boundary}--".encode() + CRLF
    return out


def _common_headers(sub: Submission, kind: str, to: str, receipt_header: tuple[str, str]) -> list:
    now = italian_now()
    receipt_id = new_identificativo(now)
    return [
        ("Return-Path", f"<{GESTORE_ADDRESS}>"),
        ("Date", format_datetime(now)),
        ("From", GESTORE_ADDRESS),
        ("To", to),
        ("Subject", SUBJECT_PREFIX[kind] + sub.subject_raw),
        ("Message-ID", f"<{receipt_id}>"),
        receipt_header,
        ("X-Riferimento-Message-ID", sub.message_id),
    ]


def _recipient_lines(sub: Submission) -> str:
    label = {"certificato": "posta certificata", "esterno": "posta ordinaria"}
    return "\n".join(f'{addr} ("{label[tipo]}")' for addr, tipo in sub.recipients)


def _when(sub: Submission) -> str:
    return f"Il giorno {sub.time:%d/%m/%Y} alle ore {sub.time:%H:%M:%S} ({sub.time:%z})"


def acceptance(signer: Signer, sub: Submission) -> bytes:
    text = (f"Ricevuta di accettazione\n\n{_when(sub)} il messaggio\n\"{sub.subject}\" proveniente da "
            f"\"{sub.sender}\"\ned indirizzato a:\n{_recipient_lines(sub)}\n"
            f"è stato accettato dal sistema ed inoltrato.\nIdentificativo messaggio: {sub.identificativo}\n")
    headers = _common_headers(sub, Kind.ACCEPTANCE, sub.sender, ("X-Ricevuta", Kind.ACCEPTANCE))
    return assemble(signer, headers, signed_entity(text, daticert(Kind.ACCEPTANCE, sub), None))


def non_acceptance(signer: Signer, sub: Submission, to: str, reason: str) -> bytes:
    text = (f"Avviso di non accettazione\n\n{_when(sub)} nel messaggio\n\"{sub.subject}\" proveniente da "
            f"\"{sub.sender}\"\nè stato rilevato un problema che ne impedisce l'accettazione\n"
            f"a causa di: {reason}\nIl messaggio non è stato accettato.\n"
            f"Identificativo messaggio: {sub.identificativo}\n")
    headers = _common_headers(sub, Kind.NON_ACCEPTANCE, to, ("X-Ricevuta", Kind.NON_ACCEPTANCE))
    xml = daticert(Kind.NON_ACCEPTANCE, sub, errore="altro", errore_esteso=reason)
    return assemble(signer, headers, signed_entity(text, xml, None))


def transport_envelope(signer: Signer, sub: Submission) -> bytes:
    text = (f"Messaggio di posta certificata\n\n{_when(sub)} il messaggio\n\"{sub.subject}\" è stato inviato "
            f"da \"{sub.sender}\"\nindirizzato a:\n{_recipient_lines(sub)}\n"
            f"Il messaggio originale è incluso in allegato.\nIdentificativo messaggio: {sub.identificativo}\n")
    headers = [
        ("Return-Path", f"<{GESTORE_ADDRESS}>"),
        ("Date", format_datetime(sub.time)),
        ("From", f'"Per conto di: {sub.sender}" <{GESTORE_ADDRESS}>'),
        ("Reply-To", sub.reply_to),
        ("To", sub.to_header),
        *([("Cc", sub.cc_header)] if sub.cc_header else []),
        ("Subject", SUBJECT_PREFIX[Kind.TRANSPORT] + sub.subject_raw),
        ("Message-ID", f"<{sub.identificativo}>"),
        ("X-Trasporto", Kind.TRANSPORT),
        ("X-Riferimento-Message-ID", sub.message_id),
        ("X-TipoRicevuta", sub.receipt_type),
    ]
    xml = daticert(Kind.TRANSPORT, sub, with_receipt_type=True)
    return assemble(signer, headers, signed_entity(text, xml, postacert(sub)))


def delivery(signer: Signer, sub: Submission, recipient: str) -> bytes:
    inner = None if sub.receipt_type == "sintetica" else postacert(sub, sub.receipt_type)
    text = (f"Ricevuta di avvenuta consegna\n\n{_when(sub)} il messaggio\n\"{sub.subject}\" proveniente da "
            f"\"{sub.sender}\"\ned indirizzato a \"{recipient}\"\n"
            f"è stato correttamente consegnato al destinatario.\nIdentificativo messaggio: {sub.identificativo}\n")
    if sub.receipt_type == "breve":
        text += "Il messaggio originale è incluso in allegato; gli allegati sono sostituiti dai rispettivi hash.\n"
    headers = _common_headers(sub, Kind.DELIVERY, sub.sender, ("X-Ricevuta", Kind.DELIVERY))
    headers.append(("X-TipoRicevuta", sub.receipt_type))
    xml = daticert(Kind.DELIVERY, sub, consegna=recipient, with_receipt_type=True)
    return assemble(signer, headers, signed_entity(text, xml, inner))


def delivery_error(signer: Signer, sub: Submission, recipient: str, errore: str, detail: str) -> bytes:
    text = (f"Avviso di mancata consegna\n\n{_when(sub)} nel messaggio\n\"{sub.subject}\" proveniente da "
            f"\"{sub.sender}\"\ne destinato all'utente \"{recipient}\"\n"
            f"è stato rilevato il seguente errore: {detail}\nIl messaggio è stato rifiutato dal sistema.\n"
            f"Identificativo messaggio: {sub.identificativo}\n")
    headers = _common_headers(sub, Kind.DELIVERY_ERROR, sub.sender, ("X-Ricevuta", Kind.DELIVERY_ERROR))
    xml = daticert(Kind.DELIVERY_ERROR, sub, errore=errore, consegna=recipient, errore_esteso=detail)
    return assemble(signer, headers, signed_entity(text, xml, None))
