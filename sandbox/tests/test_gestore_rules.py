"""The sandbox mailboxes aruba@ and legalmail@ follow those gestori's documented submission limits
(pecsim/rules.py), so a client's own pre-flight can be compared with what the gestore would do."""

import io
import smtplib
import zipfile

import pytest

from test_sandbox import ANNA, LUCA, MARIO, by_kind, fetch_related, new_message, submit

ARUBA, LEGALMAIL = "aruba@pec.sandbox", "legalmail@pec.sandbox"
PROGRAM = b"MZ\x90\x00" + bytes(60)


def zipped(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def aruba_outcome(sandbox, attachment_name, data, to=(ANNA,)):
    msg = new_message(sender=ARUBA, to=to)
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=attachment_name)
    submit(sandbox, msg, user=ARUBA)
    box = by_kind(fetch_related(sandbox, ARUBA, msg["Message-ID"], want=1))
    return box


@pytest.mark.parametrize("name,data", [
    ("setup.exe", b"echo"),
    ("fattura.pdf", PROGRAM),
    ("documenti.zip", zipped([("leggimi.txt", "ciao"), ("bin/setup.exe", "x")])),
    ("documenti.zip", zipped([("foto.jpg", PROGRAM)])),
    ("pratica.zip", zipped([("dentro.zip", zipped([("avvio.bat", "echo")]))])),
])
def test_aruba_refuses_programs_by_name_content_and_inside_zip(sandbox, name, data):
    box = aruba_outcome(sandbox, name, data)
    assert list(box) == ["non-accettazione"]
    assert box["non-accettazione"][0][1]["daticert"]["errore"] == "altro"


def test_aruba_accepts_an_allowed_zip(sandbox):
    box = aruba_outcome(sandbox, "pratica.zip", zipped([("verbale.pdf", b"%PDF-1.4"), ("note.txt", "testo")]))
    assert "accettazione" in box and "non-accettazione" not in box


def test_aruba_divides_100_mb_by_the_recipients(sandbox):
    big = b"0" * 19_000_000  # about 25.7 MB once base64-encoded: 4 recipients exceed 100 MB
    box = aruba_outcome(sandbox, "perizia.pdf", big, to=(ANNA, LUCA, MARIO, "nessuno@pec.sandbox"))
    assert list(box) == ["non-accettazione"]


def test_other_mailboxes_have_no_such_rule(sandbox):
    msg = new_message()
    msg.add_attachment(PROGRAM, maintype="application", subtype="octet-stream", filename="setup.exe")
    submit(sandbox, msg)
    assert "accettazione" in by_kind(fetch_related(sandbox, MARIO, msg["Message-ID"], want=1))


def test_legalmail_refuses_the_seventh_send_within_a_minute(sandbox):
    # The count lives in the running simulator: earlier runs within the minute may have used part of it.
    for attempt in range(7):
        try:
            submit(sandbox, new_message(sender=LEGALMAIL), user=LEGALMAIL)
        except smtplib.SMTPDataError as refused:
            assert refused.smtp_code == 550
            assert b"Class Of Service" in refused.smtp_error
            return
    pytest.fail("seven sends within a minute were all accepted")


def test_aruba_accepts_text_that_merely_starts_with_mz(sandbox):
    box = aruba_outcome(sandbox, "nota.txt", b"MZone report\nseconda riga\n")
    assert "accettazione" in box and "non-accettazione" not in box
