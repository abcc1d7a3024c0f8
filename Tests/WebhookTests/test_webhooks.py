"""`pec watch --webhook`: receipt events posted to a real HTTPS endpoint, checked from outside the Swift code.

The endpoint is receiver.py: Python's http.server behind ssl on 127.0.0.1, with a certificate from a test
CA made with the openssl command line, answering as each test plans (503s, a 400, downtime, a slow 200,
a 429 with Retry-After). The signatures are checked with Python's hmac, the bodies against the ledger
(`pec --json events`) and against what the same watch prints with --json, and the sends are real PEC
sends through the sandbox: to anna.bianchi (acceptance, then delivery) and to an unknown
nessuno.<random> address (acceptance, then an avviso di mancata consegna, errore no-dest).

Each test has its own HOME (so its own ledger and webhook cursors), logged in as mario.rossi and synced
once before any watch: the mailbox's older receipts are "history", which a new webhook target never gets.
Every wait is bounded; every watch and receiver is stopped at the end, pass or fail (see conftest.py).
"""

import hashlib
import hmac
import json
import re
import subprocess
import time
import uuid
from datetime import datetime

import pytest

from receiver import Rule

ANNA = "anna.bianchi@pec.sandbox"
SETTLE_SECONDS = 3  # a watch started this long ago has synced and reached IDLE: its targets are registered
DELIVERY_WAIT_SECONDS = 90  # receipts come in seconds; the rest is pec's backoff across 503s and downtime
DOWNTIME_SECONDS = 10
SIGNATURE_AGE_SECONDS = 300  # "t is within a few minutes of now"
EVENT_ID = re.compile(r"evt_[0-9a-f]{32}")
GENRO_EVENTS = {"pec_acceptance", "pec_delivery", "pec_error", "pec_relay", "pec_timeout"}


# MARK: - Helpers


def new_ref() -> str:
    """The application's reference for one send (--ref): every body about it contains it verbatim, which
    is how the receiver's plan picks that send's posts out of anything else arriving."""
    return f"whk-{uuid.uuid4().hex[:12]}"


def unknown_address() -> str:
    return f"nessuno.{uuid.uuid4().hex[:10]}@pec.sandbox"


def watch_args(sandbox, receiver, path, *extra) -> list:
    return ["--json", "--webhook", receiver.url(path), "--webhook-ca-file", str(receiver.certificates.ca),
            "--ca-file", sandbox["PEC_SANDBOX_CA_FILE"], *extra]


def start_watch(watches, home, args, env) -> object:
    """Starts the watch and gives it time to sync and reach IDLE, so that its webhook targets exist
    before the send (a new target starts "from now")."""
    watch = watches(home, args, env)
    time.sleep(SETTLE_SECONDS)
    assert watch.alive, f"pec watch exited at once:\n{watch.describe()}"
    return watch


def send(home, ref, *to) -> str:
    args = ["send", "--subject", f"Webhook {ref}", "--body", "Prova di notifica.", "--ref", ref, "--yes"]
    for address in to:
        args += ["--to", address]
    return home.json(*args)["message_id"]


def about(post, message_id) -> list:
    """The event objects of this message in a post's body (format pec: one, or a batch's list)."""
    try:
        body = post.json()
    except ValueError:
        return []
    events = body["events"] if isinstance(body, dict) and isinstance(body.get("events"), list) else [body]
    return [e for e in events if isinstance(e, dict) and e.get("message_id") == message_id]


def kind(event) -> tuple:
    """(event, recipient): what tells one receipt of a send from another."""
    return event["event"], event.get("recipient")


def expected_kinds(*to) -> set:
    """The events of a send to these addresses: one acceptance, then a delivery per real mailbox and a
    delivery error per unknown address."""
    return {("pec_acceptance", None)} | {
        ("pec_delivery_error" if a.startswith("nessuno.") else "pec_delivery", a) for a in to}


def acknowledged_events(posts, message_id) -> dict:
    """event_id -> event object, over the posts answered 2xx."""
    return {e["event_id"]: e for p in posts if p.acknowledged for e in about(p, message_id)}


def all_acknowledged(message_id, kinds):
    """A wait_for predicate: every kind of event of the message acknowledged at least once."""
    def predicate(posts):
        got = acknowledged_events(posts, message_id)
        return got if kinds <= {kind(e) for e in got.values()} else None
    return predicate


def without_event_id(event) -> dict:
    return {k: v for k, v in event.items() if k != "event_id"}


def check_signature(post, secret):
    """PEC-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>, as Stripe signs."""
    header = post.header("PEC-Signature")
    assert header, f"post #{post.n} has no PEC-Signature header: {post.headers}"
    fields = [part.strip().partition("=") for part in header.split(",")]
    timestamps = [value for name, _, value in fields if name == "t"]
    signatures = [value for name, _, value in fields if name == "v1"]
    assert len(timestamps) == 1 and timestamps[0].isdigit(), f"post #{post.n}: bad t in PEC-Signature {header!r}"
    assert signatures, f"post #{post.n}: no v1 in PEC-Signature {header!r}"
    t = timestamps[0]
    expected = hmac.new(secret.encode(), t.encode() + b"." + post.body, hashlib.sha256).hexdigest()
    assert any(hmac.compare_digest(expected, s.lower()) for s in signatures), \
        f"post #{post.n}: PEC-Signature {header!r} is not HMAC-SHA256(secret, t.body) (expected v1={expected})"
    assert abs(int(t) - post.received_at) < SIGNATURE_AGE_SECONDS, \
        f"post #{post.n}: signed at t={t}, received at {post.received_at:.0f}"


def check_request(post, secret, version):
    """What every post carries, whatever its body."""
    assert post.method == "POST", post.summary()
    content_type = (post.header("Content-Type") or "").split(";")[0].strip().lower()
    assert content_type == "application/json", f"post #{post.n}: Content-Type {post.header('Content-Type')!r}"
    assert post.header("User-Agent") == f"pec/{version}", f"post #{post.n}: User-Agent {post.header('User-Agent')!r}"
    check_signature(post, secret)
    json.loads(post.body)  # a JSON body, whatever else


def check_pec_body(post, message_id, ref, secret, version):
    """Format pec, batch 1: one event object, its event_id in the Idempotency-Key."""
    check_request(post, secret, version)
    body = post.json()
    assert isinstance(body, dict) and "events" not in body, f"post #{post.n}: not a single event: {body}"
    assert EVENT_ID.fullmatch(body.get("event_id", "")), f"post #{post.n}: event_id {body.get('event_id')!r}"
    assert post.header("Idempotency-Key") == body["event_id"], \
        f"post #{post.n}: Idempotency-Key {post.header('Idempotency-Key')!r} != event_id {body['event_id']!r}"
    assert body.get("message_id") == message_id, f"post #{post.n}: message_id {body.get('message_id')!r}"
    assert body.get("ref") == ref, f"post #{post.n}: ref {body.get('ref')!r}, the send's --ref was {ref!r}"
    assert body.get("account") == "mario.rossi@pec.sandbox" and isinstance(body.get("seq"), int), body
    assert isinstance(body.get("trusted"), bool) and body.get("at"), body


def check_against_ledger(home, watch, events_by_id, message_id, kinds):
    """The acknowledged events are exactly the ledger's events of this message (none missing, none
    made up), each body the ledger's record plus event_id, and what this watch printed with --json."""
    ledger = {e["seq"]: e for e in home.ledger(message_id)}
    assert {kind(e) for e in ledger.values()} == kinds, f"the ledger's events of {message_id}: {list(ledger.values())}"
    by_seq = {}
    for event_id, event in events_by_id.items():
        assert by_seq.setdefault(event["seq"], event_id) == event_id, \
            f"seq {event['seq']} was posted with two event_ids: {by_seq[event['seq']]}, {event_id}"
    assert sorted(by_seq) == sorted(ledger), \
        f"acknowledged seqs {sorted(by_seq)} != the ledger's {sorted(ledger)} for {message_id}"
    printed = {e["seq"]: e for e in (watch.printed_events() if watch else []) if e.get("message_id") == message_id}
    for seq, record in ledger.items():
        body = events_by_id[by_seq[seq]]
        if "event_id" in record:
            assert record["event_id"] == body["event_id"], f"seq {seq}: the ledger says {record['event_id']}"
        assert without_event_id(body) == without_event_id(record), \
            f"seq {seq}: the posted event differs from the ledger's\n posted: {body}\n ledger: {record}"
        if seq in printed:
            assert without_event_id(body) == without_event_id(printed[seq]), \
                f"seq {seq}: the posted event differs from what watch --json printed\n posted: {body}\n printed: {printed[seq]}"
    return ledger


def posted_events(post) -> list:
    """Every event object in a post's body (format pec), whatever its message."""
    try:
        body = post.json()
    except ValueError:
        return []
    events = body.get("events") if isinstance(body, dict) and isinstance(body.get("events"), list) else [body]
    return [e for e in events if isinstance(e, dict)]


def check_no_history(posts, home):
    """A new target starts from now: events already in the ledger when it was first used are not sent."""
    old = sorted({e["seq"] for p in posts for e in posted_events(p)
                  if isinstance(e.get("seq"), int) and e["seq"] <= home.history_seq})
    assert not old, f"events stored before the target existed were posted (seq <= {home.history_seq}): {old[:20]}"


def posts_about(posts, message_id) -> list:
    return [p for p in posts if about(p, message_id)]


def timestamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# MARK: - a. The main flow: signed posts, retried through 503s and a downtime


def test_every_event_is_posted_signed_and_retried_through_503s_and_downtime(home, receiver, watches, secret, sandbox):
    ref, unknown = new_ref(), unknown_address()
    kinds = expected_kinds(ANNA, unknown)
    # The first two posts about this send are refused with 503; the third is acknowledged, and then the
    # receiver goes away for 10 s (connections refused), while the other events still wait to be posted.
    receiver.plan(Rule(503, times=2, match=ref.encode()),
                  Rule(200, times=1, match=ref.encode(), down_after=DOWNTIME_SECONDS))
    watch = start_watch(watches, home, watch_args(sandbox, receiver, "/hook"), {"PEC_WEBHOOK_SECRET": secret})
    message_id = send(home, ref, ANNA, unknown)

    events = receiver.wait_for(all_acknowledged(message_id, kinds), DELIVERY_WAIT_SECONDS,
                               f"every event of {message_id} acknowledged ({sorted(kinds, key=str)})")
    posts = receiver.posts
    ours = posts_about(posts, message_id)
    for post in ours:
        check_pec_body(post, message_id, ref, secret, sandbox["version"])
    check_no_history(posts, home)

    # One event_id per event, stable across its retries: the same seq is always the same event_id.
    ids_by_seq = {}
    for post in ours:
        body = post.json()
        ids_by_seq.setdefault(body["seq"], set()).add(body["event_id"])
    assert all(len(ids) == 1 for ids in ids_by_seq.values()), f"an event changed event_id between attempts: {ids_by_seq}"
    assert len(events) == len(kinds), f"{len(events)} distinct event_ids acknowledged for {len(kinds)} events"
    check_against_ledger(home, watch, events, message_id, kinds)

    # The 503s were retried: the first two posts are the 503s, for one event, which was acknowledged
    # later under the same event_id, with a backoff (about 1 s, then 2 s) between the attempts.
    assert [p.status for p in ours[:2]] == [503, 503], [p.summary() for p in ours[:3]]
    first_503 = ours[0].json()["event_id"]
    attempts = [p for p in ours if p.json()["event_id"] == first_503]
    assert [p.status for p in attempts[:3]] == [503, 503, 200], [p.summary() for p in attempts]
    waited = attempts[2].received_at - attempts[0].answered_at
    assert 1.0 <= waited <= 30, f"two retries after 503 came {waited:.2f} s after the first answer (backoff ~1 s + ~2 s)"

    # The downtime: posting resumed when the receiver came back, and what was pending then was delivered.
    [(down_at, up_at)] = receiver.down_periods
    assert up_at is not None and up_at - down_at >= DOWNTIME_SECONDS - 0.5
    assert not [p for p in ours if p.acknowledged and down_at < p.received_at < up_at]
    after = [p for p in ours if p.acknowledged and p.received_at >= up_at]
    assert after, "no event was left to deliver after the downtime (were they all posted before it?):\n" + receiver.describe()
    assert after[0].received_at - up_at < 45, f"the first post after the downtime came {after[0].received_at - up_at:.0f} s late"
    before = {p.json()["event_id"] for p in ours if p.acknowledged and p.received_at <= down_at}
    assert {p.json()["event_id"] for p in after} - before, \
        "every event acknowledged after the downtime had been acknowledged before it: nothing waited through it"

    # Refused connections and 503s are retried, never parked; and the watch is still running.
    assert watch.alive, watch.describe()
    assert [p for p in home.parked() if p.get("message_id") == message_id] == []


# MARK: - b. SIGKILL during a delivery: at least once, nothing lost


@pytest.mark.parametrize("moment", ["while the post is in flight", "right after the 200"])
def test_a_sigkilled_watch_loses_nothing_and_resends_with_the_same_event_id(home, receiver, watches, secret, sandbox,
                                                                             moment):
    ref, unknown = new_ref(), unknown_address()
    kinds = expected_kinds(ANNA, unknown)
    env = {"PEC_WEBHOOK_SECRET": secret}
    args = watch_args(sandbox, receiver, "/hook")
    current = {}
    if moment == "while the post is in flight":
        # The first post about this send is answered 200, but only 3 s after it is read: the test kills
        # pec in between, so the 200 reaches no one and the cursor cannot have moved.
        receiver.plan(Rule(200, times=1, match=ref.encode(), delay=3))
    else:
        # Killed by the receiver itself the instant its 200 is written: whether pec had moved its cursor
        # is a race by design; either way the restarted watch must not lose the event.
        receiver.plan(Rule(200, times=1, match=ref.encode(), on_answered=lambda post: current["watch"].kill()))
    current["watch"] = first_watch = start_watch(watches, home, args, env)
    message_id = send(home, ref, ANNA, unknown)

    [first_post] = receiver.wait_for(lambda posts: posts_about(posts, message_id)[:1], 60,
                                     f"a first post about {message_id}")
    if moment == "while the post is in flight":
        assert not first_post.answered, first_post.summary()
        first_watch.kill()
        killed_at = time.time()
        assert first_post.answered_at is None or first_post.answered_at > killed_at
    assert first_watch.wait(10) == -9, f"the first watch did not die of SIGKILL:\n{first_watch.describe()}"

    receiver.plan()  # from now on every post is acknowledged at once
    second_watch = watches(home, args, env)
    events = receiver.wait_for(all_acknowledged(message_id, kinds), DELIVERY_WAIT_SECONDS,
                               f"every event of {message_id} acknowledged after the restart")
    time.sleep(2)  # anything still queued (a duplicate, say) has time to arrive
    ours = posts_about(receiver.posts, message_id)
    for post in ours:
        check_pec_body(post, message_id, ref, secret, sandbox["version"])

    # A duplicate is the same event: the same body, the same event_id (so Idempotency-Key deduplicates it).
    bodies = {}
    for post in ours:
        body = post.json()
        assert bodies.setdefault(body["event_id"], body) == body, \
            f"{body['event_id']} was posted with two different bodies:\n{bodies[body['event_id']]}\n{body}"
    assert len({b["seq"] for b in bodies.values()}) == len(bodies), f"two event_ids for one event: {bodies}"
    check_against_ledger(home, second_watch, events, message_id, kinds)

    killed_id = first_post.json()["event_id"]
    if moment == "while the post is in flight":
        # Never acknowledged to pec: it must come again, from the restarted watch, under the same event_id.
        again = [p for p in ours if p.n > first_post.n and p.json()["event_id"] == killed_id and p.acknowledged]
        assert again, f"{killed_id}, in flight when pec was killed, was not posted again:\n{receiver.describe()}"
    check_no_history(receiver.posts, home)
    assert second_watch.alive, second_watch.describe()


# MARK: - c. A 4xx parks the event; --retry re-queues it


def test_a_400_parks_the_event_and_events_retry_delivers_it(home, receiver, watches, secret, sandbox):
    ref, unknown = new_ref(), unknown_address()
    kinds = expected_kinds(ANNA, unknown)
    env = {"PEC_WEBHOOK_SECRET": secret}
    args = watch_args(sandbox, receiver, "/hook")
    receiver.plan(Rule(400, times=1, match=ref.encode()))
    watch = start_watch(watches, home, args, env)
    message_id = send(home, ref, ANNA, unknown)

    def rejected_and_the_rest_acknowledged(posts):
        ours = posts_about(posts, message_id)
        rejected = [p for p in ours if p.status == 400]
        done = {kind(e) for e in acknowledged_events(posts, message_id).values()}
        done |= {kind(e) for p in rejected for e in about(p, message_id)}
        return rejected if rejected and kinds <= done else None

    [rejected] = receiver.wait_for(rejected_and_the_rest_acknowledged, DELIVERY_WAIT_SECONDS,
                                   "one event refused with 400 and every other one acknowledged")
    check_pec_body(rejected, message_id, ref, secret, sandbox["version"])
    rejected_event = rejected.json()
    time.sleep(3)  # a 400 is final: give pec the time it would take to (wrongly) retry it
    assert [p.status for p in receiver.posts if p.json().get("event_id") == rejected_event["event_id"]] == [400], \
        f"the event refused with 400 was posted again:\n{receiver.describe()}"

    # `pec events --parked` lists it: the event record, plus for which target, why and when.
    deadline = time.monotonic() + 20
    while not (parked := [p for p in home.parked() if p.get("seq") == rejected_event["seq"]]):
        assert time.monotonic() < deadline, f"seq {rejected_event['seq']} not in `pec events --parked`: {home.parked()}"
        time.sleep(0.5)
    [record] = parked
    assert receiver.url("/hook") in str(record.get("target")), f"target {record.get('target')!r} is not {receiver.url('/hook')}"
    assert "400" in str(record.get("parked_reason")), f"parked_reason {record.get('parked_reason')!r} does not say 400"
    assert abs(timestamp(record["parked_at"]) - rejected.received_at) < SIGNATURE_AGE_SECONDS, record
    for name in ("seq", "event", "message_id", "account", "at", "ref"):
        assert record.get(name) == rejected_event[name], f"parked record's {name}: {record.get(name)!r} != {rejected_event[name]!r}"
    if "event_id" in record:
        assert record["event_id"] == rejected_event["event_id"], record

    assert watch.stop() in (0, 130, 143), watch.describe()
    stderr = watch.stderr
    assert "400" in stderr or "park" in stderr.lower(), f"no warning about the parked event on stderr:\n{stderr[-2000:]}"

    # --retry re-queues it; the next watch with that webhook delivers it, and only it (the others were
    # acknowledged: the target's cursor is past them).
    home.pec("events", "--retry")
    # Re-queued: either no longer listed, or listed as re-queued (the spec leaves it open; pec marks it).
    still = [p for p in home.parked() if p.get("seq") == rejected_event["seq"] and not p.get("requeued")]
    assert still == [], f"still parked (not re-queued) after `pec events --retry`: {still}"
    acknowledged_before = {p.n for p in receiver.posts}
    receiver.plan()
    second_watch = watches(home, args, env)
    [redelivered] = receiver.wait_for(
        lambda posts: [p for p in posts if p.acknowledged and p.json().get("event_id") == rejected_event["event_id"]][:1],
        60, f"the re-queued event {rejected_event['event_id']} delivered")
    check_pec_body(redelivered, message_id, ref, secret, sandbox["version"])
    assert redelivered.json() == rejected_event, "the re-queued event's body changed"
    time.sleep(2)
    resent = [p.summary() for p in posts_about(receiver.posts, message_id)
              if p.n not in acknowledged_before and p.json()["event_id"] != rejected_event["event_id"]]
    assert resent == [], f"events already acknowledged were posted again after --retry: {resent}"
    assert home.parked() == [], home.parked()
    assert second_watch.alive, second_watch.describe()


# MARK: - d. Format genro


def test_genro_format_posts_a_delivery_report_per_event(home, receiver, watches, secret, sandbox, tmp_path):
    ref, unknown = new_ref(), unknown_address()
    # The secret from a file this time (no PEC_WEBHOOK_SECRET in the environment), with no newline at its end.
    secret_file = tmp_path / "webhook-secret"
    secret_file.write_text(secret)
    secret_file.chmod(0o600)
    watch = start_watch(watches, home, watch_args(sandbox, receiver, "/genro", "--webhook-format", "genro",
                                                  "--webhook-secret-file", str(secret_file)), {})
    message_id = send(home, ref, ANNA, unknown)

    def reports(posts):
        out = []
        for p in posts:
            try:
                body = p.json()
                items = body["delivery_report"]
            except (ValueError, KeyError, TypeError):
                continue
            if any(isinstance(i, dict) and i.get("id") == ref for i in items):
                out.append((p, body))
        return out

    def all_three(posts):
        got = [(p, body) for p, body in reports(posts) if p.acknowledged]
        events = {body["delivery_report"][0].get("pec_event") for _, body in got}
        return got if {"pec_acceptance", "pec_delivery", "pec_error"} <= events else None

    receiver.wait_for(all_three, DELIVERY_WAIT_SECONDS, f"a pec_acceptance, a pec_delivery and a pec_error for {ref}")
    time.sleep(1)
    posted = reports(receiver.posts)
    ledger = home.ledger(message_id)
    assert {kind(e) for e in ledger} == expected_kinds(ANNA, unknown), ledger
    at = {kind(e): timestamp(e["at"]) for e in ledger}
    error = next(e for e in ledger if e["event"] == "pec_delivery_error")

    by_key = {}
    for post, body in posted:
        check_request(post, secret, sandbox["version"])
        assert EVENT_ID.fullmatch(post.header("Idempotency-Key") or ""), f"Idempotency-Key {post.header('Idempotency-Key')!r}"
        # Exactly {"delivery_report": [{id, pec_event, pec_ts, pec_details}]}: nothing more, nothing less.
        assert list(body) == ["delivery_report"] and len(body["delivery_report"]) == 1, body
        [item] = body["delivery_report"]
        assert set(item) == {"id", "pec_event", "pec_ts", "pec_details"}, item
        assert item["id"] == ref, item
        assert item["pec_event"] in GENRO_EVENTS, item
        assert type(item["pec_ts"]) is int, f"pec_ts is not an integer: {item['pec_ts']!r}"
        assert isinstance(item["pec_details"], str) and item["pec_details"].strip(), item
        assert by_key.setdefault(post.header("Idempotency-Key"), item) == item, "one event_id, two reports"

    items = list(by_key.values())
    assert sorted(i["pec_event"] for i in items) == ["pec_acceptance", "pec_delivery", "pec_error"], items
    for item in items:
        if item["pec_event"] == "pec_acceptance":
            event_at = at[("pec_acceptance", None)]
        elif item["pec_event"] == "pec_delivery":
            assert ANNA in item["pec_details"], f"the delivery's details do not name {ANNA}: {item}"
            event_at = at[("pec_delivery", ANNA)]
        else:  # a delivery error is a pec_error, naming the recipient and the error
            assert unknown in item["pec_details"], f"the error's details do not name {unknown}: {item}"
            said = item["pec_details"].lower()
            assert "no-dest" in said or error["errore_esteso"].lower() in said \
                or error["errore_esteso"].rpartition(" - ")[2].lower() in said, \
                f"the error's details do not say what went wrong ({error['errore']}: {error['errore_esteso']}): {item}"
            event_at = at[("pec_delivery_error", unknown)]
        assert abs(item["pec_ts"] - event_at) <= 5, f"pec_ts {item['pec_ts']} is far from the event's time {event_at:.0f}"
    assert watch.alive, watch.describe()


# MARK: - Batches, Retry-After, and what is refused


def test_batches_carry_up_to_n_events_under_a_first_last_idempotency_key(home, receiver, watches, secret, sandbox):
    ref, unknown = new_ref(), unknown_address()
    kinds = expected_kinds(ANNA, unknown)
    # The first post is held 3 s, so the send's other events are stored meanwhile and go out together.
    receiver.plan(Rule(200, times=1, match=ref.encode(), delay=3))
    watch = start_watch(watches, home, watch_args(sandbox, receiver, "/batch", "--webhook-batch", "3"),
                        {"PEC_WEBHOOK_SECRET": secret})
    message_id = send(home, ref, ANNA, unknown)
    events = receiver.wait_for(all_acknowledged(message_id, kinds), DELIVERY_WAIT_SECONDS,
                               f"every event of {message_id} acknowledged")
    sizes = []
    for post in receiver.posts:
        check_request(post, secret, sandbox["version"])
        body = post.json()
        assert list(body) == ["events"] and isinstance(body["events"], list), f"post #{post.n}: not a batch: {body}"
        batch = body["events"]
        assert 1 <= len(batch) <= 3, f"post #{post.n}: a batch of {len(batch)}"
        for event in batch:
            assert EVENT_ID.fullmatch(event.get("event_id", "")), event
        assert post.header("Idempotency-Key") == f"{batch[0]['event_id']}..{batch[-1]['event_id']}", \
            f"post #{post.n}: Idempotency-Key {post.header('Idempotency-Key')!r} for {[e['event_id'] for e in batch]}"
        assert [e["seq"] for e in batch] == sorted(e["seq"] for e in batch), f"post #{post.n}: out of order"
        sizes.append(len(batch))
    assert max(sizes) >= 2, f"with --webhook-batch 3 and events waiting, every post carried one event: {sizes}"
    check_against_ledger(home, watch, events, message_id, kinds)
    check_no_history(receiver.posts, home)


def test_retry_after_is_honoured(home, receiver, watches, secret, sandbox):
    ref = new_ref()
    kinds = expected_kinds(ANNA)
    receiver.plan(Rule(429, times=1, match=ref.encode(), headers={"Retry-After": "4"}))
    start_watch(watches, home, watch_args(sandbox, receiver, "/hook"), {"PEC_WEBHOOK_SECRET": secret})
    message_id = send(home, ref, ANNA)
    receiver.wait_for(all_acknowledged(message_id, kinds), DELIVERY_WAIT_SECONDS, f"the events of {message_id}")
    ours = posts_about(receiver.posts, message_id)
    assert ours[0].status == 429
    limited = ours[0].json()["event_id"]
    retry = next(p for p in ours[1:] if p.json()["event_id"] == limited)
    waited = retry.received_at - ours[0].answered_at
    assert 3.5 <= waited <= 30, f"retried {waited:.2f} s after a 429 with Retry-After: 4 (backoff alone would be ~1 s)"


def test_reset_connections_are_retried_with_backoff_not_hammered(home, receiver, watches, secret, sandbox):
    """Reset connections are retried "with exponential backoff and jitter (about 1 s, 2 s, 4 s …)": an
    endpoint that resets every connection for 12 s gets a handful of attempts, not one every 100 ms.
    (Refused connections cannot be counted by the receiver; resets can: it accepts, then resets.)"""
    ref = new_ref()
    kinds = expected_kinds(ANNA)
    outage = 12
    # The first post about the send is acknowledged; then for 12 s every connection is reset on accept.
    receiver.plan(Rule(200, times=1, match=ref.encode(), down_after=outage, down_mode="reset"))
    watch = start_watch(watches, home, watch_args(sandbox, receiver, "/hook"), {"PEC_WEBHOOK_SECRET": secret})
    message_id = send(home, ref, ANNA)
    receiver.wait_for(all_acknowledged(message_id, kinds), DELIVERY_WAIT_SECONDS, f"the events of {message_id}")
    [(down_at, up_at)] = receiver.down_periods
    attempts = [t for t in receiver.resets if down_at <= t <= up_at]
    gaps = [round(b - a, 2) for a, b in zip(attempts, attempts[1:])]
    # Backoff ~1, 2, 4, 8 s from the first failure: attempts near 0, 1, 3, 7 (and 15) s, so 4 or 5 in 12 s.
    # Up to 8 leaves room for jitter and for an HTTP client's own immediate reconnect; more is hammering.
    assert attempts, f"no connection attempt during the {outage} s of resets:\n{receiver.describe()}"
    assert len(attempts) <= 8, (f"{len(attempts)} connection attempts in {outage} s of resets "
                                f"(expected about 1 s, 2 s, 4 s … apart); gaps between them, s: {gaps}\n"
                                f"pec's stderr:\n{watch.stderr[-1500:]}")


def test_https_is_verified_against_the_webhook_ca(home, receiver, watches, secret, sandbox):
    """Without --webhook-ca-file the receiver's certificate (from the test CA) is not trusted: nothing
    is posted, the handshake fails."""
    ref = new_ref()
    args = ["--json", "--webhook", receiver.url("/hook"), "--ca-file", sandbox["PEC_SANDBOX_CA_FILE"]]
    watch = start_watch(watches, home, args, {"PEC_WEBHOOK_SECRET": secret})
    message_id = send(home, ref, ANNA)
    deadline = time.monotonic() + 30
    while {kind(e) for e in home.ledger(message_id)} != expected_kinds(ANNA):
        assert time.monotonic() < deadline, f"the receipts of {message_id} never reached the ledger"
        time.sleep(0.5)
    receiver.wait_for(lambda _: receiver.tls_errors, 20, "a TLS handshake attempted (and failed)")
    time.sleep(2)
    assert receiver.posts == [], f"posted over a connection it should not have trusted:\n{receiver.describe()}"
    assert watch.alive, watch.describe()


def refused_at_start(home, *args, env=None):
    """`pec watch ARGS` that must exit at once: a watch still running after 30 s is a failure, not a hang."""
    try:
        return home.pec("watch", *args, check=False, timeout=30, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"pec watch {' '.join(args)} was not refused: still running after 30 s")


def test_a_webhook_without_a_secret_is_refused(home, sandbox):
    run = refused_at_start(home, "--webhook", "https://127.0.0.1:9/hook", "--ca-file", sandbox["PEC_SANDBOX_CA_FILE"])
    assert run.returncode == 1, f"exit {run.returncode} without a webhook secret:\n{run.stderr}{run.stdout}"
    assert run.stderr.strip(), "no error on stderr"


def test_plain_http_is_refused_unless_the_host_is_loopback(home, watches, secret, sandbox):
    env = {"PEC_WEBHOOK_SECRET": secret}
    run = refused_at_start(home, "--webhook", "http://example.com/hook", "--ca-file", sandbox["PEC_SANDBOX_CA_FILE"],
                           env=env)
    assert run.returncode != 0 and run.stderr.strip(), f"http://example.com accepted: exit {run.returncode}\n{run.stderr}"
    # Loopback over plain HTTP is allowed (a local relay): the watch starts and keeps running.
    watch = watches(home, ["--webhook", "http://127.0.0.1:9/hook", "--ca-file", sandbox["PEC_SANDBOX_CA_FILE"]], env)
    time.sleep(SETTLE_SECONDS)
    assert watch.alive, f"http://127.0.0.1 refused:\n{watch.describe()}"
