"""What reaches paybot's Slack endpoint before anyone is known: bodies are capped before they are
read, unsigned bodies are never parsed nor logged, malformed ones are answered 400 (not 500), and
a search asks for a page there can be. Real sockets against the endpoint, on both databases."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import select
import socket
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_bolt import BoltRequest
from typer.testing import CliRunner

from paybot.app import create_app
from paybot.cli.main import app
from paybot.container import reset as reset_container
from paybot.core.search_query import MAX_PAGE
from paybot.handlers.deps import Deps
from paybot.http_limits import MAX_BODY, BadBody, SlackGate, check_body
from paybot.sandbox.slack_http import FakeSlackServer
from paybot.store.uow import UnitOfWork
from tests.builders import VIEWER, a_company, a_supplier, an_item, ledger_with
from tests.slack.conftest import SECRET, SlackEndpoint

HUGE_PAGE = "99999999999999999999999"
MiB = 1024 * 1024
CHUNK = b"x" * (64 * 1024)  # sent again and again: the test never holds a big body itself
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    sent: int  # body bytes the server let us send before it answered


def rss() -> int:
    """This process's resident memory in bytes (the endpoint runs in it, on threads)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def signed_headers(body: bytes, *, secret: str = SECRET) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


def raw_post(
    endpoint: SlackEndpoint,
    headers: dict[str, str],
    body: Iterable[bytes],
    *,
    timeout: float = 30.0,
) -> Answer:
    """POSTs over a plain socket: the headers as given (a Content-Length may lie, or be
    missing), then the body's pieces for as long as the server takes them; stops sending as soon
    as an answer comes, and reads it."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode()
    deadline = time.monotonic() + timeout
    sent = 0
    with socket.create_connection(("127.0.0.1", endpoint.server.server_port)) as sock:
        sock.sendall(request)
        sock.setblocking(False)
        pieces: Iterator[bytes] = iter(body)
        pending = memoryview(next(pieces, b""))
        while pending and time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock], [], 0.5)
            if readable:
                break  # the server answered (or closed) before taking the whole body
            if writable:
                try:
                    taken = sock.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += taken
                pending = pending[taken:] or memoryview(next(pieces, b""))
        sock.setblocking(True)
        sock.settimeout(max(deadline - time.monotonic(), 0.1))
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    assert received.startswith(b"HTTP/"), f"no answer after {sent} bytes: {received[:200]!r}"
    status = int(received.split(b" ", 2)[1])
    return Answer(status, received.partition(b"\r\n\r\n")[2], sent)


def repeated(total: int) -> Iterator[bytes]:
    """`total` bytes of body, one small chunk at a time."""
    while total > 0:
        yield CHUNK[:total]
        total -= len(CHUNK)


def chunked(total: int) -> Iterator[bytes]:
    """The same, in HTTP/1.1 chunked encoding (no Content-Length)."""
    for piece in repeated(total):
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def post_bytes(
    endpoint: SlackEndpoint, body: bytes, content_type: str, *, sign: bool = True
) -> Answer:
    headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
    if sign:
        headers |= signed_headers(body)
    return raw_post(endpoint, headers, [body])


def nested(depth: int) -> str:
    return '{"type":"block_actions","a":' + "[" * depth + "]" * depth + "}"


# --- bodies over the cap -----------------------------------------------------------------------


def test_a_400_mib_body_is_refused_by_its_length_at_once_and_costs_no_memory(
    endpoint: SlackEndpoint,
) -> None:
    size = 400 * MiB
    assert endpoint.post("token=x", FORM, sign=False)[0] == 401  # warmed up: threads, imports
    before = rss()
    headers = {"Content-Type": FORM, "Content-Length": str(size)}
    answer = raw_post(endpoint, headers, repeated(size))
    grown = rss() - before
    print(
        f"400 MiB body: {answer.status} after {answer.sent} bytes; "
        f"RSS {before / MiB:.1f} MiB -> +{grown / MiB:.1f} MiB"
    )
    assert answer.status == 413, answer
    assert answer.sent < 64 * MiB  # not read: socket buffers only
    assert grown < 16 * MiB


def test_a_signed_body_over_the_cap_is_refused_too(endpoint: SlackEndpoint) -> None:
    body = b"payload=" + b"x" * MAX_BODY
    answer = post_bytes(endpoint, body, FORM)
    assert answer.status == 413


def test_a_body_just_under_the_cap_is_read_and_checked(endpoint: SlackEndpoint) -> None:
    body = b"token=" + b"x" * (MAX_BODY - 6)
    assert len(body) == MAX_BODY
    assert post_bytes(endpoint, body, FORM, sign=False).status == 401
    assert post_bytes(endpoint, body, FORM).status in (200, 404)  # signed: Bolt has it


def test_a_length_that_lies_low_gets_only_that_much_read(endpoint: SlackEndpoint) -> None:
    before = rss()
    headers = {"Content-Type": FORM, "Content-Length": "100"}
    answer = raw_post(endpoint, headers, repeated(400 * MiB))
    assert answer.status == 401 and answer.sent < 64 * MiB
    assert rss() - before < 16 * MiB


def test_a_chunked_body_without_a_length_is_read_no_further_than_the_cap(
    endpoint: SlackEndpoint,
) -> None:
    before = rss()
    headers = {"Content-Type": FORM, "Transfer-Encoding": "chunked"}
    answer = raw_post(endpoint, headers, chunked(400 * MiB))
    assert answer.status == 413 and answer.sent < 64 * MiB
    assert rss() - before < 16 * MiB


def test_a_body_without_a_length_is_refused_unread(endpoint: SlackEndpoint) -> None:
    answer = raw_post(endpoint, {"Content-Type": FORM}, repeated(4 * MiB))
    assert answer.status == 411


@pytest.mark.parametrize(
    ("length", "status"),
    [("abc", 400), ("-5", 400), ("1e3", 400), (" ", 411), ("9" * 40, 400), ("9" * 18, 413)],
)
def test_a_length_that_is_no_number_is_refused(
    endpoint: SlackEndpoint, length: str, status: int
) -> None:
    answer = raw_post(endpoint, {"Content-Type": FORM, "Content-Length": length}, [b"token=x"])
    assert answer.status == status


# --- unsigned requests: refused before anything is parsed --------------------------------------


def test_a_forged_small_request_gets_401(endpoint: SlackEndpoint) -> None:
    assert endpoint.command(VIEWER.slack_user_id, "status", sign=False)[0] == 401
    assert endpoint.command(VIEWER.slack_user_id, "status", secret="guessed")[0] == 401
    assert endpoint.command(VIEWER.slack_user_id, "status", age=600)[0] == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{", "application/json"),
        (nested(100_000).encode(), "application/json"),
        (b"payload=" + urllib.parse.quote(nested(100_000)).encode(), FORM),
        (b"payload=%FF", FORM),
        (b"\xff\xfe", FORM),
    ],
    ids=["bad-json", "nested-json", "nested-payload", "bad-encoding", "not-utf8"],
)
def test_an_unsigned_malformed_body_is_401_unparsed(
    endpoint: SlackEndpoint, body: bytes, content_type: str
) -> None:
    assert post_bytes(endpoint, body, content_type, sign=False).status == 401


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [("abc", "v0=00"), ("9" * 5000, "v0=00"), ("", ""), ("1.5", "v0=00")],
    ids=["word", "huge", "empty", "fraction"],
)
def test_a_timestamp_that_is_no_number_is_401(
    endpoint: SlackEndpoint, timestamp: str, signature: str
) -> None:
    headers = {
        "Content-Type": FORM,
        "Content-Length": "7",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    assert raw_post(endpoint, headers, [b"token=x"]).status == 401


# --- signed but malformed: 400, not 500 --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{", "application/json"),
        (b'{"type": ', FORM),  # starts like JSON: read as JSON whatever the type says
        (b"[1, 2]", "application/json"),
        (b'"text"', "application/json"),
        (nested(100_000).encode(), "application/json"),
        (nested(200).encode(), "application/json"),
        (b'{"n": ' + b"9" * 5000 + b"}", "application/json"),
        (b"payload=" + urllib.parse.quote(nested(100_000)).encode(), FORM),
        (b"payload=not+json", FORM),
        (b"payload=%5B1%5D", FORM),  # [1]: JSON, but no object
        (b"payload=%FF%FE", FORM),
        (b"\xff\xfe=1", FORM),
        (b"&".join(b"f%d=1" % n for n in range(5000)), FORM),
    ],
    ids=[
        "bad-json",
        "json-looking-form",
        "json-array",
        "json-string",
        "nested-100000",
        "nested-200",
        "huge-number",
        "nested-payload",
        "payload-not-json",
        "payload-array",
        "payload-bad-utf8",
        "not-utf8",
        "too-many-fields",
    ],
)
def test_a_signed_malformed_body_is_a_bad_request(
    endpoint: SlackEndpoint, body: bytes, content_type: str
) -> None:
    answer = post_bytes(endpoint, body, content_type)
    assert answer.status == 400, answer
    assert len(answer.body) < 200 and body[:40] not in answer.body


def test_a_signed_well_formed_request_still_works(endpoint: SlackEndpoint) -> None:
    status, text = endpoint.command(VIEWER.slack_user_id, "help")
    assert status == 200 and json.loads(text)["response_type"] == "ephemeral"


# --- nothing logs a body -----------------------------------------------------------------------

MARKER = "BODYMARKER"


def test_no_request_body_reaches_the_log(
    endpoint: SlackEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    form = urllib.parse.urlencode({"token": MARKER * 50_000, "text": MARKER})
    assert endpoint.post(form, FORM, sign=False)[0] == 401
    assert endpoint.post(form, FORM, secret="guessed")[0] == 401
    unhandled = {
        "type": "block_actions",
        "user": {"id": VIEWER.slack_user_id},
        "actions": [{"action_id": "no.such.action", "value": MARKER * 1000}],
    }
    assert endpoint.interact(unhandled)[0] == 404
    assert post_bytes(endpoint, f'{{"a": "{MARKER}"'.encode(), "application/json").status == 400
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert MARKER not in logged
    assert len(logged) < 10_000


def test_bolt_itself_logs_no_body_of_a_request_with_a_bad_signature(
    deps: Deps, caplog: pytest.LogCaptureFixture
) -> None:
    """Should a request reach Bolt unchecked (another server, another path), Bolt's own
    refusal (logged at INFO, with the body) is logged without it."""
    caplog.set_level(logging.DEBUG)
    with FakeSlackServer() as fake:
        bolt = create_app(
            token=fake.slack.token, signing_secret=SECRET, api_url=fake.url, deps=deps
        )
        body = urllib.parse.urlencode({"command": "/bank", "text": MARKER * 1000})
        headers = {"content-type": FORM, "x-slack-request-timestamp": str(int(time.time()))}
        refused = bolt.dispatch(BoltRequest(body=body, headers=headers))
    assert refused.status == 401
    messages = [record.getMessage() for record in caplog.records]
    assert any("Invalid request signature" in message for message in messages)
    assert all(MARKER not in message and len(message) < 1000 for message in messages)


# --- the page of a search ----------------------------------------------------------------------


@pytest.fixture
def ledger(uow: UnitOfWork) -> None:
    a_company(uow)
    ledger_with(uow, [an_item(), an_item()], [a_supplier()])


def ephemeral_text(answer: tuple[int, str]) -> str:
    status, body = answer
    assert status == 200, body
    data = json.loads(body)
    assert data["response_type"] == "ephemeral"
    return json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize("page", [HUGE_PAGE, "0", "-3", "two", str(MAX_PAGE + 1)])
def test_bank_search_with_a_page_there_cannot_be_names_the_field(
    endpoint: SlackEndpoint, ledger: None, page: str
) -> None:
    text = ephemeral_text(endpoint.command(VIEWER.slack_user_id, f"search page:{page}"))
    assert f"page: must be a whole number between 1 and {MAX_PAGE}" in text


def test_bank_search_pages_past_the_matches_say_there_is_no_such_page(
    endpoint: SlackEndpoint, ledger: None
) -> None:
    text = ephemeral_text(endpoint.command(VIEWER.slack_user_id, f"search page:{MAX_PAGE}"))
    assert f"there is no page {MAX_PAGE}" in text and "2 payment" in text
    first = ephemeral_text(endpoint.command(VIEWER.slack_user_id, "search currency:NOK page:1"))
    assert "2 payment(s) match `currency:NOK`" in first  # the page is no part of the title


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CliRunner]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    reset_container()
    yield CliRunner()
    reset_container()


def test_cli_search_with_a_page_there_cannot_be_names_the_field(
    cli: CliRunner, ledger: None
) -> None:
    result = cli.invoke(app, ["search", f"page:{HUGE_PAGE}"])
    output = result.stdout + (result.stderr or "")
    assert result.exit_code == 1, output
    assert output.strip() == (
        f"Error: page: must be a whole number between 1 and {MAX_PAGE}, got '{HUGE_PAGE}'"
    )


def test_cli_search_shows_the_page_asked_for(cli: CliRunner, ledger: None) -> None:
    def found(*terms: str) -> list[int]:
        result = cli.invoke(app, ["search", *terms, "--json"])
        assert result.exit_code == 0, result.stdout
        return [payment["id"] for payment in json.loads(result.stdout)["payments"]]

    everything = found()
    assert len(everything) == 2
    assert found("page:1") == everything and found("page:2") == []


# --- the gate as a WSGI application, under any server ------------------------------------------


class EndlessInput:
    """A wsgi.input that never ends, counting what is read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        assert size >= 0, "an unbounded read"
        self.read_bytes += size
        return b"x" * size


def call_gate(environ: dict[str, object]) -> tuple[str, bool]:
    """The gate's status line, and whether it let the request through to the app."""
    reached: list[bool] = []

    def inner(environ: dict[str, object], start_response: Any) -> list[bytes]:
        reached.append(True)
        start_response("200 OK", [])
        return [b""]

    statuses: list[str] = []
    gate = SlackGate(inner, signing_secret=SECRET)
    gate({"REQUEST_METHOD": "POST", **environ}, lambda status, headers: statuses.append(status))
    return statuses[0], bool(reached)


@pytest.mark.parametrize(
    ("headers", "status", "most"),
    [
        ({"CONTENT_LENGTH": str(400 * MiB)}, "413", 0),
        ({"HTTP_TRANSFER_ENCODING": "chunked"}, "413", MAX_BODY + 1),
        ({}, "411", 0),
        ({"CONTENT_LENGTH": "100"}, "401", 100),
        ({"CONTENT_LENGTH": str(MAX_BODY)}, "401", MAX_BODY),
    ],
    ids=["too-long", "chunked", "no-length", "lying-low", "at-the-cap"],
)
def test_the_gate_reads_no_more_than_the_cap_and_one_byte_from_any_server(
    headers: dict[str, str], status: str, most: int
) -> None:
    stream = EndlessInput()
    answered, reached = call_gate({"wsgi.input": stream, "CONTENT_TYPE": FORM, **headers})
    assert answered.startswith(status) and not reached
    assert stream.read_bytes <= most


class StalledInput:
    """A wsgi.input whose client sent a little, then nothing until the server timed out."""

    def __init__(self) -> None:
        self.calls = 0

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 1:
            raise TimeoutError("timed out")
        return b"token=x"


def test_a_body_that_stops_coming_is_a_bad_request() -> None:
    answered, reached = call_gate({"wsgi.input": StalledInput(), "CONTENT_LENGTH": "100"})
    assert answered.startswith("400") and not reached


def test_the_gate_hands_a_signed_body_on_as_it_came() -> None:
    body = urllib.parse.urlencode({"command": "/bank", "text": "help"}).encode()
    signed = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed_headers(body).items()}
    seen: list[bytes] = []

    def inner(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
        start_response("200 OK", [])
        return [b""]

    environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": FORM, "CONTENT_LENGTH": str(len(body))}
    statuses: list[str] = []
    SlackGate(inner, signing_secret=SECRET)(
        {**environ, **signed, "wsgi.input": io.BytesIO(body)},
        lambda status, headers: statuses.append(status),
    )
    assert statuses == ["200 OK"] and seen == [body]


def test_the_gate_will_not_run_without_a_signing_secret() -> None:
    with pytest.raises(ValueError, match="signing secret"):
        SlackGate(lambda environ, start_response: [], signing_secret=" ")


@given(st.binary(max_size=2048), st.sampled_from(["application/json", FORM, "text/plain", ""]))
def test_any_signed_body_is_passed_on_or_refused_with_400_never_an_error(
    body: bytes, content_type: str
) -> None:
    """Whatever a signed body holds, the gate answers 400 or hands on what Bolt will parse
    into an object (Bolt's own parser is then run on it, as it will be)."""
    try:
        parsed = check_body(body, content_type)
    except BadBody:
        return
    assert isinstance(parsed, dict)
    bolt = BoltRequest(body=body.decode(), headers={"content-type": content_type})
    assert isinstance(bolt.body, dict)
