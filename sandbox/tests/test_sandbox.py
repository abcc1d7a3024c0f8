"""Self-test of the PEC sandbox: real SMTPS submissions, read back over real IMAPS from Dovecot,
every message checked with `openssl smime -verify` against the sandbox CA and compared with real
PEC messages of the same kind (../shared/fixtures/pec/expected.ndjson)."""

import email
import imaplib
import json
import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage

import pytest

from pec_record import openssl_verify, profile, record

MARIO, ANNA, LUCA = "mario.rossi@pec.sandbox", "anna.bianchi@pec.sandbox", "luca.verdi@pec.sandbox"


def tls(sandbox):
    return ssl.create_default_context(cafile=sandbox["ca_file"])


def new_message(sender=MARIO, to=(ANNA,), cc=(), subject="Prova sandbox", receipt=None, attach=False):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@selftest.example>"
    if receipt:
        msg["X-TipoRicevuta"] = receipt
    msg.set_content("Buongiorno,\nè un messaggio di prova.\n")
    if attach:
        msg.add_attachment(b"%PDF-1.4 prova", maintype="application", subtype="pdf", filename="fattura.pdf")
    return msg


def submit(sandbox, msg, user=MARIO, from_addr=None, to_addrs=None):
    with smtplib.SMTP_SSL(sandbox["host"], sandbox["smtps_port"], context=tls(sandbox), timeout=10) as smtp:
        smtp.login(user, sandbox["password"])
        return smtp.send_message(msg, from_addr=from_addr, to_addrs=to_addrs)


def fetch_related(sandbox, user, message_id, want, timeout=10.0):
    """Raw messages in `user`'s INBOX that refer to `message_id`, polling until `want` are there."""
    deadline = time.monotonic() + timeout
    found = []
    with imaplib.IMAP4_SSL(sandbox["host"], sandbox["imaps_port"], ssl_context=tls(sandbox), timeout=10) as imap:
        imap.login(user, sandbox["password"])
        while True:
            imap.select("INBOX", readonly=True)
            _, data = imap.uid("SEARCH", "HEADER", "X-Riferimento-Message-ID", f'"{message_id}"')
            uids = data[0].split()
            if len(uids) >= want or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        for uid in uids:
            _, parts = imap.uid("FETCH", uid, "(BODY.PEEK[])")
            found.append(parts[0][1])
    return found


def by_kind(raws):
    out = {}
    for raw in raws:
        rec = record(raw)
        out.setdefault(rec.get("x_ricevuta") or rec.get("x_trasporto"), []).append((raw, rec))
    return out


def daticert_xml(raw):
    message = email.message_from_bytes(raw)
    return next(p.get_payload(decode=True) for p in message.walk() if p.get_filename() == "daticert.xml")


def verified(sandbox, tmp_path, raw) -> bool:
    path = tmp_path / f"{uuid.uuid4().hex}.eml"
    path.write_bytes(raw)
    return openssl_verify(path, "-CAfile", sandbox["ca_file"])


# --- the reading we compare with is itself checked against the real messages -----------------

def test_record_reader_agrees_with_expected_ndjson(fixtures_dir):
    checked = 0
    for line in (fixtures_dir / "expected.ndjson").read_text().splitlines():
        expected = json.loads(line)
        if "daticert" not in expected:
            continue
        got = record((fixtures_dir / expected["file"]).read_bytes())
        for key in ("x_ricevuta", "x_trasporto", "x_riferimento_message_id", "has_postacert_eml", "daticert"):
            assert got.get(key) == expected.get(key), (expected["file"], key)
        checked += 1
    assert checked >= 10


# --- the main flow -------------------------------------------------------------------------------

def test_submission_produces_signed_acceptance_envelope_delivery_and_non_delivery(sandbox, fixtures_dir, tmp_path):
    msg = new_message(to=(ANNA, "nessuno@pec.sandbox"), subject="Fattura n. 9 perché", attach=True)
    refused = submit(sandbox, msg)
    assert refused == {}
    msgid = msg["Message-ID"]

    sender_box = by_kind(fetch_related(sandbox, MARIO, msgid, want=3))
    recipient_box = by_kind(fetch_related(sandbox, ANNA, msgid, want=1))
    assert sorted(sender_box) == ["accettazione", "avvenuta-consegna", "errore-consegna"]
    assert list(recipient_box) == ["posta-certificata"]

    real = [json.loads(l) for l in (fixtures_dir / "expected.ndjson").read_text().splitlines()]
    real_profiles = {}
    for rec in real:
        if rec.get("daticert"):
            real_profiles.setdefault(rec.get("x_ricevuta") or rec.get("x_trasporto"), []).append(profile(rec))

    identificativi = set()
    for kind, items in list(sender_box.items()) + list(recipient_box.items()):
        assert len(items) == 1, kind
        raw, rec = items[0]
        assert verified(sandbox, tmp_path, raw), f"{kind}: openssl smime -verify failed"
        assert profile(rec) in real_profiles[kind], f"{kind} differs from every real one: {profile(rec)}"
        d = rec["daticert"]
        assert rec["x_riferimento_message_id"] == msgid and d["msgid"] == msgid
        assert d["mittente"] == MARIO and d["oggetto"] == "Fattura n. 9 perché"
        assert d["destinatari"] == [ANNA, "nessuno@pec.sandbox"]
        identificativi.add(d["identificativo"])
    assert len(identificativi) == 1, "every message of one submission shares its identificativo"

    assert sender_box["avvenuta-consegna"][0][1]["daticert"]["consegna"] == ANNA
    failure = sender_box["errore-consegna"][0][1]["daticert"]
    assert failure["consegna"] == "nessuno@pec.sandbox" and failure["errore"] == "no-dest"
    assert failure["errore_esteso"].startswith("5.1.1 ")

    envelope = recipient_box["posta-certificata"][0][0]
    assert f"Message-ID: <{identificativi.pop()}>".encode() in envelope
    assert b'"Per conto di: mario.rossi@pec.sandbox" <posta-certificata@pec.sandbox>' in envelope


def test_a_tampered_message_fails_verification(sandbox, tmp_path):
    msg = new_message()
    submit(sandbox, msg)
    raw, _ = by_kind(fetch_related(sandbox, MARIO, msg["Message-ID"], want=2))["accettazione"][0]
    assert verified(sandbox, tmp_path, raw)
    tampered = raw.replace(b"Ricevuta di accettazione", b"Ricevuta di accettaziona", 1)
    assert tampered != raw
    assert not verified(sandbox, tmp_path, tampered), "tampering not detected"


@pytest.mark.parametrize("receipt,has_postacert", [("completa", True), ("breve", True), ("sintetica", False)])
def test_receipt_types(sandbox, tmp_path, receipt, has_postacert):
    msg = new_message(receipt=receipt, attach=True)
    submit(sandbox, msg)
    raw, rec = by_kind(fetch_related(sandbox, MARIO, msg["Message-ID"], want=2))["avvenuta-consegna"][0]
    assert rec["daticert"]["ricevuta_tipo"] == receipt
    assert rec["has_postacert_eml"] is has_postacert
    assert verified(sandbox, tmp_path, raw)
    if receipt == "breve":
        assert b"fattura.pdf.sha256" in raw and b"%PDF-1.4 prova" not in raw
    if receipt == "completa":
        assert b"fattura.pdf" in raw and b".sha256" not in raw


# --- formal checks: avviso di non accettazione ----------------------------------------------------

def test_envelope_sender_other_than_logged_in_user_is_not_accepted(sandbox, tmp_path):
    msg = new_message(sender=ANNA)
    submit(sandbox, msg, user=MARIO, from_addr=ANNA)
    box = by_kind(fetch_related(sandbox, MARIO, msg["Message-ID"], want=1))
    assert list(box) == ["non-accettazione"]
    raw, rec = box["non-accettazione"][0]
    assert rec["daticert"]["tipo"] == "non-accettazione" and rec["daticert"]["errore"] == "altro"
    assert verified(sandbox, tmp_path, raw)
    assert fetch_related(sandbox, ANNA, msg["Message-ID"], want=1, timeout=0.5) == []


def test_bcc_is_not_accepted(sandbox):
    msg = new_message(to=(ANNA,))
    submit(sandbox, msg, to_addrs=[ANNA, LUCA])
    assert list(by_kind(fetch_related(sandbox, MARIO, msg["Message-ID"], want=1))) == ["non-accettazione"]


def test_external_recipient_is_esterno_and_gets_no_receipt(sandbox):
    msg = new_message(to=(ANNA, "someone@example.com"))
    submit(sandbox, msg)
    box = by_kind(fetch_related(sandbox, MARIO, msg["Message-ID"], want=2))
    assert sorted(box) == ["accettazione", "avvenuta-consegna"]
    _, acceptance = box["accettazione"][0]
    assert acceptance["daticert"]["destinatari"] == [ANNA, "someone@example.com"]
    assert b'<destinatari tipo="esterno">someone@example.com</destinatari>' in daticert_xml(box["accettazione"][0][0])


# --- fault switches -------------------------------------------------------------------------------

def test_tempfail_and_reject_answer_at_rcpt(sandbox):
    for prefix, code in (("tempfail", 451), ("reject", 550)):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            submit(sandbox, new_message(to=(f"{prefix}+{ANNA}",)))
        assert refused.value.recipients[f"{prefix}+{ANNA}"][0] == code
        if prefix == "tempfail":
            # The retry gets through (and leaves the address's count even for the next run).
            assert submit(sandbox, new_message(to=(f"{prefix}+{ANNA}",))) == {}
    # The count is per address: another tempfail+ address starts with a 451 of its own.
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        submit(sandbox, new_message(to=(f"tempfail+{MARIO}",)))
    assert submit(sandbox, new_message(to=(f"tempfail+{MARIO}",))) == {}


def test_drop_closes_the_connection_after_data_yet_the_message_was_accepted(sandbox):
    msg = new_message(to=(f"drop+{ANNA}",))
    with pytest.raises(smtplib.SMTPServerDisconnected):
        submit(sandbox, msg)
    assert "accettazione" in by_kind(fetch_related(sandbox, MARIO, msg["Message-ID"], want=2))


def test_slow_recipient_gets_the_envelope_late(sandbox):
    msg = new_message(to=(ANNA, f"slow+{LUCA}"))
    start = time.monotonic()
    submit(sandbox, msg)
    early = by_kind(fetch_related(sandbox, MARIO, msg["Message-ID"], want=2))
    assert [r["daticert"]["consegna"] for _, r in early["avvenuta-consegna"]] == [ANNA]
    late = by_kind(fetch_related(sandbox, MARIO, msg["Message-ID"], want=3, timeout=sandbox["slow_seconds"] + 10))
    assert time.monotonic() - start >= sandbox["slow_seconds"]
    assert sorted(r["daticert"]["consegna"] for _, r in late["avvenuta-consegna"]) == [ANNA, f"slow+{LUCA}"]
    assert "posta-certificata" in by_kind(fetch_related(sandbox, LUCA, msg["Message-ID"], want=1))


def test_noreceipt_produces_nothing(sandbox):
    msg = new_message(to=(f"noreceipt+{ANNA}",))
    assert submit(sandbox, msg) == {}
    assert fetch_related(sandbox, MARIO, msg["Message-ID"], want=1, timeout=1.5) == []
    journal = [json.loads(l) for l in (sandbox["dir"] / "journal.ndjson").read_text().splitlines()]
    assert any(e["event"] == "swallowed" and e["msgid"] == msg["Message-ID"] for e in journal)


# --- authentication -------------------------------------------------------------------------------

def test_wrong_password_and_unauthenticated_mail_are_refused(sandbox):
    with smtplib.SMTP_SSL(sandbox["host"], sandbox["smtps_port"], context=tls(sandbox), timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPAuthenticationError) as failed:
            smtp.login(MARIO, "wrong")
        assert failed.value.smtp_code == 535
        code, _ = smtp.mail(MARIO)
        assert code == 530


def test_tls_requires_the_sandbox_ca(sandbox):
    with pytest.raises(ssl.SSLCertVerificationError):
        smtplib.SMTP_SSL(sandbox["host"], sandbox["smtps_port"], context=ssl.create_default_context(), timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(sandbox["host"], sandbox["imaps_port"], ssl_context=ssl.create_default_context(), timeout=10)
