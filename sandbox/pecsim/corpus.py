"""A deterministic corpus of messages written straight into a sandbox user's Maildir, with a manifest.

    python -m pecsim.corpus --dir SANDBOX_DIR --user USER --count N
                            [--folder NAME] [--layout] [--reset] [--seed S] [--manifest PATH]

Every message is built here and its manifest entry comes from the very values used to build it (never
from parsing it back). The mix is a function of (seed, folder, count) only:

  - ordinary mails (~half): some with attachments, subjects with spaces, some with Italian accented
    letters (always RFC 2047 encoded, utf-8 B/Q or iso-8859-1 Q), dates in several time zones;
  - PEC messages signed with the sandbox's gestore key by messages.py's own builders: ricevute di
    accettazione, di avvenuta consegna (completa/breve/sintetica), avvisi di mancata consegna and
    buste di trasporto (postacert.eml with an attachment inside);
  - always exactly four special members, among the 20 newest messages of the folder:
      raw-utf8      Subject, From display name and attachment filename in raw 8-bit UTF-8 (Dovecot
                    answers with {n} literals inside ENVELOPE and BODYSTRUCTURE)
      latin1-body   text/plain; charset=iso-8859-1, 8bit, raw Latin-1 bytes
      no-date       no Date header at all
      garbled-date  a Date header nobody can parse

Files go into cur/ (`:2,S` read, `:2,` unread, `F` for flagged), named
`<epoch>.M<index>P<seed>.corpus,S=<size>,W=<size>`, with mtime = the message's date, so Dovecot's
INTERNALDATE follows the date and, since Dovecot assigns UIDs to new files in filename-time order,
UID n is the n-th entry of the folder in the manifest (on a freshly seeded folder). Seeding a folder
replaces all of its messages and deletes its Dovecot index files (UIDs restart at 1 with a new
UIDVALIDITY); --reset first empties the whole mailbox; --layout also writes the extra folders.
Above SIGN_EACH_MAX messages, PEC messages reuse a few signed bodies (see docs/sandbox.md). When
run as root the files are chowned to the mailbox's uid/gid from DIR/users.

`has_attachments` (docs/sandbox.md): true when the message, looking at its MIME tree without
descending into message/rfc822 parts, has a non-multipart part that has Content-Disposition
`attachment`, or a `filename` disposition parameter, or a `name` Content-Type parameter, and that is
not an S/MIME signature (application/pkcs7-signature, application/x-pkcs7-signature: smime.p7s).
So daticert.xml and postacert.eml count, smime.p7s does not, a plain text body does not.
"""

import argparse
import base64
import datetime
import json
import os
import quopri
import random
import re
import shutil
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from email.charset import QP, Charset
from email.header import Header
from email.utils import format_datetime, formataddr
from pathlib import Path

from . import messages as m
from .pki import DOMAIN, GESTORE_ADDRESS

try:
    from zoneinfo import ZoneInfo
    ROME = ZoneInfo("Europe/Rome")
except Exception:  # no tz database
    ROME = datetime.timezone(datetime.timedelta(hours=1))
UTC = datetime.timezone.utc
NEW_YORK = datetime.timezone(datetime.timedelta(hours=-5))
CRLF = b"\r\n"
DEFAULT_SEED = 2026
# Above this many messages in a folder, PEC messages after the first TEMPLATES_PER_KIND of each kind
# reuse a signed body (signing is ~0.6 ms a message; 10 000 would take seconds more).
SIGN_EACH_MAX = 2000
TEMPLATES_PER_KIND = 8
SPECIALS = ("raw-utf8", "latin1-body", "no-date", "garbled-date")
RAW_UTF8_SUBJECT = "Verbale riunione — però è già fatto ✓"
RAW_UTF8_FILENAME = "verbale-però-€.pdf"
RAW_UTF8_FROM = ("Niccolò Ferrè", "niccolo.ferre@pec.esempio.it")
GARBLED_DATE = "ieri sera, 32 Foo 2026 25:61:99 +9999"

# The extra folders of the standard layout (sandbox.sh seeds archivio and casella with it):
# name -> (profile, count for archivio, count for casella, first day, last day)
LAYOUT = {
    "Fatture 2026": ("fatture", 8, 2, datetime.date(2026, 1, 10), datetime.date(2026, 10, 20)),
    "Ricevute già lette": ("ricevute", 8, 2, datetime.date(2026, 2, 1), datetime.date(2026, 10, 25)),
    "Archivio/2025": ("mixed", 6, 2, datetime.date(2025, 1, 15), datetime.date(2025, 12, 15)),
}
DEFAULT_SPAN = (datetime.date(2026, 3, 1), datetime.date(2026, 10, 31))

SENDERS = [
    ("Studio Bianchi & Associati", "studio.bianchi@pec.esempio.it"),
    ("Comune di Città Alta", "protocollo@pec.comune.cittaalta.it"),
    ("Agenzia delle Entrate - Direzione Provinciale", "dp.roma@pce.esempio.it"),
    ("Fornitore S.r.l.", "amministrazione@pec.fornitore.it"),
    (None, "info@pec.esempio.it"),
    ("Università degli Studi", "ateneo@pec.universita.esempio.it"),
    ("Condominio Via Roma 12", "amministratore@pec.condominio.esempio.it"),
    ("Tribunale di Esempio, Cancelleria", "cancelleria@pec.giustizia.esempio.it"),
]
ASCII_SUBJECTS = [
    "Fattura n. {n} del {d}", "Convocazione assemblea condominiale", "Richiesta documentazione pratica {n}",
    "Sollecito pagamento rata {n}", "Comunicazione esito istanza prot. {n}", "Notifica atto n. {n}/2026",
    "Preventivo lavori ufficio", "Contratto di locazione - rinnovo", "Invio certificato di regolare esecuzione",
    "Verbale di consegna lavori {n}", "Re: richiesta appuntamento", "Fwd: documenti per la pratica {n}",
    "Avviso di pagamento TARI {n}", "Trasmissione decreto ingiuntivo n. {n}",
]
ACCENTED_SUBJECTS = [
    "Fattura n. {n} però già pagata", "Perché la pratica {n} è sospesa?",
    "Attività di verifica: è necessario l'accesso", "Società Città di Castello — comunicazione n. {n}",
    "Più informazioni sulla sua richiesta n. {n}",
    "Avviso: l'università è chiusa il {d}", "Caffè e àncora: ordine n. {n}", "Pietà per la scadenza di lunedì",
]
FATTURE_SUBJECTS = ["Fattura n. {n} del {d}", "Fattura elettronica {n}/2026", "Nota di credito n. {n}",
                    "Fattura n. {n} però già pagata"]
ATTACHMENT_NAMES = ["fattura-{n}.pdf", "documento.pdf", "foto cantiere.jpg", "elenco fornitori.xlsx",
                    "ricevuta più recente.pdf", "verbale n. {n}.pdf"]
MIME_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg",
              "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass
class Entry:
    """One message of the manifest: what tests may assert on."""
    folder: str                     # the IMAP name, UTF-8, "/" as separator ("INBOX", "Archivio/2025")
    uid: int                        # its UID in a freshly seeded folder (1-based, manifest order)
    filename: str                   # the file in cur/ as written, with its :2,<flags> suffix
    path: str                       # that file relative to the user's Maildir
    message_id: str                 # the Message-ID header, with <>
    subject: str                    # decoded
    subject_header: str             # the Subject as written (RFC 2047 words kept; raw UTF-8 for raw-utf8)
    from_: str                      # the From addr-spec (JSON key "from")
    from_name: str | None           # the From display name, decoded
    to: list                        # To addr-specs
    date: str | None                # the Date header as ISO-8601 with its own offset; null when missing or garbled
    date_header: str | None         # the Date header as written; null when missing
    internaldate: str               # the file's mtime (= Dovecot's INTERNALDATE), ISO-8601 UTC
    kind: str                       # mail | accettazione | avvenuta-consegna | errore-consegna | posta-certificata
    special: str | None             # raw-utf8 | latin1-body | no-date | garbled-date | null
    pec_type: str | None            # the X-Ricevuta / X-Trasporto value
    receipt_type: str | None        # X-TipoRicevuta, when the message has one
    x_riferimento_message_id: str | None
    unread: bool
    flags: list                     # IMAP flags as stored: \\Seen, \\Flagged
    has_attachments: bool
    attachments: list               # names of the parts that make has_attachments true, in MIME order
    size: int                       # bytes of the file (= RFC822.SIZE: the file has CRLF line ends)
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        d = {("from" if k == "from_" else k): v for k, v in self.__dict__.items()}
        if not d["extra"]:
            d.pop("extra")
        return d


# --- names on disk ---------------------------------------------------------------------------------

def mutf7(name: str) -> str:
    """RFC 3501 modified UTF-7, as Dovecot 2.3 stores mailbox names on disk by default."""
    out, run = [], []

    def flush():
        if run:
            data = "".join(run).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            run.clear()
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def folder_dir(maildir: Path, folder: str) -> Path:
    """Maildir++: INBOX is the root; "A/B" is ".A.B" (modified UTF-7)."""
    if folder.upper() == "INBOX":
        return maildir
    if "." in folder or folder.startswith("/") or folder.endswith("/") or "//" in folder:
        raise ValueError(f"folder name {folder!r}: no '.', no empty hierarchy levels (Maildir++ uses '.')")
    return maildir / ("." + mutf7(folder).replace("/", "."))


# --- building messages -----------------------------------------------------------------------------

def encode_words(text: str, style: int) -> str:
    """RFC 2047 for non-ASCII text, rotating between utf-8 B, utf-8 Q and iso-8859-1 Q."""
    if text.isascii():
        return text
    charset = Charset("utf-8")
    if style % 3 == 1:
        charset.header_encoding = QP
    elif style % 3 == 2:
        try:
            text.encode("iso-8859-1")
            charset = Charset("iso-8859-1")  # Q
        except UnicodeEncodeError:
            pass
    return Header(text, charset, header_name="Subject").encode(linesep="\r\n")


def fake_file(name: str, n: int) -> bytes:
    ext = name.rsplit(".", 1)[-1]
    if ext == "pdf":
        body = f"%PDF-1.4\n% pec sandbox corpus {n}\n1 0 obj << /Type /Catalog >> endobj\n".encode()
        return body + bytes(range(256)) * (2 + n % 5) + b"\n%%EOF\n"
    return f"pec sandbox corpus {name} {n}\n".encode() * (20 + n % 30)


def attachment_part(name: str, data: bytes, style: int) -> bytes:
    """style 0: disposition attachment; 1: only a Content-Type name; 2: inline with a filename."""
    ctype = MIME_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")
    if name.isascii():
        ct_name, disp_name = f'name="{name}"', f'filename="{name}"'
    else:  # how most clients write it: RFC 2047 in name, RFC 2231 in filename
        ct_name = f'name="{encode_words(name, 0)}"'
        disp_name = f"filename*=utf-8''{urllib.parse.quote(name, safe='')}"
    head = [f"Content-Type: {ctype}; {ct_name}"]
    if style == 0:
        head.append(f"Content-Disposition: attachment; {disp_name}")
    elif style == 2:
        head.append(f"Content-Disposition: inline; {disp_name}")
    head.append("Content-Transfer-Encoding: base64")
    return CRLF.join(h.encode() for h in head) + CRLF + CRLF + m._base64_lines(data)


def text_part(text: str, charset: str = "utf-8") -> bytes:
    if charset == "utf-8":
        return (b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
                + m.to_crlf(quopri.encodestring(m.to_crlf(text.encode()))))
    return (f'Content-Type: text/plain; charset="{charset}"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'.encode()
            + m.to_crlf(text.encode(charset)))


def mixed(parts: list[bytes], boundary: str) -> bytes:
    out = b'Content-Type: multipart/mixed; boundary="' + boundary.encode() + b'"' + CRLF + CRLF
    out += b"This is a multi-part message in MIME format." + CRLF
    for part in parts:
        out += b"--" + boundary.encode() + CRLF + part + CRLF
    return out + b"--" + boundary.encode() + b"--" + CRLF


def headers_bytes(headers: list[tuple[str, str]], raw_utf8: bool = False) -> bytes:
    lines = [f"{k}: {v}" for k, v in headers]
    return CRLF.join(l.encode("utf-8") if raw_utf8 else l.encode("ascii") for l in lines) + CRLF


def set_header(raw: bytes, name: str, value: str) -> bytes:
    """Replace one header field (folded or not) in the message's own header, outside the signature."""
    head, sep, body = raw.partition(CRLF + CRLF)
    pattern = re.compile(rb"(?im)^" + re.escape(name.encode()) + rb":[^\r\n]*(?:\r\n[ \t][^\r\n]*)*(?=\r?\n|\Z)")
    head, n = pattern.subn(lambda _: f"{name}: {value}".encode(), head, count=1)
    assert n == 1, name
    return head + sep + body


@dataclass
class Plan:
    """What one slot of the corpus will be, drawn from the random generator."""
    index: int
    when: datetime.datetime
    kind: str
    special: str | None
    unread: bool
    flagged: bool


class Builder:
    def __init__(self, signer: m.Signer, user: str, seed: int, folder: str, templates: bool = False):
        self.signer, self.user, self.seed, self.folder = signer, user, seed, folder
        self.templates = {} if templates else None  # (kind, receipt type) -> signed messages to copy
        self.slug = re.sub(r"[^a-z0-9]+", "-", folder.lower().encode("ascii", "ignore").decode()).strip("-") or "x"

    def message_id(self, index: int, what: str) -> str:
        return f"<corpus.{self.seed}.{self.slug}.{index}.{what}@{DOMAIN}>"

    def subject(self, rng: random.Random, index: int, when: datetime.datetime, pool=None, accented_share=0.2):
        if pool is None:
            pool = ACCENTED_SUBJECTS if rng.random() < accented_share else ASCII_SUBJECTS
        text = rng.choice(pool).format(n=rng.randint(1, 999), d=f"{when:%d/%m/%Y}")
        return text, encode_words(text, index)

    def build(self, plan: Plan, rng: random.Random, profile: str) -> tuple[bytes, dict]:
        if plan.special:
            return getattr(self, "special_" + plan.special.replace("-", "_"))(plan)
        if plan.kind == "mail":
            return self.mail(plan, rng, profile)
        return self.pec(plan, rng, profile)

    # ordinary mail
    def mail(self, plan: Plan, rng: random.Random, profile: str):
        name, addr = rng.choice(SENDERS)
        zone = rng.choices([ROME, UTC, NEW_YORK], [8, 1, 1])[0]
        when = plan.when.astimezone(zone)
        pool = FATTURE_SUBJECTS if profile == "fatture" else None
        subject, subject_header = self.subject(rng, plan.index, when, pool)
        n_attach = 1 if profile == "fatture" else rng.choices([0, 1, 2], [6, 3, 1])[0]
        body = (f"Buongiorno,\n\nin riferimento a \"{subject}\", le scriviamo per conto di {name or addr}.\n"
                f"Messaggio {plan.index + 1} del corpus di prova.\n\nCordiali saluti\n")
        attachments = []
        if n_attach:
            parts = [text_part(body)]
            for k in range(n_attach):
                fname = rng.choice(ATTACHMENT_NAMES).format(n=rng.randint(1, 999))
                style = rng.choices([0, 1, 2], [6, 1, 1])[0]
                parts.append(attachment_part(fname, fake_file(fname, plan.index + k), style))
                attachments.append(fname)
            content = mixed(parts, f"----=_corpus_{self.seed}_{plan.index}")
        else:
            content = text_part(body)
        msgid = self.message_id(plan.index, "mail")
        headers = [("Return-Path", f"<{addr}>"), ("Date", format_datetime(when)),
                   ("From", formataddr((name, addr), charset="utf-8") if name else addr),
                   ("To", self.user), ("Subject", subject_header), ("Message-ID", msgid), ("MIME-Version", "1.0")]
        raw = headers_bytes(headers) + content
        return raw, dict(message_id=msgid, subject=subject, subject_header=subject_header, from_=addr, from_name=name,
                         to=[self.user], date=when.isoformat(), date_header=format_datetime(when), kind="mail",
                         pec_type=None, receipt_type=None, x_riferimento_message_id=None,
                         has_attachments=bool(attachments), attachments=attachments)

    # PEC messages, through messages.py
    def pec(self, plan: Plan, rng: random.Random, profile: str):
        kind = plan.kind
        counterpart = rng.choice([a for _, a in SENDERS])
        # the envelope and the acceptance carry the time of the PEC; a delivery comes a little later
        late = kind in (m.Kind.DELIVERY, m.Kind.DELIVERY_ERROR)
        sub_time = plan.when.astimezone(ROME) - datetime.timedelta(seconds=rng.randint(1, 5) if late else 0)
        subject, subject_raw = self.subject(rng, plan.index, sub_time,
                                            FATTURE_SUBJECTS if profile == "fatture" else None)
        outgoing = kind != m.Kind.TRANSPORT  # receipts are about what the user sent
        sender, recipient = (self.user, counterpart) if outgoing else (counterpart, self.user)
        client_id = self.message_id(plan.index, "orig")
        identificativo = (f"opec288.{sub_time:%Y%m%d%H%M%S}.{self.seed % 100000:05d}.{plan.index}.1."
                          f"{rng.randint(0, 999)}@{DOMAIN}")
        attach_name = f"allegato-{plan.index}.pdf"
        inner = headers_bytes([("Date", format_datetime(sub_time)), ("From", sender), ("To", recipient),
                               ("Subject", subject_raw), ("Message-ID", client_id), ("MIME-Version", "1.0")])
        inner += mixed([text_part(f"Buongiorno,\nsi trasmette in allegato il documento.\n{subject}\n"),
                        attachment_part(attach_name, fake_file(attach_name, plan.index), 0)],
                       f"----=_orig_{self.seed}_{plan.index}")
        receipt_type = None
        if kind in (m.Kind.DELIVERY, m.Kind.TRANSPORT):
            receipt_type = rng.choices(["completa", "breve", "sintetica"], [7, 2, 1])[0] \
                if kind == m.Kind.DELIVERY else "completa"
        when = plan.when.astimezone(ROME)
        msgid = f"<{identificativo}>" if kind == m.Kind.TRANSPORT else self.message_id(plan.index, kind)
        prefix = m.SUBJECT_PREFIX[kind]
        attachments = ["daticert.xml"]
        if kind == m.Kind.TRANSPORT or (kind == m.Kind.DELIVERY and receipt_type != "sintetica"):
            attachments.append("postacert.eml")
        from_name = f"Per conto di: {sender}" if kind == m.Kind.TRANSPORT else None
        facts = dict(message_id=msgid, subject=prefix + subject, subject_header=prefix + subject_raw,
                     from_=GESTORE_ADDRESS, from_name=from_name, to=[self.user], date=when.isoformat(),
                     date_header=format_datetime(when), kind=kind, pec_type=kind, receipt_type=receipt_type,
                     x_riferimento_message_id=client_id, has_attachments=True, attachments=attachments,
                     extra={"identificativo": identificativo, "pec_body": "own"})
        key = (kind, receipt_type)
        if self.templates is not None and len(self.templates.setdefault(key, [])) >= TEMPLATES_PER_KIND:
            # A copy of an already signed message of the same kind with this slot's outer header: the
            # signature still verifies (the header is outside it), daticert/postacert are the template's.
            raw = rng.choice(self.templates[key])
            raw = set_header(raw, "Subject", facts["subject_header"])
            raw = set_header(raw, "X-Riferimento-Message-ID", client_id)
            if kind == m.Kind.TRANSPORT:
                raw = set_header(raw, "From", f'"{from_name}" <{GESTORE_ADDRESS}>')
                raw = set_header(raw, "Reply-To", sender)
            raw = set_header(set_header(raw, "Date", facts["date_header"]), "Message-ID", msgid)
            facts["extra"]["pec_body"] = "template"
            return raw, facts
        sub = m.Submission(raw=inner, sender=sender, recipients=[(recipient, "certificato")], subject_raw=subject_raw,
                           subject=subject, reply_to=sender, message_id=client_id,
                           receipt_type=receipt_type or "completa", identificativo=identificativo, time=sub_time,
                           to_header=recipient)
        if kind == m.Kind.ACCEPTANCE:
            raw = m.acceptance(self.signer, sub)
        elif kind == m.Kind.DELIVERY:
            raw = m.delivery(self.signer, sub, recipient)
        elif kind == m.Kind.DELIVERY_ERROR:
            raw = m.delivery_error(self.signer, sub, recipient, "no-dest",
                                   f"5.1.1 - {m.GESTORE_NAME} - indirizzo non valido")
        else:
            raw = m.transport_envelope(self.signer, sub)
        # messages.py stamps receipts with "now" and a random id: the outer header is not signed, so
        # give them the corpus's own date and id (the envelope's Date is the submission time).
        raw = set_header(set_header(raw, "Date", facts["date_header"]), "Message-ID", msgid)
        if self.templates is not None:
            self.templates[key].append(raw)
        return raw, facts

    # the special members
    def _plain(self, plan, what, headers, content, subject, subject_header, from_, from_name, date, date_header,
               attachments=(), raw_utf8=False):
        msgid = self.message_id(plan.index, what)
        hs = [("Return-Path", f"<{from_}>")] + ([("Date", date_header)] if date_header is not None else [])
        hs += headers + [("To", self.user), ("Subject", subject_header), ("Message-ID", msgid), ("MIME-Version", "1.0")]
        raw = headers_bytes(hs, raw_utf8) + content
        return raw, dict(message_id=msgid, subject=subject, subject_header=subject_header, from_=from_,
                         from_name=from_name, to=[self.user], date=date, date_header=date_header, kind="mail",
                         pec_type=None, receipt_type=None, x_riferimento_message_id=None,
                         has_attachments=bool(attachments), attachments=list(attachments))

    def special_raw_utf8(self, plan):
        when = plan.when.astimezone(ROME)
        name, addr = RAW_UTF8_FROM
        pdf = fake_file(RAW_UTF8_FILENAME, plan.index)
        attach = (f'Content-Type: application/pdf; name="{RAW_UTF8_FILENAME}"\r\n'
                  f'Content-Disposition: attachment; filename="{RAW_UTF8_FILENAME}"\r\n'
                  "Content-Transfer-Encoding: base64\r\n\r\n").encode("utf-8") + m._base64_lines(pdf)
        body = (b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
                + "Buongiorno,\r\nin allegato il verbale: però è già fatto ✓\r\n".encode())
        content = mixed([body, attach], f"----=_corpus_{self.seed}_{plan.index}_utf8")
        return self._plain(plan, "raw-utf8", [("From", f'"{name}" <{addr}>')], content, RAW_UTF8_SUBJECT,
                           RAW_UTF8_SUBJECT, addr, name, when.isoformat(), format_datetime(when),
                           [RAW_UTF8_FILENAME], raw_utf8=True)

    def special_latin1_body(self, plan):
        when = plan.when.astimezone(ROME)
        text = "Comunicazione in Latin-1: perché"
        content = text_part("Gentile cliente,\nla fattura è già stata pagata: non è più dovuto nulla.\n"
                            "Cordiali saluti, Niccolò Ferrè\n", "iso-8859-1")
        return self._plain(plan, "latin1-body", [("From", "amministrazione@pec.fornitore.it")], content, text,
                           encode_words(text, 2), "amministrazione@pec.fornitore.it", None, when.isoformat(),
                           format_datetime(when))

    def special_no_date(self, plan):
        content = text_part("Questo messaggio non ha l'intestazione Date.\n")
        return self._plain(plan, "no-date", [("From", "info@pec.esempio.it")], content, "Messaggio senza data",
                           "Messaggio senza data", "info@pec.esempio.it", None, None, None)

    def special_garbled_date(self, plan):
        content = text_part("Questo messaggio ha un'intestazione Date illeggibile.\n")
        return self._plain(plan, "garbled-date", [("From", "info@pec.esempio.it")], content,
                           "Messaggio con data illeggibile", "Messaggio con data illeggibile", "info@pec.esempio.it",
                           None, None, GARBLED_DATE)


# --- the plan: deterministic from (seed, folder, count) ------------------------------------------

KIND_WEIGHTS = {
    "mixed": [("mail", 50), (m.Kind.ACCEPTANCE, 15), (m.Kind.DELIVERY, 15), (m.Kind.DELIVERY_ERROR, 5),
              (m.Kind.TRANSPORT, 15)],
    "fatture": [("mail", 60), (m.Kind.TRANSPORT, 40)],
    "ricevute": [(m.Kind.ACCEPTANCE, 40), (m.Kind.DELIVERY, 45), (m.Kind.DELIVERY_ERROR, 15)],
}


def plan(seed: int, folder: str, count: int, profile: str = "mixed", specials: bool = True,
         span=DEFAULT_SPAN, all_read: bool = False) -> tuple[random.Random, list[Plan]]:
    rng = random.Random(f"{seed}/{folder}/{count}/{profile}")
    start = datetime.datetime.combine(span[0], datetime.time(8, 0), ROME).timestamp()
    end = datetime.datetime.combine(span[1], datetime.time(19, 0), ROME).timestamp()
    seconds = set()
    while len(seconds) < count:
        seconds.add(int(rng.uniform(start, end)))
    times = sorted(seconds)
    kinds, weights = zip(*KIND_WEIGHTS[profile])
    special_at = {}
    if specials:
        if count < len(SPECIALS):
            raise ValueError(f"a corpus holds the {len(SPECIALS)} special members: count must be >= {len(SPECIALS)}")
        window = range(max(0, count - 20), count)
        special_at = dict(zip(rng.sample(list(window), len(SPECIALS)), SPECIALS))
    plans = []
    for i, t in enumerate(times):
        special = special_at.get(i)
        unread = False if all_read else (special == "raw-utf8" or (special is None and rng.random() < 0.3))
        plans.append(Plan(i, datetime.datetime.fromtimestamp(t, UTC), "mail" if special else
                          rng.choices(kinds, weights)[0], special, unread, rng.random() < 0.05))
    return rng, plans


# --- writing ---------------------------------------------------------------------------------------

def clear_folder(path: Path) -> None:
    """Remove a folder's messages and Dovecot's files about it (uidlist, index, cache). The
    dovecot-uidvalidity counter stays, so the next UIDVALIDITY differs from the last one."""
    for sub in ("cur", "new", "tmp"):
        d = path / sub
        if d.is_dir():
            for entry in os.scandir(d):
                os.unlink(entry.path)
    for entry in path.iterdir():
        if entry.name.startswith(("dovecot-uidlist", "dovecot.index")) and entry.is_file():
            entry.unlink()


def drop_list_index(maildir: Path) -> None:
    """The mailbox list index caches folder names and STATUS counts: let Dovecot rebuild it."""
    for entry in maildir.glob("dovecot.list.index*"):
        entry.unlink()


def subscribe(maildir: Path, folder: str, owner) -> None:
    path = maildir / "subscriptions"
    names = []
    if path.exists():
        lines = path.read_text().split("\n")
        names = [l for l in (lines[2:] if lines and lines[0].startswith("V\t") else lines) if l]
    name = mutf7(folder).replace("/", "\t")
    if name not in names:
        names.append(name)
    path.write_text("V\t2\n\n" + "".join(n + "\n" for n in names))
    chown(path, owner)


def chown(path: Path, owner) -> None:
    if owner is not None:
        os.chown(path, *owner)


def write_message(file: Path, raw: bytes, owner, mode: int = 0o644, exclusive: bool = False) -> None:
    """Writes one message file, owned by `owner` (uid, gid) when given: Dovecot reads it as that user.
    `exclusive` refuses to replace a file that is already there."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(file, flags, mode)
    try:
        os.write(fd, raw)
        if owner is not None:
            os.fchown(fd, *owner)
    finally:
        os.close(fd)


def write_folder(builder: Builder, maildir: Path, folder: str, count: int, owner, profile="mixed",
                 specials=True, span=DEFAULT_SPAN, all_read=False) -> list[Entry]:
    path = folder_dir(maildir, folder)
    for sub in ("", "cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
        chown(path / sub, owner)
    if path != maildir:
        (path / "maildirfolder").touch()
        chown(path / "maildirfolder", owner)
    clear_folder(path)
    rng, plans = plan(builder.seed, folder, count, profile, specials, span, all_read)
    rel = path.relative_to(maildir)
    entries = []
    for p in plans:
        raw, facts = builder.build(p, rng, profile)
        raw = m.to_crlf(raw)
        flags = "".join(f for f, on in (("F", p.flagged), ("S", not p.unread)) if on)
        epoch = int(p.when.timestamp())
        filename = f"{epoch}.M{p.index:06d}P{builder.seed}.corpus,S={len(raw)},W={len(raw)}:2,{flags}"
        file = path / "cur" / filename
        write_message(file, raw, owner)
        os.utime(file, (epoch, epoch))
        entries.append(Entry(folder=folder, uid=p.index + 1, filename=filename, path=str(rel / "cur" / filename),
                             internaldate=p.when.isoformat().replace("+00:00", "Z"), special=p.special,
                             unread=p.unread, flags=[f for f, on in (("\\Flagged", p.flagged), ("\\Seen", not p.unread))
                                                     if on],
                             size=len(raw), **facts))
    if path != maildir:
        subscribe(maildir, folder, owner)
    return entries


def load_user(sandbox_dir: Path, user: str):
    """(address, Maildir, (uid, gid) or None) from Dovecot's passwd-file DIR/users."""
    address = user if "@" in user else f"{user}@{DOMAIN}"
    for line in (sandbox_dir / "users").read_text().splitlines():
        fields = line.split(":")
        if fields and fields[0].lower() == address.lower():
            owner = (int(fields[2]), int(fields[3])) if os.geteuid() == 0 else None
            return address.lower(), Path(fields[5]) / "Maildir", owner
    raise SystemExit(f"corpus: no user {address} in {sandbox_dir / 'users'}")


def seed(sandbox_dir: Path, user: str, count: int, folder: str = "INBOX", layout: bool = False, reset: bool = False,
         seed_value: int = DEFAULT_SEED, manifest: Path | None = None) -> tuple[Path, dict]:
    address, maildir, owner = load_user(sandbox_dir, user)
    folder_dir(maildir, folder)  # refuse bad names and counts before touching anything
    if count < len(SPECIALS):
        raise ValueError(f"a corpus holds the {len(SPECIALS)} special members: count must be >= {len(SPECIALS)}")
    if reset and maildir.exists():
        shutil.rmtree(maildir)
    for sub in ("", "cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
        chown(maildir / sub, owner)
    signer = m.Signer(sandbox_dir / "gestore.pem", sandbox_dir / "gestore.key", [sandbox_dir / "ca1.pem"])
    manifest = manifest or sandbox_dir / "corpus" / f"{address.split('@')[0]}.json"
    previous = []
    if not reset and manifest.exists():
        previous = json.loads(manifest.read_text()).get("messages", [])

    started = time.monotonic()
    templates = count > SIGN_EACH_MAX
    written = {folder: write_folder(Builder(signer, address, seed_value, folder, templates), maildir, folder, count,
                                    owner)}
    if layout:
        small = address.split("@")[0] != "archivio"
        for name, (profile, big_n, small_n, first, last) in LAYOUT.items():
            if name == folder:
                continue
            written[name] = write_folder(Builder(signer, address, seed_value, name), maildir, name,
                                         small_n if small else big_n, owner, profile, specials=False,
                                         span=(first, last), all_read=profile == "ricevute")
    drop_list_index(maildir)
    elapsed = time.monotonic() - started

    kept = [e for e in previous if e["folder"] not in written]
    messages = kept + [e.to_json() for entries in written.values() for e in entries]
    folders = {}
    for e in messages:
        f = folders.setdefault(e["folder"], {"count": 0, "unread": 0,
                                             "maildir": str(folder_dir(maildir, e["folder"]))})
        f["count"] += 1
        f["unread"] += e["unread"]
    data = {
        "version": 1,
        "generator": "pecsim.corpus",
        "user": address,
        "password_env": "PEC_SANDBOX_PASSWORD",
        "seed": seed_value,
        "maildir": str(maildir),
        "separator": "/",
        "folders": folders,
        "messages": messages,
    }
    manifest.parent.mkdir(parents=True, exist_ok=True)
    tmp = manifest.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    tmp.replace(manifest)
    data["_seconds"] = elapsed
    return manifest, data


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pecsim.corpus",
                                     description="Write a deterministic corpus into a sandbox user's Maildir")
    parser.add_argument("--dir", required=True, type=Path, help="the sandbox directory (users, gestore key)")
    parser.add_argument("--user", required=True, help="mailbox: local part or address (archivio, bench@pec.sandbox)")
    parser.add_argument("--count", required=True, type=int, help=f"messages in the folder (>= {len(SPECIALS)})")
    parser.add_argument("--folder", default="INBOX", help='IMAP name, "/" for hierarchy (default INBOX)')
    parser.add_argument("--layout", action="store_true",
                        help="also (re)write the standard extra folders: " + ", ".join(LAYOUT))
    parser.add_argument("--reset", action="store_true", help="empty the whole mailbox (all folders, indexes) first")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--manifest", type=Path, help="default: DIR/corpus/<local part>.json")
    args = parser.parse_args(argv)
    try:
        path, data = seed(args.dir.resolve(), args.user, args.count, args.folder, args.layout, args.reset, args.seed,
                          args.manifest)
    except ValueError as error:
        parser.error(str(error))
    counts = ", ".join(f"{name}: {f['count']}" for name, f in data["folders"].items())
    print(f"corpus: {data['user']} seeded in {data['_seconds']:.2f} s ({counts}); manifest {path}", file=sys.stderr)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
