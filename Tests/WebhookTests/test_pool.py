"""A pool of `pec watch --all-accounts` workers sharing a PostgreSQL ledger (PEC_LEDGER_URL): 3 worker
processes, 12 sandbox accounts, one HTTPS webhook.

- every account is held by exactly one worker, 4 each;
- a send on every account: every event reaches the receiver;
- the worker delivering the webhook is SIGKILLed: its accounts and the webhook are held again by the others
  within the lease time plus 10 s, and the sends made meanwhile are delivered;
- another worker is stopped with SIGTERM: its accounts are held by the last one at once;
- no event is missing; an event posted twice always has the same event_id.

The accounts are shared ones (`pec auth login --shared`: in the database, passwords under the key of
PEC_SECRET_KEY_FILE); each worker has a HOME of its own, as on a machine of its own, with no local account. Needs the sandbox, the built pec, and the test
PostgreSQL (`scripts/postgres.sh`, PEC_TEST_POSTGRES_URL); each test has a schema of its own.
"""

import json
import os
import signal
import time
import uuid

import pytest

from conftest import Home
from test_webhooks import ANNA, about, expected_kinds, kind
from test_webhooks_accounts import wait_until

POOL_ACCOUNTS = 12
WORKERS = 3
LEASE_SECONDS = 10
TAKEOVER_SECONDS = LEASE_SECONDS + 10  # the bound for a killed worker
HANDOVER_SECONDS = 6  # SIGTERM: released at once, taken at the others' next look (every 1.7 s here)
BALANCE_SECONDS = 45  # 3 workers starting 1 s apart settle 4/4/4 within a few looks at the pool
DELIVERY_WAIT_SECONDS = 120
SETTLE_SECONDS = 4  # after the balance: each account's first sync is done (its history is not delivered)


@pytest.fixture
def ledger_url():
    url = os.environ.get("PEC_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PEC_TEST_POSTGRES_URL is not set: start a PostgreSQL with scripts/postgres.sh up DIR")
    return url + ("&" if "?" in url else "?") + f"schema=pool_{uuid.uuid4().hex[:12]}"


def pool_addresses(sandbox) -> list:
    addresses = sandbox.get("PEC_SANDBOX_POOL_USERS", "").split()
    if len(addresses) < POOL_ACCOUNTS:
        pytest.fail(f"the sandbox has {len(addresses)} pool mailboxes, {POOL_ACCOUNTS} needed "
                    "(PEC_SANDBOX_POOL_SIZE)")
    return addresses[:POOL_ACCOUNTS]


def workers(client) -> list:
    return client.ndjson("workers")


def holders(records) -> dict:
    """account -> the live workers holding it."""
    held = {}
    for record in records:
        if record["live"]:
            for account in record.get("accounts", []):
                held.setdefault(account, []).append(record["worker"])
    return held


def send_from(client, account, ref) -> str:
    return client.json("send", "--account", account, "--to", ANNA, "--subject", f"Pool {ref}",
                       "--body", "Prova del pool.", "--ref", ref, "--yes")["message_id"]


def acknowledged_kinds(posts) -> dict:
    """message_id -> the kinds acknowledged for it."""
    found = {}
    for post in posts:
        if post.acknowledged:
            for event in post.json().get("events", [post.json()]):
                found.setdefault(event["message_id"], set()).add(kind(event))
    return found


def all_delivered(message_ids):
    kinds = expected_kinds(ANNA)

    def predicate(posts):
        found = acknowledged_kinds(posts)
        return all(kinds <= found.get(m, set()) for m in message_ids)
    return predicate


def test_three_workers_share_twelve_accounts_and_survive_sigkill_and_sigterm(tmp_path, sandbox, receiver, watches,
                                                                            secret, ledger_url):
    addresses = pool_addresses(sandbox)
    client = Home(tmp_path / "client", sandbox)
    key = tmp_path / "team.key"
    client.pec("auth", "keygen", str(key))
    client.env.update({"PEC_LEDGER_URL": ledger_url, "PEC_SECRET_KEY_FILE": str(key)})
    for address in addresses:
        client.login(address.split("@")[0], "--shared")
    listed = client.ndjson("auth", "status")
    assert sorted(a["address"] for a in listed if a.get("shared")) == sorted(addresses), listed

    args = ["--all-accounts", "--json", "--lease", str(LEASE_SECONDS), "--ca-file", sandbox["PEC_SANDBOX_CA_FILE"],
            "--webhook", receiver.url("/pool"), "--webhook-ca-file", str(receiver.certificates.ca)]
    pool = []
    for n in range(WORKERS):
        machine = Home(tmp_path / f"worker-{n + 1}", sandbox)
        env = {"PEC_LEDGER_URL": ledger_url, "PEC_SECRET_KEY_FILE": str(key), "PEC_WEBHOOK_SECRET": secret}
        pool.append(watches(machine, args, env))
        time.sleep(1)

    def describe():
        return (json.dumps(workers(client), indent=1, default=str) + "\n"
                + "\n".join(w.describe() for w in pool))

    # Every account held by exactly one worker, 4 each.
    def balanced():
        records = [r for r in workers(client) if r["live"]]
        held = holders(records)
        return (len(records) == WORKERS and sorted(held) == sorted(addresses)
                and all(len(h) == 1 for h in held.values())
                and sorted(r["accounts_held"] for r in records) == [4, 4, 4]) and records
    records = wait_until(balanced, BALANCE_SECONDS, "12 accounts held once each, 4 per worker", describe)
    assert all(w.alive for w in pool), describe()
    assert sum(len(r.get("deliveries", [])) for r in records) == 1, f"one worker delivers the webhook: {records}"
    time.sleep(SETTLE_SECONDS)

    token = uuid.uuid4().hex[:8]
    sent = {send_from(client, a, f"pool-{token}-1-{i}"): a for i, a in enumerate(addresses)}
    receiver.wait_for(all_delivered(sent), DELIVERY_WAIT_SECONDS, f"every event of the {len(sent)} first sends")

    # SIGKILL the worker that delivers the webhook: its accounts and the webhook are taken over.
    records = [r for r in workers(client) if r["live"]]
    victim = next(r for r in records if r.get("deliveries"))
    killed = next(w for w in pool if w.process.pid == victim["pid"])
    killed.kill()
    killed_at = time.monotonic()
    killed.wait(10)
    orphans = victim["accounts"]
    second = {send_from(client, a, f"pool-{token}-2-{i}"): a for i, a in enumerate(orphans)}

    def taken_over():
        records = [r for r in workers(client) if r["live"]]
        held = holders(records)
        return (len(records) == WORKERS - 1 and sorted(held) == sorted(addresses)
                and all(len(h) == 1 and h[0] != victim["worker"] for h in held.values())
                and sum(len(r.get("deliveries", [])) for r in records) == 1) and records
    records = wait_until(taken_over, TAKEOVER_SECONDS + 5, "the killed worker's accounts held by the others",
                         describe)
    takeover = time.monotonic() - killed_at
    assert takeover <= TAKEOVER_SECONDS, f"taken over after {takeover:.1f} s (lease {LEASE_SECONDS} s)"
    assert sorted(r["accounts_held"] for r in records) == [6, 6], records
    receiver.wait_for(all_delivered(second), DELIVERY_WAIT_SECONDS, "the events of the sends made after the SIGKILL")

    # SIGTERM another: its accounts are handed over at once.
    stopped_record = records[0]
    stopped = next(w for w in pool if w.process.pid == stopped_record["pid"])
    stopped.signal(signal.SIGTERM)
    stopped_at = time.monotonic()
    assert stopped.wait(10) == 143, stopped.describe()
    last = next(r for r in records if r["worker"] != stopped_record["worker"])

    def handed_over():
        records = [r for r in workers(client) if r["live"]]
        return (len(records) == 1 and records[0]["worker"] == last["worker"]
                and sorted(records[0].get("accounts", [])) == sorted(addresses) and len(records[0].get("deliveries", [])) == 1)
    wait_until(handed_over, HANDOVER_SECONDS + 5, "every account held by the last worker", describe)
    handover = time.monotonic() - stopped_at
    assert handover <= HANDOVER_SECONDS, f"handed over after {handover:.1f} s"
    # The stopped worker left the list; the killed one is still listed, not live.
    listed = {r["worker"]: r for r in workers(client)}
    assert stopped_record["worker"] not in listed, listed
    assert listed[victim["worker"]]["live"] is False and not listed[victim["worker"]].get("accounts"), listed
    third = {send_from(client, a, f"pool-{token}-3-{i}"): a for i, a in enumerate(stopped_record["accounts"])}
    receiver.wait_for(all_delivered(third), DELIVERY_WAIT_SECONDS, "the events of the sends made after the SIGTERM")

    # Nothing missing, nothing forged: each event posted (maybe twice, in the crash window) with one event_id,
    # and exactly the ledger's events of each send.
    time.sleep(1)
    posts = [p for p in receiver.posts if p.acknowledged]
    all_sent = {**sent, **second, **third}
    ids = {}
    for post in posts:
        for message_id in all_sent:
            for event in about(post, message_id):
                ids.setdefault((message_id, kind(event)), set()).add(event["event_id"])
                assert event["account"] == all_sent[message_id], event
    for message_id in all_sent:
        for k in expected_kinds(ANNA):
            assert len(ids.get((message_id, k), set())) == 1, f"{message_id} {k}: event ids {ids.get((message_id, k))}"
    stored = {(e["message_id"], kind(e)): e["event_id"] for e in client.ledger() if e["message_id"] in all_sent}
    assert {k: {v} for k, v in stored.items()} == ids, "the posted events are not the ledger's"
    assert pool[[w.process.pid for w in pool].index(last["pid"])].alive, describe()


def test_a_teammate_makes_the_dossier_of_a_pec_another_machine_sent_and_recorded(tmp_path, sandbox, ledger_url):
    """The receipts recorded on machine A (its evidence store) are fetched again by `pec evidence` on machine B,
    checked against the ledger's SHA-256, and go into B's dossier; only the message as sent stays on A."""
    address = pool_addresses(sandbox)[-1]
    key = tmp_path / "team.key"
    machines = [Home(tmp_path / name, sandbox) for name in ("machine-a", "machine-b")]
    machines[0].pec("auth", "keygen", str(key))
    for machine in machines:
        machine.env.update({"PEC_LEDGER_URL": ledger_url, "PEC_SECRET_KEY_FILE": str(key)})
    a, b = machines
    a.login(address.split("@")[0], "--shared")
    ca = sandbox["PEC_SANDBOX_CA_FILE"]
    a.pec("--json", "sync", "--account", address, "--ca-file", ca)  # the mailbox's old receipts: history
    message_id = send_from(a, address, f"pool-dossier-{uuid.uuid4().hex[:8]}")

    def delivered():
        a.pec("--json", "sync", "--account", address, "--ca-file", ca)
        status = a.json("status", message_id)
        return all(r["status"] == "delivered" for r in status["recipients"]) and status
    wait_until(delivered, 60, f"{message_id} delivered, recorded by machine A", lambda: a.json("status", message_id))
    a_store = tmp_path / "machine-a" / "state" / "pec" / "receipts"
    recorded = {path.stem: path.read_bytes() for path in a_store.rglob("*.eml")}
    assert len(recorded) >= 2, "machine A keeps the receipts it read"
    # Another machine: the paths the ledger has for them lead nowhere there.
    a_store.rename(a_store.with_name("receipts-elsewhere"))

    out = tmp_path / "dossier-on-b"
    run = b.pec("evidence", message_id, "--account", address, "--out", str(out), "--ca-file", ca)
    report = json.loads((out / "report.json").read_text())
    kinds = sorted(r["pec_type"] for r in report["receipts"])
    assert kinds == ["accettazione", "avvenuta-consegna"], (kinds, report.get("warnings"), run.stderr)
    assert all(r["signature"]["status"] == "valid" for r in report["receipts"]), report["receipts"]
    for receipt in report["receipts"]:
        raw = (out / receipt["file"]).read_bytes()
        assert recorded.get(receipt["sha256"]) == raw, "B's copy is not the bytes A recorded"
    assert any("not in this machine's evidence store" in w for w in report.get("warnings", [])), report["warnings"]
    assert not (out / "01-messaggio-inviato.eml").exists()
