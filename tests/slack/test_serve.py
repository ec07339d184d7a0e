"""`paybot serve` in HTTP mode as a real process (gunicorn, threaded workers) against the local
Slack Web API: it answers signed requests on loopback only, a stop finishes the work after the
acknowledgements, a master that dies leaves no worker on the port, and a setting that stops the
start is told in one line."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from paybot.sandbox.slack_api import FakeSlack
from paybot.sandbox.slack_http import FakeSlackServer
from paybot.store import db
from paybot.store.uow import UnitOfWork
from tests.builders import SIGNER, a_company

SECRET = "serve-test-secret"
DEADLINE = 60.0  # seconds any awaited condition gets (a loaded CI machine is slow, never wrong)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_taken(port: int) -> bool:
    """Whether something still listens on 127.0.0.1:`port` (binding it fails)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def _wait_for(condition: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    until = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > until:
            pytest.fail(f"not within {deadline:.0f} s: {what}")
        time.sleep(0.05)


def _command(url: str, text: str, *, trigger_id: str = "", query: str = "") -> tuple[int, str]:
    body = urllib.parse.urlencode(
        {
            "command": "/bank",
            "text": text,
            "user_id": SIGNER.slack_user_id,
            "team_id": "",
            "trigger_id": trigger_id,
        }
    )
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }
    request = urllib.request.Request(url + query, body.encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def _children(pid: int) -> list[int]:
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in found.stdout.split()]


def _gone(pid: int) -> bool:
    """Whether the process has ended (a zombie, ended but not yet waited for, counts)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    fake: FakeSlackServer
    log: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _database(tmp_path: Path, *, with_company: bool = True) -> str:
    url = f"sqlite:///{tmp_path / 'paybot.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    if with_company:
        a_company(UnitOfWork(engine))
    engine.dispose()
    return url


@dataclass
class HeldSlack(FakeSlack):
    """A Slack that answers `held` calls only once the test releases them."""

    held: str = "views.open"
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def slow_down(self, method: str) -> None:
        if method == self.held:
            self.arrived.set()
            self.release.wait(DEADLINE)
        super().slow_down(method)


@contextmanager
def _serving(
    tmp_path: Path,
    *options: str,
    slack: FakeSlack | None = None,
    settings: dict[str, str] | None = None,
) -> Iterator[Served]:
    """`paybot serve --port P --workers 2` on SQLite (and these settings), answering; stopped (if
    it still runs) with SIGTERM afterwards. Its output goes to a file: a pipe nobody reads would
    stop it."""
    url = _database(tmp_path)
    port = _free_port()
    log = tmp_path / "serve.log"
    with FakeSlackServer(slack) as fake, log.open("wb") as output:
        env = {
            **os.environ,
            "PAYBOT_DATABASE_URL": url,
            "PAYBOT_SECRET_KEY": "x" * 43 + "=",
            "PAYBOT_SLACK_API_URL": fake.url,
            "SLACK_BOT_TOKEN": fake.slack.token,
            "SLACK_SIGNING_SECRET": SECRET,
        }
        for name in ("SLACK_APP_TOKEN", "PAYBOT_BIND", "PROMETHEUS_MULTIPROC_DIR"):
            env.pop(name, None)
        (tmp_path / "tmp").mkdir()
        env["TMPDIR"] = str(tmp_path / "tmp")  # where the metrics folder is made
        env.update(settings or {})
        server = subprocess.Popen(
            [sys.executable, "-m", "paybot", "serve", "--port", str(port), "--workers", "2"]
            + list(options),
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,  # no .env file of the developer's
        )
        served = Served(server, port, fake, log)
        try:
            until = time.monotonic() + DEADLINE
            while True:
                try:
                    status, answer = _command(served.endpoint, "status")
                    break
                except (OSError, urllib.error.URLError):
                    if server.poll() is not None or time.monotonic() > until:
                        pytest.fail(f"paybot serve did not answer:\n{served.output()}")
                    time.sleep(0.1)
            assert status == 200 and json.loads(answer)["response_type"] == "ephemeral"
            yield served
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
                pytest.fail(f"paybot serve did not stop:\n{served.output()}")


def test_it_answers_signed_requests_from_threaded_workers_on_loopback_only(
    tmp_path: Path,
) -> None:
    with _serving(tmp_path) as served:
        answers = [_command(served.endpoint, "status") for _ in range(6)]
        assert all(status == 200 for status, _ in answers)
        assert len(_children(served.process.pid)) == 2
        # The master warmed up before it forked them (tests/slack/test_warm_up.py: what for).
        assert "warmed up in" in served.output()
        assert "warm-up before the first request failed" not in served.output()
        # Bound to 127.0.0.1, not every address: another loopback address is refused.
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.2", served.port), timeout=5).close()
        # An access line per request: method, path, status; never the query string.
        assert _command(served.endpoint, "status", query="?token=do-not-log")[0] == 200
        _wait_for(lambda: '"POST /slack/events HTTP/1.1" 200' in served.output(), "access line")
        assert "do-not-log" not in served.output()
        # /metrics adds up the workers: every Slack request so far, whichever worker took it.
        with urllib.request.urlopen(f"http://127.0.0.1:{served.port}/metrics", timeout=10) as page:
            text = page.read().decode()
        counted = [
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("paybot_slack_requests_total{")
        ]
        assert sum(counted) == 1 + 6 + 1
        assert [p.name[:15] for p in (tmp_path / "tmp").iterdir()] == ["paybot-metrics-"]


def test_a_stop_finishes_the_work_after_an_acknowledgement_then_exits_0(tmp_path: Path) -> None:
    slack = HeldSlack()
    with _serving(tmp_path, slack=slack) as served:
        workers = _children(served.process.pid)
        status, _ = _command(served.endpoint, "", trigger_id=slack.new_trigger())
        assert status == 200  # acknowledged; the modal is opened after that, lazily
        _wait_for(slack.arrived.is_set, "the modal is being opened")
        served.process.send_signal(signal.SIGTERM)
        _wait_for(lambda: served.output().count("Worker exiting") == 2, "both workers stopping")
        assert served.process.poll() is None and slack.calls_to("views.open") == []
        slack.release.set()  # Slack answers at last
        assert served.process.wait(timeout=DEADLINE) == 0
        assert len(slack.calls_to("views.open")) == 1
        assert all(_gone(pid) for pid in workers)
        assert "unfinished" not in served.output()
        assert list((tmp_path / "tmp").iterdir()) == []  # the metrics folder is removed


def test_a_killed_master_leaves_no_worker_holding_the_port(tmp_path: Path) -> None:
    with _serving(tmp_path) as served:
        workers = _children(served.process.pid)
        assert len(workers) == 2
        served.process.send_signal(signal.SIGKILL)
        served.process.wait(timeout=DEADLINE)
        # The workers notice that their master is gone, stop, and close the port.
        _wait_for(lambda: all(_gone(pid) for pid in workers), "the workers stop")
        _wait_for(lambda: not _port_taken(served.port), "the port is free")


# --- a setting that stops the start, told in one line before any worker starts -----------------


def _serve_once(tmp_path: Path, api_url: str, **settings: str | None) -> tuple[int, list[str]]:
    """`paybot serve` with these settings (None: unset), expected to stop at once: its exit
    code and the lines it printed (stdout and stderr)."""
    url = _database(tmp_path, with_company=False)
    env = {
        **os.environ,
        "PAYBOT_DATABASE_URL": url,
        "PAYBOT_SECRET_KEY": "x" * 43 + "=",
        "PAYBOT_SLACK_API_URL": api_url,
        "SLACK_SIGNING_SECRET": SECRET,
    }
    env.pop("SLACK_APP_TOKEN", None)
    for name, value in settings.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    done = subprocess.run(
        [sys.executable, "-m", "paybot", "serve", "--port", str(_free_port()), "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,  # no .env file of the developer's
    )
    return done.returncode, (done.stdout + done.stderr).splitlines()


@pytest.mark.parametrize("app_token", [None, "xapp-1-A0-1-x"], ids=["http", "socket-mode"])
def test_a_token_slack_refuses_is_told_in_one_line(tmp_path: Path, app_token: str | None) -> None:
    with FakeSlackServer() as fake:
        code, lines = _serve_once(
            tmp_path, fake.url, SLACK_BOT_TOKEN="xoxb-not-the-one", SLACK_APP_TOKEN=app_token
        )
        assert [call.method for call in fake.slack.calls] == ["auth.test"]  # checked once
    assert code == 1
    assert lines == [
        "Error: Slack refused SLACK_BOT_TOKEN (invalid_auth): check the Bot User OAuth Token "
        "(xoxb-…) on the app's OAuth & Permissions page."
    ]


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"SLACK_BOT_TOKEN": None}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN"),
        ({"SLACK_SIGNING_SECRET": None}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": " "}, "SLACK_SIGNING_SECRET"),
    ],
    ids=["no-token", "empty-token", "no-secret", "blank-secret"],
)
def test_a_missing_token_or_secret_is_told_in_one_line(
    tmp_path: Path, settings: dict[str, str | None], named: str
) -> None:
    with FakeSlackServer() as fake:
        code, lines = _serve_once(
            tmp_path, fake.url, **{"SLACK_BOT_TOKEN": fake.slack.token, **settings}
        )
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith(f"Error: {named}: ")


@pytest.mark.parametrize("key", [None, "abc"], ids=["no-key", "not-a-key"])
def test_a_missing_or_malformed_secret_key_is_told_in_one_line(
    tmp_path: Path, key: str | None
) -> None:
    """Before Slack is asked anything: without the key no signer's code can be checked."""
    with FakeSlackServer() as fake:
        code, lines = _serve_once(
            tmp_path, fake.url, SLACK_BOT_TOKEN=fake.slack.token, PAYBOT_SECRET_KEY=key
        )
        assert fake.slack.calls == []
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith("Error: PAYBOT_SECRET_KEY is not ")
    assert "paybot otp new-key" in lines[0]


def test_a_slack_that_cannot_be_reached_is_told_in_one_line(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{_free_port()}/api/"
    code, lines = _serve_once(tmp_path, nowhere, SLACK_BOT_TOKEN="xoxb-1")
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith(
        f"Error: could not reach Slack at {nowhere} to check SLACK_BOT_TOKEN"
    )
