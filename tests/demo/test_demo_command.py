"""`paybot demo` as a person runs it: no configuration, one URL printed, Ctrl-C stops it all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

PAYBOT = Path(sys.executable).with_name("paybot")


def test_paybot_demo_prints_one_url_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("PAYBOT_", "SLACK_"))
    }
    # A real install's settings in the environment must not reach the demo.
    env["PAYBOT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'production.db'}"
    env["SLACK_BOT_TOKEN"] = "xoxb-a-real-workspace"
    process = subprocess.Popen(
        [str(PAYBOT), "demo", "--port", "0", "--dir", str(tmp_path / "demo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        assert str(tmp_path / "demo") in lines[0]
        url = lines[1].split("open ", 1)[1].split()[0]
        with urllib.request.urlopen(url, timeout=10) as page:
            assert b"paybot demo" in page.read()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not (tmp_path / "production.db").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)


def test_paybot_demo_refuses_a_folder_of_other_things(tmp_path: Path) -> None:
    (tmp_path / "ledger.csv").write_text("keep me")
    done = subprocess.run(
        [str(PAYBOT), "demo", "--port", "0", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "not empty" in done.stderr and (tmp_path / "ledger.csv").read_text() == "keep me"


def test_a_busy_port_is_said_in_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        done = subprocess.run(
            [str(PAYBOT), "demo", "--port", str(port), "--dir", str(tmp_path / "d")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2 and time.monotonic() - started < 30
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
