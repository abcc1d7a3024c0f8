"""`pec evidence`: the court-ready dossier of a sent PEC, checked from outside the Swift code.

Every claim the dossier makes is checked with independent tools against independent sources:
`sha256sum -c` for SHA256SUMS, `openssl smime -verify` for the gestore signatures, Python's `email`
and ElementTree for daticert.xml, and the PEC simulator's own journal (and the Maildir files it
names) for what was really handed to SMTP and what the gestore really sent back.

Needs a running PEC sandbox (`PEC_SANDBOX_DIR`, whose `env` file has the ports and CA) and the built
binaries (`PEC_BIN_DIR`); without either the tests are skipped.
"""

import email
import email.policy
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

CRLF = b"\r\n"
RECEIPT_WAIT_SECONDS = 30


def read_env_file(path: Path) -> dict:
    """The `export NAME=value` / `export NAME='value'` lines sandbox.sh writes to DIR/env."""
    out = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.removeprefix("export ").partition("=")
        if line.startswith("export ") and sep:
            out[name] = value[1:-1] if value[:1] == value[-1:] == "'" else value
    return out


@pytest.fixture(scope="module")
def sandbox():
    """The sandbox's settings, read from $PEC_SANDBOX_DIR/env (the same file `. DIR/env` sources)."""
    directory, bin_dir = os.environ.get("PEC_SANDBOX_DIR"), os.environ.get("PEC_BIN_DIR")
    if not directory:
        pytest.skip("PEC_SANDBOX_DIR is not set: start a sandbox (`make sandbox-up`) and `. /tmp/pec-sandbox/env`")
    if not bin_dir:
        pytest.skip("PEC_BIN_DIR is not set: point it at the built binaries (`swift build --show-bin-path`)")
    env_file = Path(directory) / "env"
    if not env_file.is_file():
        pytest.fail(f"PEC_SANDBOX_DIR={directory} holds no sandbox (no env file)")
    env = read_env_file(env_file)
    if env.get("PEC_SANDBOX_STANDARD", "pec") != "pec":
        pytest.skip(f"the sandbox in {directory} is in {env['PEC_SANDBOX_STANDARD']} mode; these checks are for PEC")
    pec = Path(bin_dir) / "pec"
    if not os.access(pec, os.X_OK):
        pytest.fail(f"no pec binary at {pec} (PEC_BIN_DIR)")
    assert env["PEC_SANDBOX_HOST"] == "127.0.0.1", "the sandbox must listen on loopback only"
    return {**env, "dir": Path(directory), "pec": pec}


class Home:
    """A private HOME/XDG tree, so the login and the send ledger are this test's own."""

    def __init__(self, root: Path, sandbox: dict):
        self.sandbox = sandbox
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(root),
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_STATE_HOME": str(root / "state"),
            "LANG": "C.UTF-8",
        }

    def pec(self, *args, stdin="", check=True):
        run = subprocess.run([str(self.sandbox["pec"]), *args], input=stdin, capture_output=True, text=True,
                             env=self.env, timeout=120)
        if check:
            assert run.returncode == 0, f"pec {' '.join(args)} exited {run.returncode}:\n{run.stderr}{run.stdout}"
        return run

    def json(self, *args):
        """`pec --json …`: NDJSON; the commands used here print one object (the last line)."""
        lines = [l for l in self.pec("--json", *args).stdout.splitlines() if l.strip()]
        return json.loads(lines[-1])

    def login(self, user="mario.rossi"):
        s = self.sandbox
        self.pec("auth", "login", "--address", f"{user}@{s['PEC_SANDBOX_DOMAIN']}",
                 "--imap-host", s["PEC_SANDBOX_HOST"], "--imap-port", s["PEC_SANDBOX_IMAPS_PORT"],
                 "--smtp-host", s["PEC_SANDBOX_HOST"], "--smtp-port", s["PEC_SANDBOX_SMTPS_PORT"],
                 "--ca-file", s["PEC_SANDBOX_CA_FILE"], "--password-stdin", stdin=s["PEC_SANDBOX_PASSWORD"] + "\n")

    def wait_for_receipts(self, message_id: str) -> dict:
        """Syncs until no recipient is still pending/accepted (`status` reads the ledger only, so each
        round syncs first). Bounded: the sandbox answers in well under a second."""
        deadline = time.monotonic() + RECEIPT_WAIT_SECONDS
        while True:
            self.pec("--json", "sync", "--ca-file", self.sandbox["PEC_SANDBOX_CA_FILE"])
            status = self.json("status", message_id)
            if all(r["status"] not in ("pending", "accepted") for r in status["recipients"]):
                return status
            if time.monotonic() > deadline:
                pytest.fail(f"receipts still missing after {RECEIPT_WAIT_SECONDS} s: {status['recipients']}")
            time.sleep(0.5)


@pytest.fixture
def home(tmp_path, sandbox):
    h = Home(tmp_path / "home", sandbox)
    h.login()
    return h


# MARK: - Independent readings


def journal(sandbox) -> list[dict]:
    """The simulator's journal (DIR/journal.ndjson): one line per submission and per delivered message.
    Other tests write to it at the same time; a line still being written is skipped."""
    events = []
    for line in (sandbox["dir"] / "journal.ndjson").read_text().splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return events


def maildir_bytes(path: str) -> bytes:
    """A message the simulator wrote into new/; once Dovecot has seen it, it lives in cur/ as NAME:2,FLAGS
    (renamed, never rewritten)."""
    p = Path(path)
    if p.exists():
        return p.read_bytes()
    moved = sorted((p.parent.parent / "cur").glob(p.name + "*"))
    assert len(moved) == 1, f"the simulator's file {p.name} is neither in new/ nor in cur/ (expunged?)"
    return moved[0].read_bytes()


def submission(sandbox, message_id: str) -> tuple[dict, list[dict]]:
    """The journal's `submitted` event for this Message-ID, and the messages delivered for it."""
    events = journal(sandbox)
    submitted = [e for e in events if e["event"] == "submitted" and e.get("msgid") == message_id]
    assert len(submitted) == 1, f"the simulator received {message_id} {len(submitted)} times"
    ident = submitted[0]["identificativo"]
    return submitted[0], [e for e in events if e["event"] == "delivered" and e.get("identificativo") == ident]


def header_fields(raw: bytes) -> tuple[list[bytes], bytes]:
    """The header fields (each with its folded continuation lines, as raw bytes) and the body."""
    head, sep, body = raw.partition(CRLF + CRLF)
    assert sep, "no end of header"
    return re.split(rb"\r\n(?![ \t])", head), body


def field_value(fields: list[bytes], name: bytes) -> bytes:
    values = [f.split(b":", 1)[1].strip() for f in fields if f.split(b":", 1)[0].strip().lower() == name.lower()]
    assert len(values) == 1, f"{name!r} appears {len(values)} times"
    return values[0]


def postacert_bytes(envelope: bytes) -> bytes:
    """The exact bytes of postacert.eml inside a busta di trasporto (or receipt), cut from the raw message:
    re-serializing with the email package would not be byte-exact. The simulator writes each part of the
    signed multipart/mixed as `--B CRLF part CRLF`."""
    signed_entity = email.message_from_bytes(envelope, policy=email.policy.compat32).get_payload()[0]
    delimiter = b"--" + signed_entity.get_boundary().encode()
    found = []
    for segment in envelope.split(delimiter):
        head = segment.partition(CRLF + CRLF)[0]
        if b'filename="postacert.eml"' in head and b"message/rfc822" in head:
            assert segment.startswith(CRLF) and segment.endswith(CRLF)
            found.append(segment[2:-2].partition(CRLF + CRLF)[2])
    assert len(found) == 1, "no postacert.eml part"
    return found[0]


# The access point rewrites exactly these fields of the submitted message into postacert.eml
# (pecsim/messages.py postacert(), as Aruba does): Message-ID becomes the identificativo, the client's
# Message-ID moves to X-Riferimento-Message-ID, X-TipoRicevuta is restated; all three go last.
REWRITTEN = re.compile(rb"(?i)(message-id|x-riferimento-message-id|x-tiporicevuta)\s*:")


def assert_is_what_the_gestore_received(sent: bytes, postacert: bytes, identificativo: str, receipt_type: str):
    """01-messaggio-inviato.eml against the simulator's copy of what arrived in DATA. The simulator keeps
    those bytes only inside postacert.eml, with the three fields above rewritten; so: the body is
    compared byte for byte, every other header field byte for byte and in order, and the three
    rewritten fields against the values the rewriting must have produced from the sent ones. (Where
    those three stood among the other fields is the one thing the simulator does not keep.)"""
    # The simulator normalizes bare LF to CRLF before keeping anything; the sent file must already be
    # pure CRLF (as SMTP DATA is), so that normalization changed nothing and the comparison is exact.
    assert re.search(rb"(?<!\r)\n|\r(?!\n)", sent) is None, "01-messaggio-inviato.eml has a bare CR or LF"
    sent_fields, sent_body = header_fields(sent)
    got_fields, got_body = header_fields(postacert)
    assert got_body == sent_body, "the body the gestore received differs from 01-messaggio-inviato.eml"
    assert got_fields[:-3] == [f for f in sent_fields if not REWRITTEN.match(f)], \
        "the header fields the gestore received differ from 01-messaggio-inviato.eml"
    assert field_value(sent_fields, b"X-TipoRicevuta") == receipt_type.encode()
    assert got_fields[-3:] == [
        f"Message-ID: <{identificativo}>".encode(),
        b"X-Riferimento-Message-ID: " + field_value(sent_fields, b"Message-ID"),
        f"X-TipoRicevuta: {receipt_type}".encode(),
    ]


def daticert(receipt: bytes) -> ET.Element:
    """daticert.xml of a receipt: the gestore's own part, never one inside postacert.eml."""
    stack, found = [email.message_from_bytes(receipt, policy=email.policy.compat32)], []
    while stack:
        part = stack.pop()
        if part.get_filename() == "daticert.xml":
            found.append(ET.fromstring(part.get_payload(decode=True)))
        elif part.is_multipart() and part.get_content_type() != "message/rfc822":
            stack.extend(part.get_payload())
    assert len(found) == 1, f"{len(found)} daticert.xml parts"
    return found[0]


def openssl_verify(path: Path, ca_file: str) -> subprocess.CompletedProcess:
    # Stricter than `-purpose any`: the default S/MIME-signing purpose also requires the signer's
    # emailProtection key usage, which the sandbox's gestore certificate has; its intermediate
    # (PEC Sandbox CA1) travels inside smime.p7s, so the root in ca.pem is all -CAfile needs.
    return subprocess.run(["openssl", "smime", "-verify", "-in", str(path), "-CAfile", ca_file, "-out", os.devnull],
                          capture_output=True, text=True, timeout=60)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# MARK: - The shared checks of one dossier


def make_dossiers(home, tmp_path, message_id) -> dict:
    """`pec evidence` into a directory and into a zip (extracted with zipfile); both must succeed."""
    ca = home.sandbox["PEC_SANDBOX_CA_FILE"]
    out_dir, out_zip = tmp_path / "dossier", tmp_path / "dossier.zip"
    home.pec("evidence", message_id, "--out", str(out_dir), "--ca-file", ca)
    home.pec("evidence", message_id, "--out", str(out_zip), "--ca-file", ca)
    assert out_dir.is_dir() and zipfile.is_zipfile(out_zip)
    unzipped = tmp_path / "unzipped"
    with zipfile.ZipFile(out_zip) as z:
        # Flat: the files are at the top, as in the directory form.
        assert all("/" not in name for name in z.namelist()), z.namelist()
        z.extractall(unzipped)
    return {"dir": out_dir, "zip": out_zip, "unzipped": unzipped}


def check_dossier(sandbox, dossier: Path, message_id: str, expected_receipt_files: list[str]) -> dict:
    """What holds for any dossier of a sent PEC; returns report.json."""
    files = sorted(p.name for p in dossier.iterdir())
    assert files == sorted(["01-messaggio-inviato.eml", *expected_receipt_files,
                            "report.json", "report.html", "SHA256SUMS"])

    # SHA256SUMS: coreutils checks it, and it covers every file but itself.
    run = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=dossier, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    checked = {line.rpartition(": ")[0] for line in run.stdout.splitlines() if line.endswith(": OK")}
    assert checked == set(files) - {"SHA256SUMS"}

    report = json.loads((dossier / "report.json").read_text())
    sent = (dossier / "01-messaggio-inviato.eml").read_bytes()
    message = report["message"]
    assert report["format"] == "pec-evidence-dossier" and report["direction"] == "sent"
    assert message["message_id"] == message_id
    assert email.message_from_bytes(sent, policy=email.policy.compat32)["Message-ID"].strip() == message_id
    assert (message["file"], message["size"], message["sha256"]) == ("01-messaggio-inviato.eml", len(sent), sha256(sent))

    # The identificativo is the one the simulator gave this submission.
    submitted, delivered = submission(sandbox, message_id)
    assert message["identificativo"] == submitted["identificativo"]

    # The sent file is what the gestore received: compared with postacert.eml in the busta di
    # trasporto the simulator delivered to anna.bianchi (the journal names the Maildir file).
    envelopes = [e for e in delivered if e["kind"] == "posta-certificata" and e["to"] == "anna.bianchi@pec.sandbox"]
    assert len(envelopes) == 1
    assert_is_what_the_gestore_received(sent, postacert_bytes(maildir_bytes(envelopes[0]["file"])),
                                        submitted["identificativo"], message["receipt_type"])

    # Each receipt: byte-identical to what the simulator delivered to the sender, signed by the
    # gestore (openssl), about this message (daticert msgid), and described truly in report.json.
    by_file = {r["file"]: r for r in report["receipts"]}
    assert sorted(by_file) == sorted(expected_receipt_files)
    from_gestore = {}
    for e in delivered:
        if e["to"] == submitted["auth_user"]:
            data = maildir_bytes(e["file"])
            from_gestore[sha256(data)] = (e["kind"], data)
    for name in expected_receipt_files:
        raw = (dossier / name).read_bytes()
        entry = by_file[name]
        assert sha256(raw) in from_gestore, f"{name} is not a message the gestore delivered for this submission"
        kind, _ = from_gestore[sha256(raw)]
        assert entry["pec_type"] == kind
        assert (entry["size"], entry["sha256"]) == (len(raw), sha256(raw))
        assert entry["signature"]["status"] == "valid" and entry["chain"], name
        verify = openssl_verify(dossier / name, sandbox["PEC_SANDBOX_CA_FILE"])
        assert verify.returncode == 0, f"{name}: {verify.stderr}"
        xml = daticert(raw)
        assert xml.get("tipo") == kind
        assert xml.findtext("dati/msgid") == message_id, name
        assert xml.findtext("dati/identificativo") == submitted["identificativo"], name
        if entry.get("recipient"):
            assert xml.findtext("dati/consegna") == entry["recipient"], name
    return report


def check_verify(home, path: Path):
    """`pec evidence verify` accepts the dossier, offline."""
    result = home.json("evidence", "verify", str(path), "--ca-file", home.sandbox["PEC_SANDBOX_CA_FILE"])
    assert result["valid"] is True and result["complete"] is True, result


def attachment(tmp_path, name: str) -> tuple[Path, bytes]:
    data = b"%PDF-1.4\n% atto di prova\n" + os.urandom(48) + b"\n%%EOF\n"  # binary: goes base64
    path = tmp_path / name
    path.write_bytes(data)
    return path, data


# MARK: - Tests


def test_dossier_of_a_completa_send_to_a_known_and_an_unknown_recipient(home, tmp_path, sandbox):
    token = uuid.uuid4().hex[:10]
    unknown = f"nessuno.{token}@pec.sandbox"  # a local address with no mailbox: avviso di mancata consegna
    atto, atto_bytes = attachment(tmp_path, "atto.pdf")
    sent = home.json("send", "--to", "anna.bianchi@pec.sandbox", "--to", unknown,
                     "--subject", f"Notifica di prova {token}", "--body", "Si trasmette l'atto in allegato. Perché sì.",
                     "--attach", str(atto), "--receipt", "completa", "--yes")
    message_id = sent["message_id"]
    status = home.wait_for_receipts(message_id)
    assert {r["address"]: r["status"] for r in status["recipients"]} == \
        {"anna.bianchi@pec.sandbox": "delivered", unknown: "failed"}

    dossiers = make_dossiers(home, tmp_path, message_id)
    # Numbered by the gestore's time: the acceptance first, then the receipts in the order the
    # simulator sent them (anna's delivery before the refusal, as the envelope recipients go).
    receipts = ["02-ricevuta-accettazione.eml",
                "03-ricevuta-consegna-anna.bianchi@pec.sandbox.eml",
                f"04-avviso-mancata-consegna-{unknown}.eml"]
    reports = {}
    for form in ("dir", "unzipped"):
        report = reports[form] = check_dossier(sandbox, dossiers[form], message_id, receipts)
        assert report["complete"] is True
        assert report["warnings"] == []
        assert report["message"]["receipt_type"] == "completa"
        assert report["message"]["to"] == ["anna.bianchi@pec.sandbox", unknown]
        assert report["message"]["attachments"] == [{"filename": "atto.pdf", "size": len(atto_bytes),
                                                     "sha256": sha256(atto_bytes)}]
        recipients = {r["address"]: r for r in report["recipients"]}
        assert set(recipients) == {"anna.bianchi@pec.sandbox", unknown}
        assert recipients["anna.bianchi@pec.sandbox"]["status"] == "delivered"
        assert recipients["anna.bianchi@pec.sandbox"]["proof"] == receipts[1]
        assert recipients[unknown]["status"] == "failed"
        assert recipients[unknown]["errore"] == "no-dest"
        assert recipients[unknown]["proof"] == receipts[2]
        failure = daticert((dossiers[form] / receipts[2]).read_bytes())
        assert failure.get("errore") == "no-dest"
        assert recipients[unknown]["errore_esteso"] == failure.findtext("dati/errore-esteso")
        by_file = {r["file"]: r for r in report["receipts"]}
        assert by_file[receipts[1]]["receipt_type"] == "completa"
        assert (by_file[receipts[2]]["recipient"], by_file[receipts[2]]["errore"]) == (unknown, "no-dest")

    # The two runs hold the same evidence (only the report's generated_at may differ).
    for name in ["01-messaggio-inviato.eml", *receipts]:
        assert (dossiers["dir"] / name).read_bytes() == (dossiers["unzipped"] / name).read_bytes(), name

    for form in ("dir", "zip"):
        check_verify(home, dossiers[form])

    # And verify is not a rubber stamp: one byte changed in a receipt is caught, by name.
    tampered = tmp_path / "tampered"
    shutil.copytree(dossiers["dir"], tampered)
    target = tampered / receipts[1]
    data = bytearray(target.read_bytes())
    data[data.index(b"avvenuta consegna")] ^= 0x20  # 'a' -> 'A' inside the signed text
    target.write_bytes(bytes(data))
    run = home.pec("evidence", "verify", str(tampered), "--ca-file", sandbox["PEC_SANDBOX_CA_FILE"], check=False)
    assert run.returncode == 1, run.stdout + run.stderr
    assert receipts[1] in run.stdout + run.stderr and "altered" in run.stdout + run.stderr


def test_dossier_of_a_breve_send_warns_that_notifications_need_completa(home, tmp_path, sandbox):
    token = uuid.uuid4().hex[:10]
    atto, _ = attachment(tmp_path, "relata.pdf")
    sent = home.json("send", "--to", "anna.bianchi@pec.sandbox", "--subject", f"Breve di prova {token}",
                     "--body", "Allegato.", "--attach", str(atto), "--receipt", "breve", "--yes")
    message_id = sent["message_id"]
    home.wait_for_receipts(message_id)

    dossiers = make_dossiers(home, tmp_path, message_id)
    delivery = "03-ricevuta-consegna-anna.bianchi@pec.sandbox.eml"
    for form in ("dir", "unzipped"):
        report = check_dossier(sandbox, dossiers[form], message_id, ["02-ricevuta-accettazione.eml", delivery])
        assert report["message"]["receipt_type"] == "breve"
        entry = next(r for r in report["receipts"] if r["file"] == delivery)
        assert entry["receipt_type"] == "breve"
        assert daticert((dossiers[form] / delivery).read_bytes()).find("dati/ricevuta").get("tipo") == "breve"
        # A breve receipt is still a full proof of delivery, but not what L. 53/1994 notifications need.
        assert report["complete"] is True
        warnings = [json.dumps(w, ensure_ascii=False) for w in report["warnings"]]
        assert any("completa" in w and "53/1994" in w for w in warnings), report["warnings"]
    for form in ("dir", "zip"):
        check_verify(home, dossiers[form])
