"""The webhook receiver itself, driven by Python's own HTTPS clients: if the receiver is wrong, the pec
tests beside this file prove nothing. Needs only `openssl` (no sandbox, no pec)."""

import http.client
import json
import shutil
import socket
import ssl
import struct
import time
import urllib.error
import urllib.request

import pytest

from receiver import Receiver, Rule, make_certificates

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command line")


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("webhook-ca"))


@pytest.fixture
def receiver(certificates, tmp_path):
    r = Receiver(certificates, tmp_path / "posts.jsonl").start()
    yield r
    r.stop()


def client_context(certificates):
    return ssl.create_default_context(cafile=str(certificates.ca))


def post(receiver, body=b'{"x":1}', path="/hook", headers=None, host="127.0.0.1", timeout=10):
    """One POST on a fresh connection: (status, headers, body), or the exception it raised."""
    url = f"https://{host}:{receiver.port}{path}"
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, context=client_context(receiver.certificates), timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_records_a_post_and_answers_200(receiver, tmp_path):
    status, _, answer = post(receiver, b'{"event":"pec_delivery"}', headers={"Idempotency-Key": "evt_1"})
    assert status == 200 and json.loads(answer) == {"received": 1}
    [p] = receiver.posts
    assert (p.method, p.path, p.body, p.status, p.answered) == ("POST", "/hook", b'{"event":"pec_delivery"}', 200, True)
    assert p.header("idempotency-key") == "evt_1" and p.header("Content-Type") == "application/json"
    assert p.acknowledged and abs(p.received_at - time.time()) < 10
    [line] = (tmp_path / "posts.jsonl").read_text().splitlines()
    logged = json.loads(line)
    assert logged["body"] == '{"event":"pec_delivery"}' and logged["status"] == 200 and logged["answered"] is True


def test_the_certificate_is_for_127_0_0_1_and_localhost_and_only_its_ca_trusts_it(receiver):
    assert post(receiver, host="localhost")[0] == 200
    with pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen(urllib.request.Request(receiver.url(), data=b"{}"),
                               context=ssl.create_default_context(), timeout=10)  # the system store only
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
    receiver.wait_for(lambda _: receiver.tls_errors, 5, "the failed handshake recorded")
    assert len(receiver.posts) == 1  # the refused client never got as far as a request


def test_plan_answers_503_to_the_first_two_matching_posts_then_200(receiver):
    receiver.plan(Rule(503, times=2, match=b"REF-7"), Rule(400, times=1, match=b"bad"))
    assert post(receiver, b'{"ref":"other"}')[0] == 200  # not claimed by any rule
    assert [post(receiver, b'{"ref":"REF-7"}')[0] for _ in range(3)] == [503, 503, 200]
    assert post(receiver, b'{"bad":1}')[0] == 400
    assert post(receiver, b'{"bad":1}')[0] == 200  # times=1
    assert [p.status for p in receiver.posts] == [200, 503, 503, 200, 400, 200]
    assert [p.rule for p in receiver.posts] == [None, 0, 0, None, 1, None]


def test_retry_after_and_other_response_headers(receiver):
    receiver.plan(Rule(429, headers={"Retry-After": "4"}))
    status, headers, _ = post(receiver)
    assert status == 429 and headers["Retry-After"] == "4"


def test_down_refuses_connections_and_comes_back_on_the_same_port(receiver):
    port = receiver.port
    receiver.go_down(1.5)
    assert receiver.is_down
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    deadline = time.monotonic() + 10
    while receiver.is_down:
        assert time.monotonic() < deadline, "the receiver did not come back"
        time.sleep(0.05)
    assert receiver.port == port and post(receiver)[0] == 200
    [(down_at, up_at)] = receiver.down_periods
    assert 1.4 < up_at - down_at < 5


def test_down_in_reset_mode_resets_each_connection_and_counts_it(receiver):
    receiver.plan(Rule(200, match=b"first", down_after=1.5, down_mode="reset"))
    assert post(receiver, b'{"n":"first"}')[0] == 200
    time.sleep(0.3)
    for _ in range(3):
        with pytest.raises(urllib.error.URLError) as reset:
            post(receiver, b'{"n":"lost"}')
        assert isinstance(reset.value.reason, (ConnectionResetError, ssl.SSLError, OSError)), reset.value
    assert len(receiver.resets) == 3
    receiver.wait_for(lambda _: not receiver.is_down, 10, "back up")
    assert post(receiver, b'{"n":"back"}')[0] == 200
    assert [json.loads(p.body)["n"] for p in receiver.posts] == ["first", "back"]


def test_down_after_answering_drops_a_keep_alive_request_and_refuses_new_connections(receiver):
    receiver.plan(Rule(200, match=b"first", down_after=1.5))
    connection = http.client.HTTPSConnection("127.0.0.1", receiver.port, timeout=10,
                                             context=client_context(receiver.certificates))
    connection.request("POST", "/hook", body=b'{"n":"first"}', headers={"Content-Type": "application/json"})
    assert connection.getresponse().read() and True
    # The same keep-alive connection, an instant later: the receiver is down, the request is not answered.
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ssl.SSLError)):
        connection.request("POST", "/hook", body=b'{"n":"second"}')
        connection.getresponse()
    connection.close()
    time.sleep(0.3)
    with pytest.raises(urllib.error.URLError) as refused:
        post(receiver, b'{"n":"third"}')
    assert isinstance(refused.value.reason, ConnectionRefusedError)
    receiver.wait_for(lambda _: not receiver.is_down, 10, "back up")
    assert post(receiver, b'{"n":"fourth"}')[0] == 200
    statuses = [(json.loads(p.body)["n"], p.status, p.answered) for p in receiver.posts]
    # "second" may be dropped after being read (recorded, unanswered) or refused before: never answered.
    assert statuses[0] == ("first", 200, True) and statuses[-1] == ("fourth", 200, True)
    assert all(not answered for n, _, answered in statuses if n == "second")
    assert "third" not in [n for n, _, _ in statuses]


def test_keep_alive_connections_are_reused_and_counted(receiver):
    connection = http.client.HTTPSConnection("127.0.0.1", receiver.port, timeout=10,
                                             context=client_context(receiver.certificates))
    for n in range(2):
        connection.request("POST", "/hook", body=json.dumps({"n": n}).encode())
        assert connection.getresponse().read()
    connection.close()
    post(receiver)
    assert [p.connection for p in receiver.posts] == [1, 1, 2]


def test_delay_holds_the_answer_and_on_request_sees_the_post_in_flight(receiver):
    seen = []
    receiver.plan(Rule(200, delay=1.0, on_request=lambda p: seen.append((p.n, p.answered))))
    started = time.monotonic()
    assert post(receiver)[0] == 200
    assert time.monotonic() - started >= 0.95
    assert seen == [(1, False)]


def test_a_client_gone_during_the_delay_is_recorded_and_the_receiver_carries_on(receiver):
    receiver.plan(Rule(200, delay=1.0))
    raw = socket.create_connection(("127.0.0.1", receiver.port), timeout=5)
    tls = client_context(receiver.certificates).wrap_socket(raw, server_hostname="127.0.0.1")
    tls.sendall(b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    receiver.wait_for(lambda posts: posts, 5, "the request read")
    # Gone with a reset, as a SIGKILLed process's socket is closed by the kernel.
    tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    tls.close()
    receiver.wait_for(lambda posts: posts[0].answered or posts[0].note, 5, "the delayed answer attempted")
    # Writing into a socket the peer reset may still "succeed" (it lands in the kernel's buffer) or fail:
    # either way the post is recorded with what was to be answered, and the receiver carries on.
    assert receiver.posts[0].status == 200
    assert post(receiver)[0] == 200


def test_chunked_bodies_are_read_whole(receiver):
    connection = http.client.HTTPSConnection("127.0.0.1", receiver.port, timeout=10,
                                             context=client_context(receiver.certificates))
    connection.request("POST", "/hook", body=iter([b'{"a":', b'"b"}']), encode_chunked=True,
                       headers={"Transfer-Encoding": "chunked"})
    assert connection.getresponse().status == 200
    connection.close()
    assert receiver.posts[0].body == b'{"a":"b"}'


def test_stop_ends_a_delayed_answer_and_every_thread(certificates, tmp_path):
    r = Receiver(certificates, tmp_path / "p.jsonl").start()
    r.plan(Rule(200, delay=30))
    raw = socket.create_connection(("127.0.0.1", r.port), timeout=5)
    tls = client_context(certificates).wrap_socket(raw, server_hostname="127.0.0.1")
    tls.sendall(b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    r.wait_for(lambda posts: posts, 5, "the request read")
    started = time.monotonic()
    r.stop()
    assert time.monotonic() - started < 5
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", r.port), timeout=5).close()
    tls.close()
