"""`paybot payments sign` with PAYBOT_TIMEZONE=Asia/Tokyo: the signer's daily limit counts over a
Tokyo day, not an Oslo one. On both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pyotp
import pytest
from typer.testing import CliRunner

from paybot.cli import context
from paybot.cli.main import app
from paybot.container import reset as reset_container
from paybot.core.otp import code_at
from paybot.core.policy import Role
from paybot.core.states import PaymentStatus
from paybot.services import otp, payments, people
from paybot.services.secrets import SecretBox
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO, OSLO, SIGNER, a_company, a_supplier, an_item, ledger_with

# Either side of Oslo's midnight, both on 25 November in Tokyo (07:30 and 08:30 there).
EVENING = datetime(2026, 11, 24, 23, 30, tzinfo=OSLO)
MORNING = datetime(2026, 11, 25, 0, 30, tzinfo=OSLO)
KIDS = ("0000001230", "0000001248")
KEY = SecretBox.new_key()


@pytest.fixture
def secret(uow: UnitOfWork) -> str:
    """Acme AS; its signer may sign NOK 1,000.00 a day and has an enrolled phone (its secret)."""
    a_company(uow, with_people=False)
    people.add_user(
        uow,
        company_org_no=ORG_NO,
        slack_user_id=SIGNER.slack_user_id,
        name="Sigrid Signer",
        roles=[Role.SIGNER],
        now=NOW,
    )
    people.set_user(uow, company_org_no=ORG_NO, user=SIGNER, max_per_day=Decimal("1000"), now=NOW)
    box = SecretBox(KEY)
    enrollment = otp.enroll(uow, box, company_org_no=ORG_NO, user=SIGNER, now=NOW)
    found = pyotp.parse_uri(enrollment.uri).secret
    otp.confirm(uow, box, user=SIGNER, code=code_at(found, NOW), now=NOW)
    return str(found)


@pytest.fixture
def two(uow: UnitOfWork, secret: str) -> list[int]:
    """Two blue proposals of NOK 800.00: both together are above the day's limit."""
    items = [an_item(amount=Decimal("800.00"), reference=kid) for kid in KIDS]
    found = ledger_with(uow, items, [a_supplier()])
    return [int(found[item.voucher_no].id) for item in items]


@pytest.fixture
def tokyo(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYBOT_SECRET_KEY", KEY)
    monkeypatch.setenv("PAYBOT_TIMEZONE", "Asia/Tokyo")
    reset_container()
    yield
    reset_container()


def sign(monkeypatch: pytest.MonkeyPatch, secret: str, payment_id: int, at: datetime) -> str:
    monkeypatch.setattr(context, "now", lambda: at)
    code = code_at(secret, at)
    args = ["payments", "sign", str(payment_id), "--as", SIGNER.slack_user_id, "--code", code]
    result = CliRunner().invoke(app, args)
    return result.stdout + (result.stderr or "")


def test_signatures_either_side_of_oslo_midnight_count_on_one_tokyo_day(
    uow: UnitOfWork,
    monkeypatch: pytest.MonkeyPatch,
    tokyo: None,
    secret: str,
    two: list[int],
) -> None:
    first, second = two
    assert "now due" in sign(monkeypatch, secret, first, EVENING)
    refused = sign(monkeypatch, secret, second, MORNING)
    assert "NOK 200.00 is left today" in refused
    assert payments.show(uow, payment_id=second).payment.status is PaymentStatus.PROPOSED
