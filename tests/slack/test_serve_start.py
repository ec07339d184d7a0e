"""`paybot serve` as it starts: a port another process holds is told at once, in one line; a
metrics folder the admin named is emptied of an earlier run's metrics files (and only of them);
Socket Mode warms up before it connects, as the HTTP server does before it forks its workers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from paybot.cli.serve import _check_listen
from paybot.core.errors import ValidationFailed
from paybot.sandbox.slack_http import FakeSlackServer
from tests.slack.test_serve import SECRET, _command, _database, _free_port, _serving

# What gunicorn would take to give up on a port in use: five tries, a second apart.
GUNICORN_GIVES_UP_AFTER = 5.0


def _serve(
    tmp_path: Path, api_url: str, *options: str, **settings: str | None
) -> tuple[int, list[str], float]:
    """`paybot serve OPTIONS` with a bot token the fake Slack takes and these settings (None:
    unset), expected to stop by itself: its exit code, the lines it printed (stdout, then stderr)
    and the seconds it ran."""
    env = {
        **os.environ,
        "PAYBOT_DATABASE_URL": _database(tmp_path, with_company=False),
        "PAYBOT_SECRET_KEY": "x" * 43 + "=",
        "PAYBOT_SLACK_API_URL": api_url,
        "SLACK_BOT_TOKEN": "xoxb-paybot-test",
        "SLACK_SIGNING_SECRET": SECRET,
    }
    for name in ("SLACK_APP_TOKEN", "PAYBOT_BIND", "PROMETHEUS_MULTIPROC_DIR", "PAYBOT_LOG_FORMAT"):
        env.pop(name, None)
    for name, value in settings.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "paybot", "serve", "--workers", "1", *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,  # no .env file of the developer's
    )
    took = time.monotonic() - started
    return done.returncode, (done.stdout + done.stderr).splitlines(), took


# --- a port in use ---------------------------------------------------------------------------


@contextmanager
def _listening(host: str) -> Iterator[int]:
    """A socket that listens on `host` at a free port, as another server would."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind((host, 0))
        holder.listen()
        yield int(holder.getsockname()[1])


@pytest.mark.parametrize("held_on", ["127.0.0.1", "0.0.0.0"], ids=["same-address", "all"])
def test_a_port_in_use_is_told_at_once_in_one_line(tmp_path: Path, held_on: str) -> None:
    with FakeSlackServer() as fake, _listening(held_on) as port:
        code, lines, took = _serve(tmp_path, fake.url, "--port", str(port))
        assert fake.slack.calls == []  # before Slack is asked anything
    assert code == 1
    assert lines == [
        f"Error: 127.0.0.1:{port} is in use: another process listens there (paybot serve already "
        "running?); stop it, or choose another with --port or PAYBOT_BIND."
    ]
    assert took < GUNICORN_GIVES_UP_AFTER  # gunicorn was never started to try


def test_a_port_whose_last_connections_are_still_closing_is_not_in_use() -> None:
    """Right after a restart, the old server's connections wait out TIME_WAIT on its port:
    gunicorn binds it all the same (SO_REUSEADDR), and so does the check."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = int(listener.getsockname()[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            accepted, _ = listener.accept()
            accepted.close()  # the server closes first: its side waits in TIME_WAIT
            assert client.recv(1) == b""
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))  # what a check without SO_REUSEADDR would find
    _check_listen(f"127.0.0.1:{port}")  # no refusal
    with _listening("127.0.0.1") as held, pytest.raises(ValidationFailed):
        _check_listen(f"127.0.0.1:{held}")


# --- PROMETHEUS_MULTIPROC_DIR named by the admin ---------------------------------------------

# A process of an earlier run that counted Slack requests into the folder, and died.
EARLIER_RUN = """
from paybot.ops import metrics
for _ in range(5):
    metrics.observe_request("command", "2xx", 0.02)
"""


def _slack_requests_counted(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as page:
        text = page.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("paybot_slack_requests_total{")
    )


def _an_earlier_run(folder: Path) -> list[str]:
    """The metrics files a process of an earlier run left in `folder`: their names."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    subprocess.run([sys.executable, "-c", EARLIER_RUN], env=env, check=True, timeout=120)
    left = sorted(p.name for p in folder.iterdir() if p.suffix == ".db")
    assert [name.split("_")[0] for name in left] == ["counter", "histogram"]
    return left


def test_a_named_metrics_folder_is_emptied_of_an_earlier_runs_metrics_files_only(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    earlier = _an_earlier_run(folder)
    # What else is kept there (not read by /metrics) is none of paybot's business.
    kept = {"notes.txt": b"x", "counter_1.db.bak": b"x", "counter_1.db-journal": b"x"}
    for name, content in kept.items():
        (folder / name).write_bytes(content)
    (folder / "old").mkdir()
    (folder / "old" / "counter_2.db").write_bytes(b"x")  # not in the folder itself

    with _serving(tmp_path, settings={"PROMETHEUS_MULTIPROC_DIR": str(folder)}) as served:
        for _ in range(3):
            assert _command(served.endpoint, "status")[0] == 200
        # This run's requests only (the first, waited for until it was answered, and three):
        # the five of the process gone are gone with its files.
        assert _slack_requests_counted(served.port) == 1 + 3
        assert not any(name in earlier for name in os.listdir(folder))
        for name, content in kept.items():
            assert (folder / name).read_bytes() == content
        assert (folder / "old" / "counter_2.db").read_bytes() == b"x"
    assert folder.is_dir()  # the admin's folder stays (a folder paybot made itself goes)
    assert list((tmp_path / "tmp").iterdir()) == []  # and paybot made none


@pytest.mark.parametrize("kind", ["missing", "a-file", "special"])
def test_a_named_metrics_folder_paybot_cannot_write_is_told_in_one_line(
    tmp_path: Path, kind: str
) -> None:
    """Special: a folder whose mode allows writing (as it does to root) on a filesystem that
    takes no files: only writing one shows it."""
    named = tmp_path / "metrics" if kind != "special" else Path("/proc")
    if kind == "a-file":
        named.write_text("not a folder")
    with FakeSlackServer() as fake:
        code, lines, _ = _serve(
            tmp_path, fake.url, "--port", str(_free_port()), PROMETHEUS_MULTIPROC_DIR=str(named)
        )
        assert fake.slack.calls == []
    assert code == 1
    assert lines == [
        f"Error: PROMETHEUS_MULTIPROC_DIR: {named} is not a folder paybot serve may write (the "
        "workers keep their metrics there); make it, or leave the variable unset for a folder of "
        "its own."
    ]
    if kind == "a-file":
        assert named.read_text() == "not a folder"


@pytest.mark.parametrize("kind", ["a-database", "a-folder", "a-link"])
def test_a_named_metrics_folder_with_another_db_in_it_is_refused_and_left_as_it_is(
    tmp_path: Path, kind: str
) -> None:
    """/metrics reads every `*.db` in the folder as prometheus-client's, and fails on another:
    the start stops instead, and nothing in the folder is removed."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    earlier = _an_earlier_run(folder)
    foreign = folder / ("paybot.db" if kind == "a-database" else "histogram_7.db")
    if kind == "a-database":
        foreign.write_bytes(b"SQLite format 3\x00")
    elif kind == "a-folder":
        foreign.mkdir()
    else:
        (tmp_path / "elsewhere").write_bytes(b"x")
        foreign.symlink_to(tmp_path / "elsewhere")
    with FakeSlackServer() as fake:
        code, lines, _ = _serve(
            tmp_path, fake.url, "--port", str(_free_port()), PROMETHEUS_MULTIPROC_DIR=str(folder)
        )
    assert code == 1
    assert lines == [
        f"Error: PROMETHEUS_MULTIPROC_DIR: {foreign} is no metrics file, and /metrics would read "
        "it as one; give paybot serve a folder of its own."
    ]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*earlier, foreign.name])
    assert (tmp_path / "elsewhere").exists() or kind != "a-link"


# --- PAYBOT_TRUSTED_PROXIES ------------------------------------------------------------------


def test_a_trusted_proxy_that_is_no_address_is_told_in_one_line(tmp_path: Path) -> None:
    with FakeSlackServer() as fake:
        code, lines, _ = _serve(
            tmp_path,
            fake.url,
            "--port",
            str(_free_port()),
            PAYBOT_TRUSTED_PROXIES="127.0.0.1, proxy.internal",
        )
        assert fake.slack.calls == []
    assert code == 1
    assert lines == [
        "Error: PAYBOT_TRUSTED_PROXIES: 'proxy.internal' is no IP address or network "
        "(e.g. 10.0.0.0/8)"
    ]


# --- Socket Mode -----------------------------------------------------------------------------


def test_socket_mode_warms_up_before_it_connects(tmp_path: Path, database_url: str) -> None:
    """The local Slack has no Socket Mode: `apps.connections.open` is refused, which stops the
    start right after the warm-up, the step before it."""
    with FakeSlackServer() as fake:
        code, lines, _ = _serve(
            tmp_path, fake.url, SLACK_APP_TOKEN="xapp-1-A0-1-x", PAYBOT_DATABASE_URL=database_url
        )
        asked = [call.method for call in fake.slack.calls]
        assert asked[-1] == "apps.connections.open" and "apps.connections.open" not in asked[:-1]
    assert code == 1
    assert lines[0] == "paybot serve: Socket Mode, jobs on."
    warmed = [n for n, line in enumerate(lines) if " INFO paybot.serve warmed up in " in line]
    refused = [n for n, line in enumerate(lines) if line.startswith("Error: Slack refused")]
    assert len(warmed) == 1 and len(refused) == 1, lines
    assert warmed[0] < refused[0]
    assert not any("warm-up before the first request failed" in line for line in lines)
