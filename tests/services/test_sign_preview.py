"""What "Sign all blue" (and the Sign modal) shows before a code is typed: the payments a person
may sign now, the total per currency, and what is left out and why (both databases)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from paybot.core.errors import InvalidOtp
from paybot.core.payments import Flag
from paybot.core.policy import Role
from paybot.core.states import PaymentStatus
from paybot.services import companies, payments, people, rates, sign_preview, signing
from paybot.services.common import ActorRef
from paybot.services.sign_preview import Blocker, Skip, blue_to_sign, to_sign
from paybot.store.uow import UnitOfWork
from tests.builders import (
    APPROVER,
    BOX,
    NOW,
    ORG_NO,
    OSLO,
    SIGNER,
    VIEWER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
    sign_with,
)

KIDS = ("0000001230", "0000001248", "0000001255", "0000001263")


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    found = a_company(uow)
    assert found is not None
    return found


def three_blue(uow: UnitOfWork) -> list[int]:
    """NOK 1,250 + NOK 3,750 + EUR 200, all blue; and one red (no reference)."""
    found = ledger_with(
        uow,
        [
            an_item(reference=KIDS[0]),
            an_item(amount=Decimal("3750.00"), reference=KIDS[1]),
            an_item(amount=Decimal("200.00"), currency="EUR", reference=KIDS[2]),
            an_item(amount=Decimal("99.00"), reference=None),
        ],
        [a_supplier()],
    )
    blue = sorted(p.id for p in found.values() if p.flag is Flag.BLUE)
    assert len(blue) == 3
    return blue


def eur_rate(uow: UnitOfWork) -> None:
    rates.set_rate(uow, currency="EUR", rate=Decimal("11.5"), valid_from=date(2026, 11, 1), now=NOW)


def test_blue_proposals_are_counted_with_a_total_per_currency(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    blue = three_blue(uow)
    eur_rate(uow)
    preview = blue_to_sign(uow, actor=SIGNER, company_org_no=ORG_NO, now=NOW, zone=OSLO)
    assert sorted(p.id for p in preview.payments) == blue
    assert preview.totals == {"NOK": Decimal("5000.00"), "EUR": Decimal("200.00")}
    assert preview.total_company == Decimal("7300.00")
    assert preview.left_out == [] and preview.blocker is None


def test_payments_above_the_per_payment_limit_are_left_out_and_counted(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    three_blue(uow)
    eur_rate(uow)  # EUR 200 is NOK 2,300: above the limit too
    people.set_user(
        uow, company_org_no=ORG_NO, user=SIGNER, max_per_payment=Decimal("2000"), now=NOW
    )
    preview = blue_to_sign(uow, actor=SIGNER, company_org_no=ORG_NO, now=NOW, zone=OSLO)
    assert [p.amount for p in preview.payments] == [Decimal("1250.00")]
    assert preview.totals == {"NOK": Decimal("1250.00")}
    assert sorted(p.amount for p in preview.left_out_for(Skip.ABOVE_LIMIT)) == [
        Decimal("200.00"),
        Decimal("3750.00"),
    ]


def test_a_currency_without_a_rate_is_left_out_as_its_limit_cannot_be_checked(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    three_blue(uow)
    preview = blue_to_sign(uow, actor=SIGNER, company_org_no=ORG_NO, now=NOW, zone=OSLO)
    assert [p.currency for p in preview.left_out_for(Skip.NO_RATE)] == ["EUR"]
    assert preview.totals == {"NOK": Decimal("5000.00")}


def test_what_the_daily_limit_leaves_is_told(uow: UnitOfWork, phone: Authenticator) -> None:
    blue = three_blue(uow)
    eur_rate(uow)
    people.set_user(uow, company_org_no=ORG_NO, user=SIGNER, max_per_day=Decimal("6000"), now=NOW)
    sign_with(uow, phone, [blue[0]])  # NOK 1,250 signed today
    preview = blue_to_sign(uow, actor=SIGNER, company_org_no=ORG_NO, now=phone.at, zone=OSLO)
    assert preview.left_today == Decimal("4750.00")
    assert preview.total_company == Decimal("6050.00") and preview.above_day_limit


def test_proposals_wait_for_approval_where_the_company_asks_for_it(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    blue = three_blue(uow)
    eur_rate(uow)
    companies.update_settings(uow, org_no=ORG_NO, approval_required=True, now=NOW)
    payments.approve(uow, actor=APPROVER, payment_ids=[blue[0]], now=NOW)
    preview = blue_to_sign(uow, actor=SIGNER, company_org_no=ORG_NO, now=NOW, zone=OSLO)
    assert [p.id for p in preview.payments] == [blue[0]]
    assert len(preview.left_out_for(Skip.NEEDS_APPROVAL)) == 2


def test_a_payment_waiting_for_a_second_signer_is_not_offered_to_the_first_again(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    blue = three_blue(uow)
    eur_rate(uow)
    companies.update_settings(uow, org_no=ORG_NO, dual_control_threshold=Decimal("3000"), now=NOW)
    [signed] = sign_with(uow, phone, [blue[1]])  # NOK 3,750: needs two signers
    assert signed.payment.status is PaymentStatus.APPROVED and not signed.complete
    preview = blue_to_sign(uow, actor=SIGNER, company_org_no=ORG_NO, now=phone.at, zone=OSLO)
    assert [p.id for p in preview.left_out_for(Skip.SIGNED_ALREADY)] == [blue[1]]
    assert blue[1] not in [p.id for p in preview.payments]


@pytest.mark.parametrize(
    ("who", "blocker"), [(APPROVER, Blocker.NO_ROLE), (ActorRef("UNOBODY"), Blocker.NO_ROLE)]
)
def test_someone_without_the_signer_role_can_sign_nothing(
    uow: UnitOfWork, phone: Authenticator, who: ActorRef, blocker: Blocker
) -> None:
    three_blue(uow)
    preview = blue_to_sign(uow, actor=who, company_org_no=ORG_NO, now=NOW, zone=OSLO)
    assert preview.blocker is blocker and preview.payments == []


def test_a_signer_without_a_confirmed_device_is_told_to_enroll(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    three_blue(uow)
    people.set_user(uow, company_org_no=ORG_NO, user=VIEWER, roles=[Role.SIGNER], now=NOW)
    preview = blue_to_sign(uow, actor=VIEWER, company_org_no=ORG_NO, now=NOW, zone=OSLO)
    assert preview.blocker is Blocker.NOT_ENROLLED and preview.payments == []


def test_a_locked_signer_is_told_until_when(uow: UnitOfWork, phone: Authenticator) -> None:
    blue = three_blue(uow)
    at = phone.at + timedelta(minutes=5)
    for _ in range(5):
        with pytest.raises(InvalidOtp):
            signing.sign(
                uow, BOX, actor=SIGNER, payment_ids=blue[:1], code="000000", now=at, zone=OSLO
            )
    preview = blue_to_sign(uow, actor=SIGNER, company_org_no=ORG_NO, now=at, zone=OSLO)
    assert preview.blocker is Blocker.LOCKED
    assert preview.locked_until is not None and preview.locked_until > at


def test_at_most_so_many_are_signed_at_once_the_rest_next_round(
    uow: UnitOfWork, phone: Authenticator, monkeypatch: pytest.MonkeyPatch
) -> None:
    blue = three_blue(uow)
    eur_rate(uow)
    monkeypatch.setattr(sign_preview, "MAX_AT_ONCE", 2)
    preview = blue_to_sign(uow, actor=SIGNER, company_org_no=ORG_NO, now=NOW, zone=OSLO)
    assert len(preview.payments) == 2
    assert len(preview.left_out_for(Skip.TOO_MANY)) == 1
    assert {p.id for p in preview.payments} | {
        p.id for p in preview.left_out_for(Skip.TOO_MANY)
    } == set(blue)


def test_the_sign_modal_says_why_one_payment_cannot_be_signed_now(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    found = ledger_with(uow, [an_item(reference=None)], [a_supplier()])
    [red] = found.values()
    preview = to_sign(uow, actor=SIGNER, payment_ids=[red.id], now=NOW, zone=OSLO)
    assert preview.payments == [] and preview.left_out_for(Skip.INCOMPLETE) == [red]
    payments.delete(uow, actor=APPROVER, payment_ids=[red.id], now=NOW)
    preview = to_sign(uow, actor=SIGNER, payment_ids=[red.id], now=NOW, zone=OSLO)
    assert [item.why for item in preview.left_out] == [Skip.NOT_SIGNABLE]
