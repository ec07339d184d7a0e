"""The shared fixtures beside the project (`../shared/fixtures`: official XSDs, bank sample files,
Slack payloads), found in one place: a missing one skips a test on a developer's machine but fails
it in CI, so a CI run never passes by testing less."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
NOTHING_FOUND = "(nothing found)"


def in_ci() -> bool:
    """True when the tests run in CI (CI=true, as CI services set it)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(message: str) -> NoReturn:
    """Skips the test, or fails it in CI, where something it needs is not there."""
    __tracebackhide__ = True  # reported where the test asked for it
    if in_ci():
        pytest.fail(f"{message} (required in CI)", pytrace=False)
    pytest.skip(message)


def shared_fixture(relative_path: str) -> Path:
    """The shared fixture at `relative_path` (e.g. "iso20022/pain.001.001.03.xsd"); skips the
    test where it is missing, and fails it in CI."""
    __tracebackhide__ = True
    path = SHARED_FIXTURES / relative_path
    if not path.exists():
        missing(f"shared fixture not found: {path}")
    return path


def shared_fixture_names(folder: str, pattern: str = "*.xml") -> list[str]:
    """The names of the shared fixtures in `folder`, to parametrize a test over; where there are
    none, one placeholder, so the test still runs and reports them missing (shared_fixture)."""
    return sorted(path.name for path in (SHARED_FIXTURES / folder).glob(pattern)) or [NOTHING_FOUND]
