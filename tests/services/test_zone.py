"""The business time zone is the caller's (PAYBOT_TIMEZONE), not Oslo's: a company in Tokyo has
its daily signing limit counted over a Tokyo day, in the signing and in the sign preview. On both
databases."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from paybot.core.errors import LimitExceeded
from paybot.core.otp import code_at
from paybot.core.states import PaymentStatus
from paybot.services import payments, people, sign_preview, signing
from paybot.services.signing import Signed
from paybot.store.uow import UnitOfWork
from tests.builders import (
    BOX,
    NOW,
    ORG_NO,
    OSLO,
    SIGNER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)

TOKYO = ZoneInfo("Asia/Tokyo")
# Either side of Oslo's midnight, both on 25 November in Tokyo (07:30 and 08:30 there).
EVENING = datetime(2026, 11, 24, 23, 30, tzinfo=OSLO)
MORNING = datetime(2026, 11, 25, 0, 30, tzinfo=OSLO)
KIDS = ("0000001230", "0000001248")


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    """Acme AS with its signer, who may sign NOK 1,000.00 a day."""
    found = a_company(uow)
    assert found is not None
    people.set_user(uow, company_org_no=ORG_NO, user=SIGNER, max_per_day=Decimal("1000"), now=NOW)
    return found


@pytest.fixture
def two(uow: UnitOfWork, phone: Authenticator) -> list[int]:
    """Two blue proposals of NOK 800.00: both together are above the day's limit."""
    items = [an_item(amount=Decimal("800.00"), reference=kid) for kid in KIDS]
    found = ledger_with(uow, items, [a_supplier()])
    return [int(found[item.voucher_no].id) for item in items]


def sign_at(
    uow: UnitOfWork, phone: Authenticator, payment_id: int, at: datetime, zone: ZoneInfo
) -> list[Signed]:
    phone.at = at
    code = code_at(phone.secret, at)
    return signing.sign(
        uow, BOX, actor=phone.actor, payment_ids=[payment_id], code=code, now=at, zone=zone
    )


def status(uow: UnitOfWork, payment_id: int) -> PaymentStatus:
    return payments.show(uow, payment_id=payment_id).payment.status


def test_signatures_on_two_oslo_days_count_together_on_one_tokyo_day(
    uow: UnitOfWork, phone: Authenticator, two: list[int]
) -> None:
    first, second = two
    sign_at(uow, phone, first, EVENING, TOKYO)
    with pytest.raises(LimitExceeded, match="NOK 200.00 is left today"):
        sign_at(uow, phone, second, MORNING, TOKYO)
    assert status(uow, first) is PaymentStatus.DUE
    assert status(uow, second) is PaymentStatus.PROPOSED


def test_the_same_signatures_fall_on_two_days_in_oslo(
    uow: UnitOfWork, phone: Authenticator, two: list[int]
) -> None:
    first, second = two
    sign_at(uow, phone, first, EVENING, OSLO)
    [signed] = sign_at(uow, phone, second, MORNING, OSLO)
    assert signed.payment.status is PaymentStatus.DUE


@pytest.mark.parametrize(("zone", "left"), [(TOKYO, "200.00"), (OSLO, "1000.00")])
def test_the_sign_preview_counts_what_is_left_over_the_same_day(
    uow: UnitOfWork, phone: Authenticator, two: list[int], zone: ZoneInfo, left: str
) -> None:
    first, second = two
    sign_at(uow, phone, first, EVENING, zone)
    preview = sign_preview.to_sign(uow, actor=SIGNER, payment_ids=[second], now=MORNING, zone=zone)
    assert preview.left_today == Decimal(left)
    assert preview.above_day_limit is (zone is TOKYO)
