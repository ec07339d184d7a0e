"""The client behind the reverse proxy: a request that came through a trusted proxy
(PAYBOT_TRUSTED_PROXIES) is taken to be from the client the proxy names in X-Forwarded-For, in
gunicorn's access line and the gate's refusals alike; the header of anyone else, or what a client
wrote into it itself, is never believed.

The addresses in the headers are documentation addresses (TEST-NET): nothing is sent to them."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from paybot.serving import ForwardedFor, trusted_networks
from tests.slack.test_serve import SECRET, _serving, _wait_for

# --- the rule, on the WSGI environ -----------------------------------------------------------


def _seen_from(remote: str, forwarded: str | None, trusted: str = "127.0.0.1") -> str:
    """REMOTE_ADDR as the application behind ForwardedFor sees it."""
    seen: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        seen.append(environ["REMOTE_ADDR"])
        return [b""]

    environ = {"REMOTE_ADDR": remote, "REQUEST_METHOD": "POST"}
    if forwarded is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    ForwardedFor(app, trusted_networks(trusted))(environ, lambda *args: None)
    assert environ["REMOTE_ADDR"] == seen[0]  # changed in place: the access line sees it too
    return seen[0]


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "client"),
    [
        # The proxy on the same machine names the client.
        ("127.0.0.1", "198.51.100.7", "127.0.0.1", "198.51.100.7"),
        # A peer that is no trusted proxy: its header is not believed, whatever it says.
        ("127.0.0.2", "198.51.100.7", "127.0.0.1", "127.0.0.2"),
        ("203.0.113.5", "127.0.0.1", "127.0.0.1", "203.0.113.5"),
        # The client wrote a header itself; the proxy appended what it saw: the last one counts.
        ("127.0.0.1", "203.0.113.9, 198.51.100.7", "127.0.0.1", "198.51.100.7"),
        ("127.0.0.1", "127.0.0.1,198.51.100.7", "127.0.0.1", "198.51.100.7"),
        # A load balancer (trusted) in front of the proxy: the address before it.
        ("127.0.0.1", "198.51.100.7, 10.1.2.3", "127.0.0.1,10.0.0.0/8", "198.51.100.7"),
        # Without the load balancer among the trusted, it is the client.
        ("127.0.0.1", "198.51.100.7, 10.1.2.3", "127.0.0.1", "10.1.2.3"),
        # Trusted all the way (a request from the proxy's own machine): the first one.
        ("127.0.0.1", "10.1.2.3, 127.0.0.1", "127.0.0.1,10.0.0.0/8", "10.1.2.3"),
        # What no proxy writes where the client should be: the peer stays.
        ("127.0.0.1", "198.51.100.7, unknown", "127.0.0.1", "127.0.0.1"),
        ("127.0.0.1", "198.51.100.7:443", "127.0.0.1", "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1", "127.0.0.1"),
        ("127.0.0.1", None, "127.0.0.1", "127.0.0.1"),
        # Before the client, anything: it is never read.
        ("127.0.0.1", "<script>, 198.51.100.7", "127.0.0.1", "198.51.100.7"),
        # IPv6, and an IPv4 peer as a dual-stack socket writes it.
        ("::1", "2001:db8::7", "::1", "2001:db8::7"),
        ("::ffff:127.0.0.1", "198.51.100.7", "127.0.0.1", "198.51.100.7"),
        ("127.0.0.1", "::ffff:198.51.100.7", "127.0.0.1", "198.51.100.7"),
        # No proxy trusted: nobody's header.
        ("127.0.0.1", "198.51.100.7", "", "127.0.0.1"),
    ],
)
def test_the_client_is_the_one_a_trusted_proxy_names(
    remote: str, forwarded: str | None, trusted: str, client: str
) -> None:
    assert _seen_from(remote, forwarded, trusted) == client


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert [str(n) for n in trusted_networks(" 127.0.0.1, 10.0.0.0/8,,::1 ")] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
    ]
    assert trusted_networks("") == ()
    for wrong in ("localhost", "10.0.0.1/8", "*", "127.0.0.1 10.0.0.1"):
        with pytest.raises(ValueError, match="is no IP address or network"):
            trusted_networks(wrong)


# --- through gunicorn, from a trusted and an untrusted peer ----------------------------------


def _post(port: int, *, source: str, forwarded: str, signed: bool = True) -> int:
    """A `/bank status` POSTed to 127.0.0.1:`port` from the loopback address `source`."""
    body = f"command=%2Fbank&text=status&user_id=U0NOBODY&team_id=&trigger_id=&n={time.time()}"
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}" if signed else "v0=00",
        "X-Forwarded-For": forwarded,
    }
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=10, source_address=(source, 0)
    )
    try:
        connection.request("POST", "/slack/events", body, headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_access_line_and_a_refusal_name_the_client_only_a_trusted_proxy_names(
    tmp_path: Path,
) -> None:
    """The proxy on the same machine connects from 127.0.0.1 (trusted, with a load balancer's
    network, as an admin may write them); a process that reaches the port past it connects from
    127.0.0.2."""
    trusted = {"PAYBOT_TRUSTED_PROXIES": " 127.0.0.1, 10.0.0.0/8,"}
    with _serving(tmp_path, settings=trusted) as served:
        port = served.port
        # Through the proxy: from a client that tried to pass itself off as 203.0.113.9.
        assert _post(port, source="127.0.0.1", forwarded="203.0.113.9, 198.51.100.7") == 200
        # Past it: whatever the header says, the peer is the client.
        assert _post(port, source="127.0.0.2", forwarded="198.51.100.8") == 200
        # Refused by the gate (unsigned): its log line names the same client.
        assert _post(port, source="127.0.0.1", forwarded="198.51.100.9", signed=False) == 401
        assert _post(port, source="127.0.0.2", forwarded="198.51.100.10", signed=False) == 401
        refusals = '"POST /slack/events HTTP/1.1" 401'
        _wait_for(lambda: served.output().count(refusals) == 2, "the access lines")
        output = served.output()
    marker = " gunicorn.access "
    access = [line.split(marker, 1)[1] for line in output.splitlines() if marker in line]
    # The workers write their lines in whichever order they finish.
    ok = [line.split(" ")[0] for line in access if '" 200 ' in line and "/slack/events" in line]
    assert {"198.51.100.7", "127.0.0.2"} <= set(ok)
    assert sorted(line.split(" ")[0] for line in access if '" 401 ' in line) == [
        "127.0.0.2",
        "198.51.100.9",
    ]
    assert "refused a request from 198.51.100.9 with 401" in output
    # Each access line of a Slack request names its request id, the one its log lines carry.
    ids = [line.rsplit(" request_id=", 1)[1] for line in access if "/slack/events" in line]
    assert len(set(ids)) == len(ids) and "-" not in ids
    [line_401] = [line for line in access if line.startswith('198.51.100.9 "') and '" 401 ' in line]
    [refused] = [line for line in output.splitlines() if "from 198.51.100.9 with 401" in line]
    assert refused.endswith(f"request_id={line_401.rsplit(' request_id=', 1)[1]}")
    assert "refused a request from 127.0.0.2 with 401" in output
    for never in ("203.0.113.9", "198.51.100.8", "198.51.100.10"):
        assert never not in output
