"""A dispatcher killed at any step neither loses a payment nor sends one twice.

Each test runs the real `paybot dispatch` in a subprocess that kills itself (SIGKILL) at one
step, lets "the bank" take whatever reached the outbox, runs `paybot dispatch` again, and
checks what the bank got and where the payments are.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from paybot.bank.sandbox import read_order
from paybot.core.company import DispatchTiming
from paybot.core.states import PaymentStatus
from paybot.services import companies, proposals, returns
from paybot.store.uow import UnitOfWork
from tests.builders import (
    COMPANY_ACCOUNT,
    NOW,
    ORG_NO,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
    sign_with,
)

STEPS = ["prepared", "written", "uploading", "uploaded", "recorded"]


def run_dispatch(database_url: str, files: Path, crash_at: str | None, now: str) -> int:
    env = {**os.environ, "PAYBOT_DATABASE_URL": database_url, "PAYBOT_FILES_DIR": str(files)}
    env.pop("PAYBOT_CRASH_AT", None)
    if crash_at:
        env["PAYBOT_CRASH_AT"] = crash_at
    done = subprocess.run(
        [sys.executable, "-m", "paybot", "dispatch", "--now", now],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode


def bank_takes(outbox: Path, taken: Path) -> None:
    """The bank picks up every complete file in the outbox."""
    taken.mkdir(exist_ok=True)
    for file in outbox.glob("*.xml"):
        file.rename(taken / f"{len(list(taken.iterdir()))}-{file.name}")


@pytest.mark.parametrize("step", STEPS)
def test_a_dispatcher_killed_at_any_step_neither_loses_nor_duplicates(
    uow: UnitOfWork, database_url: str, tmp_path: Path, step: str
) -> None:
    phone = a_company(uow)
    assert phone is not None
    outbox, inbox, taken = tmp_path / "outbox", tmp_path / "inbox", tmp_path / "bank"
    companies.update_settings(uow, org_no=ORG_NO, timing=DispatchTiming.IMMEDIATE, now=NOW)
    companies.set_bank_account(
        uow,
        org_no=ORG_NO,
        account=COMPANY_ACCOUNT,
        values={"gateway": "directory", "outbox": str(outbox), "inbox": str(inbox)},
        now=NOW,
    )
    items = [an_item(), an_item(reference="0000001230", amount=2 * an_item().amount)]
    found = ledger_with(uow, items, [a_supplier()])
    ids = sorted(p.id for p in found.values())
    sign_with(uow, phone, ids)
    later = (phone.at + timedelta(minutes=5)).isoformat()

    first = run_dispatch(database_url, tmp_path / "files", step, later)
    assert first == -9, "the dispatcher was killed at the step"
    bank_takes(outbox, taken)
    assert run_dispatch(database_url, tmp_path / "files", None, later) == 0
    bank_takes(outbox, taken)

    sent_ids = Counter(
        payment.end_to_end_id
        for file in taken.iterdir()
        for payment in read_order(file.read_bytes())
    )
    assert all(count == 1 for count in sent_ids.values()), f"sent twice: {sent_ids}"
    statuses = {
        p.id: p.status for p in proposals.list_payments(uow, company_org_no=ORG_NO, statuses=None)
    }
    assert all(statuses[i] is PaymentStatus.PROCESSING for i in ids), statuses
    if step == "uploading":
        # Killed after the batch was marked as being uploaded, before the file left: paybot
        # never sends such a file blindly again. The payments wait in Processing, and the
        # missing-return check puts them before a person after 24 banking hours.
        assert len(sent_ids) == 0
        late = returns.check_missing(uow, company_org_no=ORG_NO, now=NOW + timedelta(days=7))
        assert sorted(late) == ids
    else:
        assert len(sent_ids) == len(ids), "every payment reached the bank once"
