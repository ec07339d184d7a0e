"""`paybot serve` in HTTP mode as a real process: several worker processes share the port, each
answers Slack's signed requests, and stopping the server stops them all."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from paybot.sandbox.slack_api import FakeSlackServer
from paybot.serving import RESTART_AFTER
from paybot.store import db
from paybot.store.uow import UnitOfWork
from tests.builders import SIGNER, a_company

SECRET = "serve-test-secret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _command(url: str, text: str) -> tuple[int, str]:
    body = urllib.parse.urlencode(
        {"command": "/bank", "text": text, "user_id": SIGNER.slack_user_id, "team_id": ""}
    )
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }
    request = urllib.request.Request(url, body.encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def _children(pid: int) -> list[int]:
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in found.stdout.split()]


@contextmanager
def _serving(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`paybot serve --workers 2` on SQLite, answering; stopped with SIGTERM afterwards."""
    url = f"sqlite:///{tmp_path / 'paybot.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    a_company(UnitOfWork(engine))
    engine.dispose()
    port = _free_port()
    with FakeSlackServer() as fake:
        env = {
            **os.environ,
            "PAYBOT_DATABASE_URL": url,
            "PAYBOT_SECRET_KEY": "x" * 43 + "=",
            "PAYBOT_SLACK_API_URL": fake.url,
            "SLACK_BOT_TOKEN": fake.slack.token,
            "SLACK_SIGNING_SECRET": SECRET,
        }
        env.pop("SLACK_APP_TOKEN", None)
        server = subprocess.Popen(
            [sys.executable, "-m", "paybot", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        endpoint = f"http://127.0.0.1:{port}/slack/events"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    status, answer = _command(endpoint, "status")
                    break
                except (OSError, urllib.error.URLError):
                    if server.poll() is not None or time.monotonic() > deadline:
                        output = server.stdout.read().decode() if server.stdout else ""
                        pytest.fail(f"paybot serve did not answer:\n{output}")
                    time.sleep(0.2)
            assert status == 200 and json.loads(answer)["response_type"] == "ephemeral"
            yield server, endpoint
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=15)


def test_the_http_server_answers_from_several_processes_and_stops_whole(tmp_path: Path) -> None:
    with _serving(tmp_path) as (server, endpoint):
        answers = [_command(endpoint, "status") for _ in range(6)]
        assert all(status == 200 for status, _ in answers)
        workers = _children(server.pid)
        assert len(workers) == 2  # the parent only supervises and runs the jobs
    time.sleep(0.2)
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers)


def test_a_worker_that_dies_is_started_again(tmp_path: Path) -> None:
    with _serving(tmp_path) as (server, endpoint):
        first = _children(server.pid)
        time.sleep(RESTART_AFTER + 0.5)  # a worker dying sooner would stop the server
        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            now = _children(server.pid)
            if len(now) == 2 and first[0] not in now:
                break
            time.sleep(0.2)
        assert len(now) == 2 and first[0] not in now and first[1] in now
        assert all(_command(endpoint, "status")[0] == 200 for _ in range(4))


# --- a setting Slack refuses, told in one line before any worker starts ------------------------


def _serve_once(tmp_path: Path, api_url: str, **settings: str | None) -> tuple[int, list[str]]:
    """`paybot serve` with these settings (None: unset), expected to stop at once: its exit
    code and the lines it printed (stdout and stderr)."""
    url = f"sqlite:///{tmp_path / 'paybot.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
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


def test_a_slack_that_cannot_be_reached_is_told_in_one_line(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{_free_port()}/api/"
    code, lines = _serve_once(tmp_path, nowhere, SLACK_BOT_TOKEN="xoxb-1")
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith(
        f"Error: could not reach Slack at {nowhere} to check SLACK_BOT_TOKEN"
    )
