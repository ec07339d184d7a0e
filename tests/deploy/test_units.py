"""The systemd units in deploy/ as systemd reads them: no warnings, and hardened."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
INSTALLED_PAYBOT = "/opt/paybot/venv/bin/paybot"
# systemd-analyze security's scale: 0 is locked down, 10 is fully exposed; "OK" ends at 2.0.
MOST_EXPOSURE = 2.0

needs_systemd = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here"
)


def as_installed_here(unit: Path, folder: Path) -> Path:
    """The unit with paybot's path on this machine (systemd checks that ExecStart exists)."""
    paybot = Path(sys.executable).with_name("paybot")
    copy = folder / unit.name
    copy.write_text(unit.read_text().replace(INSTALLED_PAYBOT, str(paybot)))
    return copy


def test_there_are_units_for_the_server_and_the_jobs() -> None:
    assert [unit.name for unit in UNITS] == ["paybot-jobs.service", "paybot-serve.service"]
    serve, jobs = (
        (DEPLOY / "paybot-serve.service").read_text(),
        (DEPLOY / "paybot-jobs.service").read_text(),
    )
    assert f"ExecStart={INSTALLED_PAYBOT} serve" in serve
    assert f"ExecStart={INSTALLED_PAYBOT} jobs" in jobs
    for text in (serve, jobs):
        assert "EnvironmentFile=/etc/paybot/paybot.env" in text
        assert "User=paybot" in text and "ProtectSystem=strict" in text


@needs_systemd
@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_systemd_reads_the_unit_without_a_warning(unit: Path, tmp_path: Path) -> None:
    copy = as_installed_here(unit, tmp_path)
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr


@needs_systemd
@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_the_unit_is_hardened(unit: Path, tmp_path: Path) -> None:
    copy = as_installed_here(unit, tmp_path)
    analysed = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--no-pager", str(copy)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", analysed.stdout)
    assert found, analysed.stdout + analysed.stderr
    assert float(found.group(1)) <= MOST_EXPOSURE, analysed.stdout
