"""The SMTPS submission side of the simulated gestore.

Fault switches, chosen by a recipient's local part (`switch+rest@domain`):
    tempfail+…   RCPT answered 451 (temporary failure) the 1st, 3rd, 5th… time that address is given,
                 accepted the 2nd, 4th…: a retry succeeds (one counter per address, for the server's life)
    reject+…     RCPT answered 550 (permanent failure)
    drop+…       the connection is closed after DATA, with no reply (the message *was* accepted)
    slow+…       the envelope and the receipt for this recipient come --slow-seconds late
    noreceipt+…  nothing at all is produced for the submission: no acceptance, no delivery
A recipient `slow+mario.rossi@pec.sandbox` is delivered to mailbox mario.rossi@pec.sandbox.

The mailboxes aruba@ and legalmail@ follow those gestori's documented submission limits (rules.py).

--standard rem makes it a REM provider instead (rem.py; the same SMTP handling, checks and switches): the sender
gets SubmissionAcceptance (RA01), a ContentConsignment (RD01) per local recipient with a mailbox and a
ContentConsignmentFailure (RD21) per local recipient without one; each of those recipients gets a REM dispatch;
a formal error gives only a SubmissionRejection (RA02). Recipients outside pec.sandbox get nothing.
"""

import asyncio
import json
import logging
import os
import ssl
import time
from dataclasses import dataclass
from email.utils import getaddresses
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from . import messages as m
from . import rules
from .pki import DOMAIN

log = logging.getLogger("pecsim")
SWITCHES = ("tempfail", "reject", "drop", "slow", "noreceipt")


@dataclass
class Mailbox:
    address: str
    password: str
    home: Path
    uid: int
    gid: int


def load_users(path: Path) -> dict[str, Mailbox]:
    """Dovecot's passwd-file: user:{PLAIN}password:uid:gid:gecos:home:shell:extra"""
    users = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split(":")
        password = fields[1].removeprefix("{PLAIN}")
        users[fields[0].lower()] = Mailbox(fields[0].lower(), password, Path(fields[5]), int(fields[2]), int(fields[3]))
    return users


def split_switch(address: str) -> tuple[str | None, str]:
    """('slow', 'mario.rossi@pec.sandbox') for 'slow+mario.rossi@pec.sandbox'."""
    local, _, domain = address.lower().rpartition("@")
    switch, plus, rest = local.partition("+")
    if plus and switch in SWITCHES:
        return switch, f"{rest}@{domain}"
    return None, address.lower()


class Maildir:
    """Delivers like an MDA: write into tmp/, then rename into new/ (Maildir's atomic hand-over)."""

    def __init__(self, users: dict[str, Mailbox]):
        self.users = users
        self.sequence = 0

    def deliver(self, address: str, data: bytes) -> Path:
        box = self.users[address]
        maildir = box.home / "Maildir"
        for sub in ("tmp", "new", "cur"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
        self.sequence += 1
        name = f"{time.time_ns() // 1000}.P{os.getpid()}Q{self.sequence}.pecsim"
        tmp = maildir / "tmp" / name
        tmp.write_bytes(data)
        if os.geteuid() == 0:
            os.chown(tmp, box.uid, box.gid)
        final = maildir / "new" / name
        os.rename(tmp, final)
        return final


class Gestore:
    """Turns each accepted submission into the PEC messages a real gestore would produce."""

    def __init__(self, users, signer: m.Signer, slow_seconds: float, journal: Path, standard: str = "pec",
                 rem_signer=None):
        self.users = users
        self.standard = standard
        self.rem_signer = rem_signer
        self.maildir = Maildir(users)
        self.signer = signer
        self.slow_seconds = slow_seconds
        self.journal = journal
        self.tasks: set[asyncio.Task] = set()

    def record(self, **event) -> None:
        event["time"] = m.italian_now().isoformat()
        with self.journal.open("a") as f:
            f.write(json.dumps(event) + "\n")

    def deliver(self, address: str, kind: str, data: bytes, identificativo: str, **extra) -> None:
        path = self.maildir.deliver(address, data)
        log.info("delivered %s to %s (%s)", kind, address, path.name)
        self.record(event="delivered", kind=kind, to=address, identificativo=identificativo, file=str(path), **extra)

    def new_identificativo(self, now):
        if self.standard == "rem":
            from .rem import new_rems_id
            return new_rems_id()  # the REMS message id: the dispatch's Message-ID, evidence MessageIdentifier
        return m.new_identificativo(now)

    def later(self, delay: float, action) -> None:
        async def run():
            await asyncio.sleep(delay)
            try:
                action()
            except Exception:
                log.exception("delayed delivery failed")
        task = asyncio.get_running_loop().create_task(run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def process(self, auth_user: str, mail_from: str, rcpt_tos: list[str], raw: bytes) -> None:
        raw = m.to_crlf(raw)
        facts = m.parse_submission(raw)
        now = m.italian_now()
        message_id = facts["message_id"] or f"<pecsim.{now:%Y%m%d%H%M%S}.{os.getpid()}@{DOMAIN}>"
        header_recipients = facts["to"] + [a for a in facts["cc"] if a not in facts["to"]]
        sender = facts["from"][0] if facts["from"] else mail_from.lower()

        def certified(address):
            return "certificato" if address.rpartition("@")[2] == DOMAIN else "esterno"

        sub = m.Submission(
            raw=raw, sender=sender, recipients=[(a, certified(a)) for a in header_recipients],
            subject_raw=facts["subject_raw"], subject=m.decode_words(facts["subject_raw"]),
            reply_to=(facts["reply_to"] or [sender])[0], message_id=message_id,
            receipt_type=facts["receipt_type"], identificativo=self.new_identificativo(now), time=now,
            to_header=facts["to_header"], cc_header=facts["cc_header"],
        )
        envelope_rcpts = [a.lower() for a in rcpt_tos]
        self.record(event="submitted", identificativo=sub.identificativo, msgid=message_id, auth_user=auth_user,
                    mail_from=mail_from, rcpt_tos=envelope_rcpts)

        if any(split_switch(a)[0] == "noreceipt" for a in envelope_rcpts):
            log.info("noreceipt: %s swallowed", message_id)
            self.record(event="swallowed", identificativo=sub.identificativo, msgid=message_id)
            return

        # The formal checks of the access point (pec-standard.md §2); failing any -> non-accettazione.
        problems = []
        if mail_from.lower() != auth_user.lower():
            problems.append(f"il mittente {mail_from} non corrisponde all'utente autenticato {auth_user}")
        if not facts["from"]:
            problems.append("manca il campo From")
        elif facts["from"][0] != mail_from.lower():
            problems.append(f"il campo From ({facts['from'][0]}) non corrisponde al mittente {mail_from}")
        if not facts["to"]:
            problems.append("manca il campo To")
        if facts["bcc"] or set(envelope_rcpts) - set(header_recipients):
            problems.append("destinatari in copia nascosta (Bcc) non ammessi")
        if rules.profile(auth_user) == "aruba":
            problems += rules.aruba_problems(raw, len(envelope_rcpts))
        if self.standard == "rem":
            self.process_rem(sub, facts, auth_user, envelope_rcpts, problems)
            return
        if problems:
            if auth_user.lower() in self.users:
                reason = "; ".join(problems)
                self.deliver(auth_user.lower(), m.Kind.NON_ACCEPTANCE,
                             m.non_acceptance(self.signer, sub, auth_user.lower(), reason), sub.identificativo)
            return

        if sender in self.users:
            self.deliver(sender, m.Kind.ACCEPTANCE, m.acceptance(self.signer, sub), sub.identificativo)

        for address in envelope_rcpts:
            switch, mailbox = split_switch(address)
            if certified(mailbox) == "esterno":
                continue  # ordinary mail: relayed by plain SMTP in reality, no delivery receipt ever
            delay = self.slow_seconds if switch == "slow" else 0
            if mailbox in self.users:
                def hand_over(address=address, mailbox=mailbox):
                    self.deliver(mailbox, m.Kind.TRANSPORT, m.transport_envelope(self.signer, sub), sub.identificativo)
                    if sender in self.users:
                        self.deliver(sender, m.Kind.DELIVERY, m.delivery(self.signer, sub, address), sub.identificativo)
                action = hand_over
            else:
                def refuse(address=address):
                    if sender in self.users:
                        detail = f"5.1.1 - {m.GESTORE_NAME} - indirizzo non valido"
                        self.deliver(sender, m.Kind.DELIVERY_ERROR,
                                     m.delivery_error(self.signer, sub, address, "no-dest", detail), sub.identificativo)
                action = refuse
            if delay:
                self.later(delay, action)
            else:
                action()

    def process_rem(self, sub: m.Submission, facts: dict, auth_user: str, envelope_rcpts: list[str],
                    problems: list[str]) -> None:
        """REM mode: the same checks and switches, REM messages (rem.py) instead of PEC ones."""
        from . import rem
        signer = self.rem_signer
        local = [a for a, tipo in sub.recipients if tipo == "certificato"]
        registered = {a for a in local if split_switch(a)[1] in self.users}
        rs = rem.new_submission(sub, facts["from_header"], registered)
        self.record(event="rem-submission", identificativo=rs.message_id, msgid=sub.message_id, digest=rs.digest,
                    problems=problems)

        def deliver(address, event, data, evidence_id, recipient=None):
            self.deliver(address, event, data, rs.message_id, standard="rem", msgid=sub.message_id,
                         evidence_id=evidence_id, **({"recipient": recipient} if recipient else {}))

        if problems:
            if auth_user.lower() in self.users:
                evidence = signer.evidence(rs, rem.SUBMISSION_REJECTION)
                outcome = ("non è stato accettato dal sistema REM (Codice RA02): " + "; ".join(problems) + ".",
                           "was not accepted by the REM system (Code RA02): invalid message format.")
                deliver(auth_user.lower(), rem.SUBMISSION_REJECTION.name,
                        rem.receipt(signer, rs, rem.SUBMISSION_REJECTION, auth_user.lower(), evidence, outcome),
                        evidence[0])
            return

        acceptance = signer.evidence(rs, rem.SUBMISSION_ACCEPTANCE)
        if sub.sender in self.users:
            outcome = ("è stato accettato dal sistema REM (Codice RA01).", "was accepted by the REM system (Code RA01).")
            deliver(sub.sender, rem.SUBMISSION_ACCEPTANCE.name,
                    rem.receipt(signer, rs, rem.SUBMISSION_ACCEPTANCE, sub.sender, acceptance, outcome), acceptance[0])
        dispatch = None

        for address in envelope_rcpts:
            switch, mailbox = split_switch(address)
            if mailbox.rpartition("@")[2] != DOMAIN:
                continue  # another provider's or an ordinary address: relayed elsewhere in reality
            delay = self.slow_seconds if switch == "slow" else 0
            if mailbox in self.users:
                def hand_over(address=address, mailbox=mailbox):
                    nonlocal dispatch
                    if dispatch is None:
                        dispatch = rem.dispatch(signer, rs, acceptance)
                    deliver(mailbox, "Dispatch", dispatch, acceptance[0])
                    if sub.sender in self.users:
                        evidence = signer.evidence(rs, rem.CONTENT_CONSIGNMENT, address, with_recipient_identities=True)
                        outcome = (f"è stato consegnato nella mailbox del destinatario {address} (Codice RD01).",
                                   f"was consigned in the recipient's mailbox {address} (Code RD01).")
                        deliver(sub.sender, rem.CONTENT_CONSIGNMENT.name,
                                rem.receipt(signer, rs, rem.CONTENT_CONSIGNMENT, sub.sender, evidence, outcome),
                                evidence[0], address)
                action = hand_over
            else:
                def refuse(address=address):
                    if sub.sender in self.users:
                        evidence = signer.evidence(rs, rem.CONTENT_CONSIGNMENT_FAILURE, address,
                                                   with_recipient_identities=True)
                        outcome = (f"non è stato consegnato al destinatario {address}: destinatario non registrato "
                                   "presso il REM service provider (Codice RD21).",
                                   f"was not consigned to the recipient {address}: recipient not registered with "
                                   "the REM service provider (Code RD21).")
                        deliver(sub.sender, rem.CONTENT_CONSIGNMENT_FAILURE.name,
                                rem.receipt(signer, rs, rem.CONTENT_CONSIGNMENT_FAILURE, sub.sender, evidence,
                                            outcome), evidence[0], address)
                action = refuse
            if delay:
                self.later(delay, action)
            else:
                action()


class Handler:
    def __init__(self, gestore: Gestore):
        self.gestore = gestore
        # RCPTs seen per tempfail+ address (lowercased), across sessions: odd ones fail, even ones pass.
        self.tempfail_attempts: dict[str, int] = {}
        self.send_rate = rules.SendRate()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        switch, _ = split_switch(address)
        if switch == "tempfail":
            attempt = self.tempfail_attempts.get(address.lower(), 0) + 1
            self.tempfail_attempts[address.lower()] = attempt
            if attempt % 2 == 1:
                return "451 4.3.0 Temporary failure, try again later (sandbox tempfail+)"
        if switch == "reject":
            return "550 5.1.1 Recipient rejected (sandbox reject+)"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        auth_user = session.auth_data.login.decode() if session.auth_data else ""
        if rules.profile(auth_user) == "legalmail":
            if not self.send_rate.allows(auth_user):
                msgid = m.parse_submission(m.to_crlf(envelope.content))["message_id"]
                self.gestore.record(event="refused", reason="rate", msgid=msgid, auth_user=auth_user)
                return '550 5.7.1 "Class Of Service" - Too much traffic'
            self.send_rate.note(auth_user)
        try:
            self.gestore.process(auth_user, envelope.mail_from, envelope.rcpt_tos, envelope.content)
        except Exception:
            log.exception("processing failed")
            return "451 4.3.0 Internal error in the simulator"
        if any(split_switch(a)[0] == "drop" for a in envelope.rcpt_tos):
            log.info("drop: closing the connection after DATA")
            server.transport.abort()
            return "421 4.4.2 (connection dropped, never seen by the client)"
        return "250 2.0.0 Ok: queued"


class Authenticator:
    def __init__(self, users):
        self.users = users

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            user = self.users.get(auth_data.login.decode(errors="replace").lower())
            if user and user.password == auth_data.password.decode(errors="replace"):
                return AuthResult(success=True, handled=False, auth_data=auth_data)
        return AuthResult(success=False, handled=False)


class SMTPS(Controller):
    def __init__(self, handler, authenticator, ssl_context, host, port, size_limit):
        self.authenticator = authenticator
        self.size_limit = size_limit
        super().__init__(handler, hostname=host, port=port, ssl_context=ssl_context)

    def factory(self):
        # auth_require_tls=False: aiosmtpd counts only STARTTLS as TLS, but this is implicit TLS.
        return SMTP(self.handler, hostname="smtp.pec.sandbox", authenticator=self.authenticator,
                    auth_required=True, auth_require_tls=False, data_size_limit=self.size_limit,
                    decode_data=False, ident="PEC Sandbox ESMTP")


def make_ssl_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    return context
