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
from paybot.core.sends import AlarmKind
from paybot.core.states import PaymentStatus
from paybot.services import companies, payments, proposals
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
    interrupted = step in ("uploading", "uploaded")
    if interrupted:
        # Right after, another dispatcher may still be uploading it: the batch is left alone.
        assert statuses(uow) == dict.fromkeys(ids, PaymentStatus.DUE)
        # Later, paybot knows the upload broke off; the bank may have the file.
        much_later = (phone.at + timedelta(minutes=30)).isoformat()
        assert run_dispatch(database_url, tmp_path / "files", None, much_later) == 1
        bank_takes(outbox, taken)

    sent_ids = Counter(
        payment.end_to_end_id
        for file in taken.iterdir()
        for payment in read_order(file.read_bytes())
    )
    assert all(count == 1 for count in sent_ids.values()), f"sent twice: {sent_ids}"
    if not interrupted:
        assert statuses(uow) == dict.fromkeys(ids, PaymentStatus.PROCESSING)
        assert len(sent_ids) == len(ids), "every payment reached the bank once"
        return
    # Never sent blindly again: the payments go to a person at once, who checks the netbank.
    assert len(sent_ids) == (len(ids) if step == "uploaded" else 0)
    assert statuses(uow) == dict.fromkeys(ids, PaymentStatus.FAILED)
    for payment_id in ids:
        payment = payments.show(uow, payment_id=payment_id).payment
        assert payment.failure_kind == "no_return"
        assert "broke off" in (payment.failure_reason or "")
    with uow:
        [alarm] = uow.alarms.latest()
    assert alarm.kind is AlarmKind.UPLOAD_UNKNOWN
    assert "paybot stopped while the file was being uploaded" in alarm.message


def statuses(uow: UnitOfWork) -> dict[int, PaymentStatus]:
    found = proposals.list_payments(uow, company_org_no=ORG_NO, statuses=None)
    return {p.id: p.status for p in found}


def test_an_answer_read_before_the_upload_was_recorded_is_applied_not_lost(
    uow: UnitOfWork, database_url: str, tmp_path: Path
) -> None:
    """The sandbox bank answers inside the upload; paybot dies before recording the batch as
    sent; `paybot returns poll` reads the answers meanwhile; the next dispatch records it."""
    phone = a_company(uow)
    assert phone is not None
    companies.update_settings(uow, org_no=ORG_NO, timing=DispatchTiming.IMMEDIATE, now=NOW)
    companies.set_bank_account(
        uow,
        org_no=ORG_NO,
        account=COMPANY_ACCOUNT,
        values={
            "gateway": "sandbox",
            "outbox": str(tmp_path / "outbox"),
            "inbox": str(tmp_path / "inbox"),
            "sandbox": {"balance": "2000"},
        },
        now=NOW,
    )
    items = [an_item(), an_item(reference="0000001230", amount=2 * an_item().amount)]
    found = ledger_with(uow, items, [a_supplier()])
    booked, refused = sorted(found[item.voucher_no].id for item in items)
    sign_with(uow, phone, [booked, refused])
    later = phone.at + timedelta(minutes=5)

    assert run_dispatch(database_url, tmp_path / "files", "uploaded", later.isoformat()) == -9
    polled = subprocess.run(
        [sys.executable, "-m", "paybot", "returns", "poll"],
        env={**os.environ, "PAYBOT_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert polled.returncode == 0, polled.stderr
    assert "1 paid" in polled.stdout and "1 failed" in polled.stdout
    assert statuses(uow) == {booked: PaymentStatus.PAID, refused: PaymentStatus.FAILED}
    # Later, the batch the bank answered for is recorded as sent: nothing goes to a person.
    much_later = (later + timedelta(minutes=30)).isoformat()
    assert run_dispatch(database_url, tmp_path / "files", None, much_later) == 0
    assert statuses(uow) == {booked: PaymentStatus.PAID, refused: PaymentStatus.FAILED}
    with uow:
        assert uow.alarms.latest() == []
