"""Two paybot processes dispatching at once against one PostgreSQL send each payment once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from paybot.bank.sandbox import read_order
from paybot.core.company import DispatchTiming
from paybot.core.payments import ReferenceType
from paybot.core.states import PaymentStatus
from paybot.services import companies, proposals
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

PAYMENTS = 40
ROUNDS = 3


def test_two_dispatchers_at_once_send_every_payment_exactly_once(
    uow: UnitOfWork, database_url: str, tmp_path: Path
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("several processes against one database: PostgreSQL only")
    phone = a_company(uow)
    assert phone is not None
    outbox = tmp_path / "outbox"
    companies.update_settings(uow, org_no=ORG_NO, timing=DispatchTiming.IMMEDIATE, now=NOW)
    companies.set_bank_account(
        uow,
        org_no=ORG_NO,
        account=COMPANY_ACCOUNT,
        values={"gateway": "directory", "outbox": str(outbox), "inbox": str(tmp_path / "inbox")},
        now=NOW,
    )
    items = [
        an_item(amount=Decimal(100 + n), reference_type=ReferenceType.MESSAGE, reference=f"F {n}")
        for n in range(PAYMENTS)
    ]
    ids = sorted(p.id for p in ledger_with(uow, items, [a_supplier()]).values())
    sign_with(uow, phone, ids)
    later = (phone.at + timedelta(minutes=5)).isoformat()
    env = {
        **os.environ,
        "PAYBOT_DATABASE_URL": database_url,
        "PAYBOT_FILES_DIR": str(tmp_path / "files"),
    }
    for _ in range(ROUNDS):
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "paybot", "dispatch", "--now", later],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        for run in runs:
            _, err = run.communicate(timeout=120)
            assert run.returncode == 0, err.decode()

    sent = Counter(
        payment.end_to_end_id
        for file in outbox.glob("*.xml")
        for payment in read_order(file.read_bytes())
    )
    assert len(sent) == PAYMENTS and set(sent.values()) == {1}
    statuses = {
        p.id: p.status for p in proposals.list_payments(uow, company_org_no=ORG_NO, statuses=None)
    }
    assert all(statuses[i] is PaymentStatus.PROCESSING for i in ids)
