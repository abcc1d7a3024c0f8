"""An independent reading of a PEC message with Python's email package: the fields of
../shared/fixtures/pec/expected.ndjson, so sandbox messages and real ones can be compared."""

import email
import email.policy
import re
import subprocess
import xml.etree.ElementTree as ET

DATICERT_FIELDS = ["tipo", "errore", "mittente", "destinatari", "oggetto", "gestore_emittente", "giorno", "ora",
                   "zona", "identificativo", "msgid", "ricevuta_tipo", "consegna", "errore_esteso"]


def _header(message, name):
    value = message.get(name)
    return None if value is None else re.sub(r"\s+", " ", str(value)).strip()


def _text(root, path):
    node = root.find(path)
    return None if node is None or node.text is None else node.text.strip()


def parse_daticert(xml: bytes) -> dict:
    root = ET.fromstring(xml)
    data = root.find("dati/data")
    ricevuta = root.find("dati/ricevuta")
    return {
        "tipo": root.get("tipo"),
        "errore": root.get("errore"),
        "mittente": _text(root, "intestazione/mittente"),
        "destinatari": [(d.text or "").strip() for d in root.findall("intestazione/destinatari")],
        "oggetto": _text(root, "intestazione/oggetto"),
        "gestore_emittente": _text(root, "dati/gestore-emittente"),
        "giorno": _text(root, "dati/data/giorno"),
        "ora": _text(root, "dati/data/ora"),
        "zona": None if data is None else data.get("zona"),
        "identificativo": _text(root, "dati/identificativo"),
        "msgid": _text(root, "dati/msgid"),
        "ricevuta_tipo": None if ricevuta is None else ricevuta.get("tipo"),
        "consegna": _text(root, "dati/consegna"),
        "errore_esteso": _text(root, "dati/errore-esteso"),
    }


def _signed_parts(message):
    """The parts of the message outside any postacert.eml (daticert.xml lives there)."""
    stack = [message]
    while stack:
        part = stack.pop()
        yield part
        if part.get_content_type() == "message/rfc822":
            continue
        if part.is_multipart():
            stack.extend(reversed(part.get_payload()))


def record(raw: bytes) -> dict:
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    out = {}
    for header, key in (("X-Ricevuta", "x_ricevuta"), ("X-Trasporto", "x_trasporto")):
        if message.get(header) is not None:
            out[key] = _header(message, header).lower()
    out["x_riferimento_message_id"] = _header(message, "X-Riferimento-Message-ID")
    daticert = None
    has_postacert = False
    for part in _signed_parts(message):
        filename = part.get_filename()
        if filename == "daticert.xml" and daticert is None:
            daticert = parse_daticert(part.get_payload(decode=True))
        if filename == "postacert.eml" or (part.get_content_type() == "message/rfc822"
                                           and part.get_param("name") == "postacert.eml"):
            has_postacert = True
    out["daticert"] = daticert
    out["has_postacert_eml"] = has_postacert
    return out


def openssl_verify(path, *options) -> bool:
    result = subprocess.run(["openssl", "smime", "-verify", "-in", str(path), "-out", "/dev/null", *options],
                            capture_output=True, timeout=30)
    return result.returncode == 0


def profile(rec: dict) -> dict:
    """What makes two messages 'the same kind': headers, daticert tipo/errore, which fields are set."""
    d = rec["daticert"] or {}
    return {
        "x_ricevuta": rec.get("x_ricevuta"),
        "x_trasporto": rec.get("x_trasporto"),
        "has_x_riferimento": rec.get("x_riferimento_message_id") is not None,
        "tipo": d.get("tipo"),
        "errore": d.get("errore"),
        "fields_set": sorted(k for k in DATICERT_FIELDS if d.get(k) not in (None, [], "")),
        "has_postacert_eml": rec["has_postacert_eml"],
    }
