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
