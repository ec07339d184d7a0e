"""The bank link's model-based test, with the budget CI affords (a long run: bench/)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.services.bank_link_model import BankLink

EXAMPLES = int(os.environ.get("PAYBOT_MODEL_EXAMPLES", "12"))
STEPS = int(os.environ.get("PAYBOT_MODEL_STEPS", "30"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_bank_link_keeps_its_promises_whatever_happens(
    database_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    BankLink.template, BankLink.root = sqlite_template, tmp_path
    run_state_machine_as_test(
        BankLink,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            derandomize=os.environ.get("CI") == "true",
        ),
    )
