"""`pec watch --webhook` with several accounts: one IMAP session per account, one ledger, one cursor per
account for each webhook; an account that fails is reported (an `account_error` line with --json, and on
stderr) and never stops the others.

Reuses the fixtures of conftest.py (a private HOME logged in as mario.rossi and synced, the test CA, the
HTTPS receiver on 127.0.0.1, watches stopped at the end whatever happens) and the helpers of
test_webhooks.py (signature and ledger checks). Every wait is bounded.
"""

import json
import time
import uuid
from pathlib import Path

from receiver import Rule
from test_webhooks import (ANNA, EVENT_ID, SETTLE_SECONDS, acknowledged_events, check_against_ledger,
                           check_no_history, check_request, expected_kinds, kind, posts_about, watch_args)

MARIO = "mario.rossi@pec.sandbox"
LUCA = "luca.verdi@pec.sandbox"
DOWNTIME_SECONDS = 10
DELIVERY_WAIT_SECONDS = 120  # two accounts' receipts, through two 503s and 10 s of downtime, with backoff
ACCOUNT_ERROR_WAIT_SECONDS = 45  # the failing account's login is tried at start: reported within seconds
NOT_RETRIED_SECONDS = 12  # "reported once": still one report this long after the first


# MARK: - Helpers


def account_args(*accounts) -> list:
    args = []
    for account in accounts:
        args += ["--account", account]
    return args


def send_from(home, account, ref, *to) -> str:
    args = ["send", "--account", account, "--subject", f"Webhook {ref}", "--body", "Prova di notifica.",
            "--ref", ref, "--yes"]
    for address in to:
        args += ["--to", address]
    return home.json(*args)["message_id"]


def sync_account(home, account) -> None:
    """Syncs one more account before any watch, so that its mailbox's old receipts are history too."""
    home.pec("--json", "sync", "--account", account, "--ca-file", home.sandbox["PEC_SANDBOX_CA_FILE"])
    home.history_seq = max((e["seq"] for e in home.ledger()), default=0)


def start_watch(watches, home, args, env):
    watch = watches(home, args, env)
    time.sleep(SETTLE_SECONDS)
    assert watch.alive, f"pec watch exited at once:\n{watch.describe()}"
    return watch


def all_acknowledged_for(messages: dict):
    """A wait_for predicate: for every message_id -> expected kinds, each kind acknowledged at least once."""
    def predicate(posts):
        got = {m: acknowledged_events(posts, m) for m in messages}
        done = all(kinds <= {kind(e) for e in got[m].values()} for m, kinds in messages.items())
        return got if done else None
    return predicate


def check_account_body(post, message_id, ref, account, secret, version):
    """Format pec, batch 1, for a message of `account`: signed, one event, its event_id in the
    Idempotency-Key, and the account of the message's sender."""
    check_request(post, secret, version)  # method, Content-Type, User-Agent, PEC-Signature (HMAC), JSON
    body = post.json()
    assert isinstance(body, dict) and "events" not in body, f"post #{post.n}: not a single event: {body}"
    assert EVENT_ID.fullmatch(body.get("event_id") or ""), f"post #{post.n}: event_id {body.get('event_id')!r}"
    assert post.header("Idempotency-Key") == body["event_id"], \
        f"post #{post.n}: Idempotency-Key {post.header('Idempotency-Key')!r} != event_id {body['event_id']!r}"
    assert body.get("message_id") == message_id, f"post #{post.n}: message_id {body.get('message_id')!r}"
    assert body.get("ref") == ref, f"post #{post.n}: ref {body.get('ref')!r}, the send's --ref was {ref!r}"
    assert body.get("account") == account, \
        f"post #{post.n}: account {body.get('account')!r}, but {message_id} was sent from {account}: {body}"
    assert isinstance(body.get("seq"), int), body


def account_errors(watch) -> list:
    return [e for e in watch.printed_events() if e.get("event") == "account_error"]


def wait_until(predicate, timeout, what, describe):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        assert time.monotonic() < deadline, f"after {timeout:.0f} s, still not: {what}\n{describe()}"
        time.sleep(0.25)


def credentials_file(home) -> Path:
    """The file-backed credentials (no Secret Service here): ~/.config/mayai-cli/pec/credentials.json,
    i.e. under this HOME's XDG_CONFIG_HOME; looked for anywhere under the HOME if it is elsewhere."""
    for candidate in (Path(home.env["XDG_CONFIG_HOME"]) / "mayai-cli/pec/credentials.json",
                      home.root / "mayai-cli/pec/credentials.json",
                      home.root / ".config/mayai-cli/pec/credentials.json"):
        if candidate.is_file():
            return candidate
    found = sorted(home.root.rglob("credentials.json"))
    assert found, f"no credentials.json under {home.root}: was the password saved to a keyring?"
    return found[0]


def spoil_saved_password(home, address) -> None:
    """Replaces the saved password of `address` with a wrong one, encrypted with the same Fernet key, as a
    password changed (or expired) at the provider would look: readable, and refused by the server."""
    from cryptography.fernet import Fernet  # in the sandbox's venv

    path = credentials_file(home)
    key = (path.parent / "key.bin").read_bytes().strip()
    wrong = Fernet(key).encrypt(b"wrong").decode()
    data = json.loads(path.read_text())
    entries = [a for a in data.get("accounts", []) if a.get("address") == address]
    assert entries, f"no account {address} in {path}: {[a.get('address') for a in data.get('accounts', [])]}"
    for entry in entries:
        assert "password_enc" in entry, f"{address}'s entry in {path} has no password_enc: {sorted(entry)}"
        entry["password_enc"] = wrong
    if data.get("address") == address and "password_enc" in data:  # the legacy top-level copy, if it is anna's
        data["password_enc"] = wrong
    path.write_text(json.dumps(data, indent=2))
    path.chmod(0o600)


# MARK: - Two accounts, one webhook: a cursor per account, through 503s and downtime


def test_two_accounts_post_every_event_of_each_through_503s_and_downtime(home, receiver, watches, secret, sandbox):
    home.login("luca.verdi")
    sync_account(home, LUCA)
    token = f"whk-acct-{uuid.uuid4().hex[:10]}"
    refs = {MARIO: f"{token}-m", LUCA: f"{token}-l"}
    # The first two posts about either send are refused with 503; the next one is acknowledged, and then
    # the receiver goes away for 10 s (connections refused); after that everything is acknowledged.
    receiver.plan(Rule(503, times=2, match=token.encode()),
                  Rule(200, times=1, match=token.encode(), down_after=DOWNTIME_SECONDS))
    args = watch_args(sandbox, receiver, "/hook", *account_args(MARIO, LUCA))
    watch = start_watch(watches, home, args, {"PEC_WEBHOOK_SECRET": secret})

    sender = {}  # message_id -> account
    for account in (MARIO, LUCA):
        sender[send_from(home, account, refs[account], ANNA)] = account
    kinds = expected_kinds(ANNA)
    events = receiver.wait_for(all_acknowledged_for({m: kinds for m in sender}), DELIVERY_WAIT_SECONDS,
                               f"every event of {sorted(sender)} acknowledged ({sorted(kinds, key=str)} each)")
    time.sleep(1)
    posts = receiver.posts

    for message_id, account in sender.items():
        ours = posts_about(posts, message_id)
        for post in ours:
            check_account_body(post, message_id, refs[account], account, secret, sandbox["version"])
        # One event_id per seq, stable across retries.
        ids_by_seq = {}
        for post in ours:
            ids_by_seq.setdefault(post.json()["seq"], set()).add(post.json()["event_id"])
        assert all(len(ids) == 1 for ids in ids_by_seq.values()), \
            f"an event of {message_id} changed event_id between attempts: {ids_by_seq}"
        # Exactly the ledger's events of the message, each acknowledged, each body the ledger's record.
        ledger = check_against_ledger(home, watch, events[message_id], message_id, kinds)
        assert {e.get("account") for e in ledger.values()} == {account}, \
            f"the ledger's events of {message_id} (sent from {account}): {list(ledger.values())}"
    # Every post (whatever it carried) was signed with the secret.
    for post in posts:
        check_request(post, secret, sandbox["version"])
    check_no_history(posts, home)

    # The plan did happen: two 503s first, then a downtime, and nothing acknowledged while down.
    planned = [p for p in posts if token.encode() in p.body]
    assert [p.status for p in planned[:2]] == [503, 503], [p.summary() for p in planned[:4]]
    [(down_at, up_at)] = receiver.down_periods
    assert up_at is not None and up_at - down_at >= DOWNTIME_SECONDS - 0.5, receiver.down_periods
    assert not [p for p in posts if p.acknowledged and down_at < p.received_at < up_at]

    # Retried, never parked; both accounts fine: no account_error; the watch still runs.
    parked = [p for p in home.parked() if p.get("message_id") in sender]
    assert parked == [], f"events parked though only 503s and refused connections were met: {parked}"
    assert account_errors(watch) == [], f"account_error with two working accounts: {account_errors(watch)}"
    assert watch.alive, watch.describe()


# MARK: - One account's saved password refused: reported once, the other account goes on


def test_a_refused_saved_password_is_reported_once_and_the_other_account_goes_on(home, receiver, watches, secret,
                                                                                  sandbox):
    home.login("anna.bianchi")
    spoil_saved_password(home, ANNA)
    ref = f"whk-acct-{uuid.uuid4().hex[:10]}"
    args = watch_args(sandbox, receiver, "/hook", *account_args(MARIO, ANNA))
    watch = start_watch(watches, home, args, {"PEC_WEBHOOK_SECRET": secret})

    message_id = send_from(home, MARIO, ref, ANNA)
    kinds = expected_kinds(ANNA)
    events = receiver.wait_for(all_acknowledged_for({message_id: kinds}), DELIVERY_WAIT_SECONDS,
                               f"every event of {message_id} (from {MARIO}) acknowledged, with {ANNA} failing")
    for post in posts_about(receiver.posts, message_id):
        check_account_body(post, message_id, ref, MARIO, secret, sandbox["version"])
    for post in receiver.posts:
        check_request(post, secret, sandbox["version"])
    check_against_ledger(home, watch, events[message_id], message_id, kinds)
    check_no_history(receiver.posts, home)

    # anna's failure: an account_error line on stdout, then no more of them (not retried in a loop).
    wait_until(lambda: [e for e in account_errors(watch) if e.get("account") == ANNA],
               ACCOUNT_ERROR_WAIT_SECONDS, f"an account_error line for {ANNA} on the watch's stdout",
               watch.describe)
    time.sleep(NOT_RETRIED_SECONDS)
    errors = account_errors(watch)
    annas = [e for e in errors if e.get("account") == ANNA]
    assert len(annas) == 1, (f"expected exactly one account_error for {ANNA} (a refused saved password is "
                             f"reported once, then waits for `pec auth login`); got {len(annas)} in "
                             f"{time.time() - watch.started_at:.0f} s of watch:\n"
                             + "\n".join(json.dumps(e) for e in annas[:10]))
    [error] = annas
    assert error.get("waiting_for_login") is True, f"waiting_for_login {error.get('waiting_for_login')!r}: {error}"
    assert isinstance(error.get("error"), dict) and error["error"].get("kind") == "not_authenticated", \
        f"error {error.get('error')!r}, expected kind not_authenticated: {error}"
    assert isinstance(error["error"].get("message"), str) and error["error"]["message"].strip(), error
    assert error.get("at"), f"account_error without `at`: {error}"
    assert [e for e in errors if e.get("account") != ANNA] == [], f"account_error for another account: {errors}"
    assert ANNA in watch.stderr, f"{ANNA}'s failure is not reported on stderr:\n{watch.stderr[-2000:]}"

    # mario's events were never held up by anna, and nothing of mario's was parked; the watch still runs.
    assert [p for p in home.parked() if p.get("message_id") == message_id] == [], home.parked()
    assert watch.alive, watch.describe()
    # NDJSON leaves empty fields out (README, Output formats): no retry_in while it waits for a login.
    assert "retry_in" not in error, f"retry_in while waiting for login: {error}"
