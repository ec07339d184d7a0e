"""The App Home tab through the real endpoint (both databases): roles, limits, code state, counts
and short lists per status with working buttons, a Refresh button, never over 100 blocks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from paybot.core.company import CompanyInfo, DispatchTiming, Language, PostingMode
from paybot.core.payments import Flag, PaymentView, ReferenceType
from paybot.core.policy import Role
from paybot.core.signing import SignerLimits
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Act
from paybot.handlers.views.home import SHOWN, CompanyHome, home_view
from paybot.services import people, proposals
from paybot.services.people import Member
from paybot.store.uow import UnitOfWork
from tests.builders import (
    APPROVER,
    NOW,
    ORG_NO,
    OSLO,
    SIGNER,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)
from tests.slack.conftest import SlackEndpoint, text_of


@pytest.fixture(autouse=True)
def company(uow: UnitOfWork) -> dict[str, Any]:
    a_company(uow)
    return ledger_with(
        uow,
        [an_item(), an_item(amount=an_item().amount * 3, reference="0000001230")],
        [a_supplier()],
    )


def open_home(endpoint: SlackEndpoint, user: str, count: int = 1) -> dict[str, Any]:
    status, _ = endpoint.event({"type": "app_home_opened", "user": user, "tab": "home"})
    assert status == 200
    published = endpoint.slack.wait_for("views.publish", count)
    assert len(published) == count
    assert published[-1]["user_id"] == user
    return dict(published[-1]["view"])


def action_ids(view: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def test_opening_the_home_tab_shows_roles_limits_code_and_payments(
    endpoint: SlackEndpoint, uow: UnitOfWork
) -> None:
    people.set_user(
        uow, company_org_no=ORG_NO, user=SIGNER, max_per_payment=Decimal("50000"), now=NOW
    )
    view = open_home(endpoint, SIGNER.slack_user_id)
    text = text_of(view)
    assert view["type"] == "home"
    assert "*Acme AS* (974760673)" in text
    assert "Your roles: signer" in text
    assert "Signing limits: NOK 50,000.00 per payment, no limit per day" in text
    assert "One-time code: active" in text
    assert "Proposals: *2*" in text and "Failed: *0*" in text
    assert "Leverandør AS" in text and "NOK 3,750.00" in text
    assert action_ids(view).count(Act.APPROVE.value) == 2
    assert Act.HOME_REFRESH.value in action_ids(view)


def test_the_home_tab_tells_a_person_without_a_device_how_to_get_one(
    endpoint: SlackEndpoint,
) -> None:
    text = text_of(open_home(endpoint, APPROVER.slack_user_id))
    assert "Your roles: approver" in text and "not set up — `/bank enroll`" in text


def test_someone_without_a_role_is_told_so(endpoint: SlackEndpoint) -> None:
    assert "no role" in text_of(open_home(endpoint, "UNOBODY"))


def test_the_messages_tab_publishes_nothing(endpoint: SlackEndpoint) -> None:
    endpoint.event({"type": "app_home_opened", "user": SIGNER.slack_user_id, "tab": "messages"})
    endpoint.event({"type": "app_home_opened", "user": SIGNER.slack_user_id, "tab": "home"})
    assert len(endpoint.slack.wait_for("views.publish")) == 1


def test_refresh_publishes_the_tab_as_things_are_now(
    endpoint: SlackEndpoint, uow: UnitOfWork
) -> None:
    open_home(endpoint, SIGNER.slack_user_id)
    ledger_with(uow, [an_item(amount=Decimal("777.00"))])
    status, _ = endpoint.click(SIGNER.slack_user_id, Act.HOME_REFRESH.value, "home", home=True)
    assert status == 200
    published = endpoint.slack.wait_for("views.publish", 2)
    assert "Proposals: *3*" in text_of(published[-1]["view"])


def test_approve_on_the_home_tab_works_and_the_tab_follows(
    endpoint: SlackEndpoint, uow: UnitOfWork, company: dict[str, Any]
) -> None:
    payment = next(iter(company.values()))
    endpoint.click(APPROVER.slack_user_id, Act.APPROVE.value, str(payment.id), home=True)
    published = endpoint.slack.wait_for("views.publish")
    assert published, "the approve listener republishes the Home tab"
    assert "Approved: *1*" in text_of(published[-1]["view"])
    [approved] = proposals.list_payments(
        uow, company_org_no=ORG_NO, statuses=[PaymentStatus.APPROVED]
    )
    assert approved.id == payment.id


def test_a_long_list_is_cut_with_how_to_see_the_rest(
    endpoint: SlackEndpoint, uow: UnitOfWork
) -> None:
    ledger_with(uow, [an_item(amount=Decimal(100 + n)) for n in range(60)])
    view = open_home(endpoint, SIGNER.slack_user_id)
    assert len(view["blocks"]) <= 100
    assert "and 59 more — `/bank search status:proposed`" in text_of(view)


# --- the view alone: whatever the numbers, at most 100 blocks ----------------------------------


def a_payment(n: int, status: PaymentStatus) -> PaymentView:
    return PaymentView(
        id=n,
        company_org_no=ORG_NO,
        status=status,
        flag=Flag.ORANGE,
        reasons=(),
        payee=f"Payee {n}",
        account="12345678903",
        amount=Decimal("100.00"),
        currency="NOK",
        due_date=date(2026, 12, 1),
        reference_type=ReferenceType.KID,
        reference="12345678903",
        voucher_no=str(n),
        invoice_no=None,
        version=1,
        supplier_id=1,
    )


def a_home(n: int) -> CompanyHome:
    company = CompanyInfo(
        id=n,
        org_no=f"{n:09d}",
        name=f"Company {n}",
        currency="NOK",
        dispatch_timing=DispatchTiming.DUE,
        approval_required=True,
        dual_control_threshold=None,
        posting_mode=PostingMode.PER_PAYMENT,
        language=Language.NB if n % 2 else Language.EN,
    )
    me = Member("U1", "", "Me", (Role.SIGNER,), SignerLimits(), "NOK", "locked")
    return CompanyHome(
        company=company,
        roles=(Role.SIGNER, Role.ADMIN),
        me=me,
        counts=dict.fromkeys(PaymentStatus, 500),
        lists={s: [a_payment(n * 100 + i, s) for i in range(3)] for s in SHOWN},
    )


@pytest.mark.parametrize("companies", [1, 2, 3, 10, 60])
def test_the_home_view_never_has_more_than_100_blocks(companies: int) -> None:
    view = home_view([a_home(n) for n in range(1, companies + 1)], NOW, OSLO)
    assert 1 <= len(view["blocks"]) <= 100
    text = text_of(view)
    assert "Company 1" in text
    if companies >= 10:
        assert "companies — `/bank status`" in text or "Too many to list here" in text
