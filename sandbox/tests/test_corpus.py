"""Self-test of the seeded corpus (pecsim/corpus.py, `sandbox.sh seed`): what Dovecot serves over real
IMAPS agrees with the manifest DIR/corpus/<user>.json that the Swift tests take as the truth."""

import base64
import email
import email.policy
import imaplib
import json
import re
import ssl
import subprocess
import uuid
from datetime import datetime
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

import pytest

from pec_record import openssl_verify, profile, record

SANDBOX_SH = Path(__file__).resolve().parents[1] / "sandbox.sh"
RAW_UTF8_FILENAME = "verbale-però-€.pdf".encode()
RAW_UTF8_SUBJECT = "Verbale riunione — però è già fatto ✓".encode()
EXTRA_FOLDERS = ["Fatture 2026", "Ricevute già lette", "Archivio/2025"]


# --- helpers, written independently of pecsim.corpus -------------------------------------------

def mutf7_decode(name: bytes) -> str:
    out, i = [], 0
    text = name.decode("ascii")
    while i < len(text):
        if text[i] == "&":
            end = text.index("-", i)
            chunk = text[i + 1:end]
            if chunk:
                chunk = chunk.replace(",", "/")
                out.append(base64.b64decode(chunk + "=" * (-len(chunk) % 4)).decode("utf-16-be"))
            else:
                out.append("&")
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def mutf7_encode(name: str) -> str:
    out, run = [], ""
    for ch in name + "\0":
        if 0x20 <= ord(ch) <= 0x7E or ch == "\0":
            if run:
                out.append("&" + base64.b64encode(run.encode("utf-16-be")).decode().rstrip("=").replace("/", ",") + "-")
                run = ""
            if ch != "\0":
                out.append("&-" if ch == "&" else ch)
        else:
            run += ch
    return "".join(out)


def quoted(folder: str) -> str:
    return '"' + mutf7_encode(folder) + '"'


def raw_response(data) -> bytes:
    """imaplib's FETCH answer put back together as on the wire (literals after their {n})."""
    out = b""
    for item in data:
        out += (item[0] + b"\r\n" + item[1]) if isinstance(item, tuple) else item
    return out


def has_attachments(raw: bytes) -> tuple[bool, list]:
    """docs/sandbox.md's definition: a non-multipart part, not inside a message/rfc822, with disposition
    attachment or a filename or a name parameter, that is not an S/MIME signature."""
    names = []
    stack = [email.message_from_bytes(raw, policy=email.policy.default)]  # it reads raw UTF-8 parameters
    while stack:
        part = stack.pop(0)
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            stack[0:0] = part.get_payload()
            continue
        if part.get_content_type() in ("application/pkcs7-signature", "application/x-pkcs7-signature"):
            continue
        disposition = (part.get_content_disposition() or "").lower()
        name = part.get_filename() or part.get_param("name")
        if disposition == "attachment" or name:
            names.append(text(name) if name else "")
    return bool(names), names


def text(value: str) -> str:
    """A header value as a str: raw 8-bit UTF-8 (surrogate-escaped by the email package) or RFC 2047."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        return value.encode("ascii", "surrogateescape").decode("utf-8")
    return str(make_header(decode_header(value)))


def decoded(value: str) -> str:
    return re.sub(r"\s*\r?\n\s+", " ", str(make_header(decode_header(value)))) if value is not None else None


@pytest.fixture(scope="module")
def imap(sandbox):
    def connect(user):
        context = ssl.create_default_context(cafile=sandbox["ca_file"])
        client = imaplib.IMAP4_SSL(sandbox["host"], sandbox["imaps_port"], ssl_context=context, timeout=30)
        client.login(f"{user}@pec.sandbox", sandbox["password"])
        return client
    return connect


def manifest(sandbox, user):
    corpus_dir = Path(sandbox.get("corpus_dir") or sandbox["dir"] / "corpus")
    return json.loads((corpus_dir / f"{user}.json").read_text())


def seed(sandbox, *args) -> Path:
    result = subprocess.run([str(SANDBOX_SH), "seed", str(sandbox["dir"]), *args], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def fetch_all(client, folder):
    """uid -> (FLAGS/INTERNALDATE/SIZE line, full raw message)."""
    client.select(quoted(folder), readonly=True)
    _, data = client.uid("FETCH", "1:*", "(FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])")
    out = {}
    for item in data:
        if isinstance(item, tuple):
            uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
            out[uid] = (item[0], item[1])
    return out


# --- archivio: what Dovecot serves is what the manifest says --------------------------------------

def test_archivio_mailbox_matches_the_manifest(sandbox, imap):
    m = manifest(sandbox, "archivio")
    assert m["user"] == "archivio@pec.sandbox"
    client = imap("archivio")
    try:
        for folder, info in m["folders"].items():
            entries = [e for e in m["messages"] if e["folder"] == folder]
            typ, data = client.select(quoted(folder), readonly=True)
            assert typ == "OK" and int(data[0]) == info["count"] == len(entries), folder
            _, uids = client.uid("SEARCH", "ALL")
            assert [int(u) for u in uids[0].split()] == [e["uid"] for e in entries], folder
            _, unseen = client.uid("SEARCH", "UNSEEN")
            assert sorted(int(u) for u in unseen[0].split()) == [e["uid"] for e in entries if e["unread"]], folder
            served = fetch_all(client, folder)
            for e in entries:
                meta, raw = served[e["uid"]]
                msg = email.message_from_bytes(raw, policy=email.policy.compat32)
                where = (folder, e["uid"], e["special"] or e["kind"])
                assert msg["Message-ID"] == e["message_id"], where
                assert f"RFC822.SIZE {e['size']}".encode() in meta and len(raw) == e["size"], where
                assert (b"\\Seen" not in meta) is e["unread"], where
                assert (b"\\Flagged" in meta) is ("\\Flagged" in e["flags"]), where
                internal = re.search(rb'INTERNALDATE "([^"]+)"', meta).group(1).decode()
                served_internal = datetime.strptime(internal, "%d-%b-%Y %H:%M:%S %z")
                assert served_internal == datetime.fromisoformat(e["internaldate"].replace("Z", "+00:00")), where
                if e["special"] == "raw-utf8":
                    assert decoded(raw.split(b"\r\nSubject: ")[1].split(b"\r\n")[0].decode()) == e["subject"]
                else:
                    assert decoded(msg["Subject"]) == e["subject"], where
                assert [a.lower() for _, a in getaddresses([msg["From"]])][0] == e["from"], where
                date = msg["Date"]
                if e["date"] is None:
                    assert date is None or e["special"] == "garbled-date", where
                else:
                    assert parsedate_to_datetime(date).isoformat() == e["date"], where
                assert (msg["X-Ricevuta"] or msg["X-Trasporto"]) == e["pec_type"], where
                assert has_attachments(raw) == (e["has_attachments"], e["attachments"]), where
    finally:
        client.logout()


def test_the_special_members_are_there(sandbox, imap):
    m = manifest(sandbox, "archivio")
    inbox = [e for e in m["messages"] if e["folder"] == "INBOX"]
    specials = {e["special"]: e for e in inbox if e["special"]}
    assert sorted(specials) == ["garbled-date", "latin1-body", "no-date", "raw-utf8"]
    assert specials["no-date"]["date"] is None and specials["no-date"]["date_header"] is None
    assert specials["garbled-date"]["date"] is None and specials["garbled-date"]["date_header"]
    client = imap("archivio")
    try:
        client.select("INBOX", readonly=True)
        _, data = client.uid("FETCH", str(specials["no-date"]["uid"]), "(BODY.PEEK[HEADER])")
        assert not re.search(rb"(?im)^date:", data[0][1])
        _, data = client.uid("FETCH", str(specials["garbled-date"]["uid"]), "(BODY.PEEK[HEADER.FIELDS (DATE)])")
        assert specials["garbled-date"]["date_header"].encode() in data[0][1]
        _, data = client.uid("FETCH", str(specials["latin1-body"]["uid"]), "(BODYSTRUCTURE BODY.PEEK[TEXT])")
        wire = raw_response(data)
        assert b'("charset" "iso-8859-1")' in wire and b"\xe8 gi\xe0 stata pagata" in wire  # raw Latin-1
    finally:
        client.logout()


def test_raw_utf8_comes_back_as_literals_inside_envelope_and_bodystructure(sandbox, imap):
    m = manifest(sandbox, "archivio")
    e = next(e for e in m["messages"] if e["special"] == "raw-utf8")
    assert e["attachments"] == [RAW_UTF8_FILENAME.decode()] and e["subject"] == RAW_UTF8_SUBJECT.decode()
    client = imap("archivio")
    try:
        client.select("INBOX", readonly=True)
        _, data = client.uid("FETCH", str(e["uid"]), "(ENVELOPE BODYSTRUCTURE)")
    finally:
        client.logout()
    wire = raw_response(data)
    n = len(RAW_UTF8_FILENAME)
    assert b'("name" {%d}\r\n%s)' % (n, RAW_UTF8_FILENAME) in wire, wire
    assert b'("attachment" ("filename" {%d}\r\n%s))' % (n, RAW_UTF8_FILENAME) in wire, wire
    envelope = wire[wire.index(b"ENVELOPE"):wire.index(b"BODYSTRUCTURE")]
    assert b"{%d}\r\n%s" % (len(RAW_UTF8_SUBJECT), RAW_UTF8_SUBJECT) in envelope


def test_search_with_spaces_and_accented_letters(sandbox, imap):
    m = manifest(sandbox, "archivio")
    inbox = [e for e in m["messages"] if e["folder"] == "INBOX"]
    client = imap("archivio")
    try:
        client.select("INBOX", readonly=True)
        for needle in ("però", "già pagata", "Fattura n."):
            expected = [e["uid"] for e in inbox if needle.lower() in e["subject"].lower()]
            client.literal = needle.encode()
            typ, data = client.uid("SEARCH", "CHARSET", "UTF-8", "SUBJECT")
            assert typ == "OK"
            assert sorted(int(u) for u in data[0].split()) == expected, needle
        assert any("però" in e["subject"] and e["special"] is None for e in inbox), "an RFC 2047 'però' subject"
    finally:
        client.logout()


def test_folder_names_round_trip(sandbox, imap):
    m = manifest(sandbox, "archivio")
    maildir = Path(m["maildir"])
    assert (maildir / ".Ricevute gi&AOA- lette" / "cur").is_dir()
    assert (maildir / ".Fatture 2026" / "cur").is_dir() and (maildir / ".Archivio.2025" / "cur").is_dir()
    client = imap("archivio")
    try:
        _, listed = client.list('""', "*")
        names = {}
        for line in listed:
            match = re.match(rb'\(([^)]*)\) "/" (.+)$', line)
            names[mutf7_decode(match.group(2).strip(b'"'))] = match.group(1)
        for folder in EXTRA_FOLDERS + ["INBOX", "Sent", "Trash"]:
            assert folder in names, (folder, listed)
        assert b"\\Noselect" in names["Archivio"]  # the parent of Archivio/2025 exists only as a level
        _, lsub = client.lsub('""', "*")
        assert {mutf7_decode(re.match(rb'\([^)]*\) "/" (.+)$', l).group(1).strip(b'"')) for l in lsub} \
            >= set(EXTRA_FOLDERS)
        for folder in EXTRA_FOLDERS:
            typ, data = client.select(quoted(folder), readonly=True)
            assert typ == "OK" and int(data[0]) == m["folders"][folder]["count"] > 0, folder
    finally:
        client.logout()


def test_pec_members_carry_their_headers_and_verify(sandbox, imap, fixtures_dir, tmp_path):
    m = manifest(sandbox, "archivio")
    real = {}
    for line in (fixtures_dir / "expected.ndjson").read_text().splitlines():
        rec = json.loads(line)
        if rec.get("daticert"):
            real.setdefault(rec.get("x_ricevuta") or rec.get("x_trasporto"), []).append(profile(rec))
    pec = [e for e in m["messages"] if e["pec_type"]]
    assert {e["pec_type"] for e in pec} == {"accettazione", "avvenuta-consegna", "errore-consegna", "posta-certificata"}
    client = imap("archivio")
    verified = set()
    try:
        for folder in m["folders"]:
            entries = [e for e in pec if e["folder"] == folder]
            if not entries:
                continue
            client.select(quoted(folder), readonly=True)
            uids = ",".join(str(e["uid"]) for e in entries)
            _, data = client.uid("FETCH", uids, "(BODY.PEEK[HEADER.FIELDS (X-RICEVUTA X-TRASPORTO "
                                                "X-RIFERIMENTO-MESSAGE-ID X-TIPORICEVUTA)])")
            headers = {int(re.search(rb"UID (\d+)", i[0]).group(1)): email.message_from_bytes(i[1])
                       for i in data if isinstance(i, tuple)}
            for e in entries:
                h = headers[e["uid"]]
                header = "X-Trasporto" if e["pec_type"] == "posta-certificata" else "X-Ricevuta"
                assert h[header] == e["pec_type"], (folder, e["uid"])
                assert h["X-Riferimento-Message-ID"] == e["x_riferimento_message_id"]
                assert h["X-TipoRicevuta"] == e["receipt_type"]
                key = (e["pec_type"], e["receipt_type"])
                if key not in verified:  # one of each: really signed, and shaped like the real ones
                    _, body = client.uid("FETCH", str(e["uid"]), "(BODY.PEEK[])")
                    path = tmp_path / f"{uuid.uuid4().hex}.eml"
                    path.write_bytes(body[0][1])
                    assert openssl_verify(path, "-CAfile", sandbox["ca_file"]), key
                    rec = record(body[0][1])
                    if e["receipt_type"] in (None, "completa"):  # no real breve/sintetica fixture
                        assert profile(rec) in real[e["pec_type"]], key
                    assert rec["daticert"]["msgid"] == e["x_riferimento_message_id"]
                    verified.add(key)
    finally:
        client.logout()


# --- bench: reseeding ----------------------------------------------------------------------------

def test_reseeding_bench_with_100_then_1000(sandbox, imap):
    validities = []
    for count in (100, 1000):
        path = seed(sandbox, "bench", str(count))
        m = json.loads(path.read_text())
        inbox = [e for e in m["messages"] if e["folder"] == "INBOX"]
        assert len(inbox) == count and m["folders"]["INBOX"]["count"] == count
        client = imap("bench")  # a new session: one open during the reseed keeps its old view
        try:
            typ, data = client.select("INBOX", readonly=True)
            assert typ == "OK" and int(data[0]) == count
            validities.append(client.response("UIDVALIDITY")[1][0])
            last = inbox[-1]
            _, fetched = client.uid("FETCH", str(last["uid"]), "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            assert last["message_id"].encode() in fetched[0][1]
            assert sorted(e["special"] for e in inbox if e["special"]) == \
                ["garbled-date", "latin1-body", "no-date", "raw-utf8"]
        finally:
            client.logout()
    assert validities[0] != validities[1], "a reseeded folder gets a new UIDVALIDITY"


def test_seeding_a_new_folder_with_spaces_and_accents(sandbox, imap):
    folder = "Cartella di prova è"
    path = seed(sandbox, "bench", "6", "--folder", folder)
    m = json.loads(path.read_text())
    assert m["folders"][folder]["count"] == 6 and "INBOX" in m["folders"]
    client = imap("bench")
    try:
        _, listed = client.list('""', "*")
        assert any(mutf7_decode(re.match(rb'\([^)]*\) "/" (.+)$', l).group(1).strip(b'"')) == folder for l in listed)
        typ, data = client.select(quoted(folder), readonly=True)
        assert typ == "OK" and int(data[0]) == 6
    finally:
        client.logout()
