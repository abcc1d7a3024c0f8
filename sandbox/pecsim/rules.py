"""Providers' documented submission limits, applied as the real gestore would (docs/providers.md).

A sandbox mailbox named after a gestore follows that gestore's rules: submissions authenticated as
`aruba@pec.sandbox` get Aruba's, `legalmail@pec.sandbox` Legalmail's; every other mailbox none.

Aruba (guide.pec.it): size x recipients <= 100 MB, and no attachment of a blocked type, whatever it
is called and also inside zip archives -> an avviso di non accettazione. Legalmail (help.infocert.it):
at most 6 messages a minute -> `550 ... "Class Of Service" - Too much traffic` at the end of DATA.
"""

import email
import email.policy
import io
import time
import zipfile
from collections import deque

ARUBA_MAX_TOTAL = 100_000_000
ARUBA_BLOCKED = {
    "asp", "bat", "chm", "cla", "class", "cmd", "com", "cpl", "csh", "exe", "hlp", "hpj", "hta", "inf", "ins",
    "jar", "js", "jse", "lnk", "msc", "msh", "msh1", "msh1xml", "msh2", "msh2xml", "mshxml", "msi", "msp", "ocx",
    "ops", "pif", "pl", "prf", "prg", "ps1", "ps1xml", "ps2", "ps2xml", "psc1", "psc2", "pst", "reg", "scf", "scr",
    "sct", "shb", "shs", "tmp", "url", "vb", "vbe", "vbp", "vbs", "vsmacros", "ws", "wsc", "wsf", "wsh",
}
EXECUTABLE_MAGIC = (b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                    b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
LEGALMAIL_PER_MINUTE = 6
NESTED_LIMIT = 32 * 1024 * 1024


def is_program(head: bytes) -> bool:
    """ELF, Mach-O, CAFEBABE; MZ only with a DOS header (last-page count < 512, or a PE header)."""
    if head.startswith(EXECUTABLE_MAGIC):
        return True
    if not head.startswith(b"MZ"):
        return False
    if len(head) >= 4 and head[3] <= 1:
        return True
    if len(head) >= 0x40:
        offset = int.from_bytes(head[0x3C:0x40], "little")
        return head[offset:offset + 4] == b"PE\0\0"
    return False


def profile(auth_user: str) -> str | None:
    local = auth_user.lower().partition("@")[0]
    return local if local in ("aruba", "legalmail") else None


def _blocked_name(name: str) -> bool:
    name = name.rstrip(". ").rpartition("/")[2]
    return "." in name and name.rpartition(".")[2].lower() in ARUBA_BLOCKED


def _archive_problem(data: bytes, where: str, depth: int) -> str | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    for info in archive.infolist()[:10_000]:
        if info.is_dir():
            continue
        if _blocked_name(info.filename):
            return f"allegato non consentito {where}/{info.filename}"
        try:
            with archive.open(info) as entry:
                head = entry.read(512)
                if is_program(head):
                    return f"allegato eseguibile {where}/{info.filename}"
                if head.startswith(b"PK\x03\x04") and depth < 3:
                    inner = head + entry.read(NESTED_LIMIT)
                    problem = _archive_problem(inner, f"{where}/{info.filename}", depth + 1)
                    if problem:
                        return problem
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
            continue
    return None


def aruba_problems(raw: bytes, recipients: int) -> list[str]:
    problems = []
    if len(raw) * max(recipients, 1) > ARUBA_MAX_TOTAL:
        problems.append(f"dimensione del messaggio ({len(raw)} byte) per {recipients} destinatari oltre 100 MB")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for part in message.walk():
        name = part.get_filename()
        if part.is_multipart() or not name:
            continue
        if _blocked_name(name):
            problems.append(f"allegato non consentito {name}")
            continue
        payload = part.get_payload(decode=True) or b""
        if is_program(payload[:512]):
            problems.append(f"allegato eseguibile {name}")
        elif payload.startswith(b"PK\x03\x04"):
            problem = _archive_problem(payload, name, 1)
            if problem:
                problems.append(problem)
    return problems


class SendRate:
    """Legalmail's brake: accepted submissions per authenticated user in the last 60 seconds."""

    def __init__(self, per_minute: int = LEGALMAIL_PER_MINUTE):
        self.per_minute = per_minute
        self.accepted: dict[str, deque] = {}

    def allows(self, user: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        times = self.accepted.setdefault(user.lower(), deque())
        while times and now - times[0] >= 60:
            times.popleft()
        return len(times) < self.per_minute

    def note(self, user: str, now: float | None = None) -> None:
        self.accepted.setdefault(user.lower(), deque()).append(time.monotonic() if now is None else now)
