"""The Home tab offers only what a person can do with each payment now, through the real endpoint
(both databases): where the company approves before signing, a proposal offers Approve and no
Sign; once approved, Sign; where approval is optional, a proposal can be signed at once; a red
one offers Fix and Details. Every Sign it shows opens a Sign modal with something to sign."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from paybot.core.payments import Flag, PaymentView
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Act, Block
from paybot.services import companies, payments, proposals
from paybot.store.uow import UnitOfWork
from tests.builders import (
    APPROVER,
    NOW,
    ORG_NO,
    SIGNER,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)
from tests.slack import conftest as slack
from tests.slack.conftest import SlackEndpoint, text_of

# The local Slack API and paybot's endpoint, as tests/slack builds them.
clock, deps, endpoint = slack.clock, slack.deps, slack.endpoint

NEEDS_APPROVAL = "it must be approved first"  # what the Sign modal says of an unapproved one
CODE_FIELD = f'"block_id": "{Block.CODE.value}"'  # the field a code is typed in: one to sign


@pytest.fixture
def ledger(uow: UnitOfWork) -> dict[str, PaymentView]:
    """Two blue proposals and a red one (a KID with a wrong check digit), by name."""
    a_company(uow)
    found = ledger_with(
        uow,
        [
            an_item(voucher_no="1", amount=Decimal("1250.00")),
            an_item(voucher_no="2", amount=Decimal("3750.00"), reference="0000001230"),
            an_item(voucher_no="3", amount=Decimal("990.00"), reference="12345678900"),
        ],
        [a_supplier()],
    )
    shown = {"blue": found["1"], "other": found["2"], "red": found["3"]}
    assert [p.flag for p in shown.values()] == [Flag.BLUE, Flag.BLUE, Flag.RED]
    return shown


def approval(uow: UnitOfWork, *, required: bool) -> None:
    companies.update_settings(uow, org_no=ORG_NO, approval_required=required, now=NOW)


def open_home(endpoint: SlackEndpoint, user: str) -> dict[str, Any]:
    before = len(endpoint.slack.calls_to("views.publish"))
    status, _ = endpoint.event({"type": "app_home_opened", "user": user, "tab": "home"})
    assert status == 200
    published = endpoint.slack.wait_for("views.publish", before + 1)
    assert len(published) == before + 1 and published[-1]["user_id"] == user
    return dict(published[-1]["view"])


def offered(view: dict[str, Any]) -> dict[int, list[str]]:
    """Each listed payment's buttons (action ids, the ⋯ menu's options after "menu:")."""
    found: dict[int, list[str]] = {}
    for block in view["blocks"]:
        if block["type"] != "actions" or not block.get("block_id", "").startswith("p:"):
            continue
        payment = int(block["block_id"].split(":")[1])
        for element in block["elements"]:
            if element["type"] == "overflow":
                options = [option["value"].split(":")[0] for option in element["options"]]
                found.setdefault(payment, []).extend(f"menu:{kind}" for kind in options)
            else:
                found.setdefault(payment, []).append(element["action_id"])
    return found


def primary(view: dict[str, Any], payment: int) -> list[str]:
    """The action ids of a payment's buttons styled primary."""
    return [
        element["action_id"]
        for block in view["blocks"]
        if block["type"] == "actions" and block.get("block_id", "").startswith(f"p:{payment}:")
        for element in block["elements"]
        if element.get("style") == "primary"
    ]


def sign_modal_of(endpoint: SlackEndpoint, payment: PaymentView) -> str:
    """What the Sign modal says when the signer clicks Sign on the payment on the Home tab."""
    before = len(endpoint.slack.calls_to("views.update"))
    status, _ = endpoint.click(SIGNER.slack_user_id, Act.SIGN.value, str(payment.id), home=True)
    assert status == 200
    endpoint.settle()
    updated = endpoint.slack.wait_for("views.update", before + 1)
    assert len(updated) == before + 1, "the Sign modal was not filled in"
    view = updated[-1]["view"]
    return text_of(json.loads(view) if isinstance(view, str) else view)


def test_where_approval_is_required_a_proposal_offers_approve_and_no_sign(
    endpoint: SlackEndpoint, uow: UnitOfWork, ledger: dict[str, PaymentView]
) -> None:
    approval(uow, required=True)
    view = open_home(endpoint, SIGNER.slack_user_id)
    buttons = offered(view)
    for name in ("blue", "other"):
        shown = buttons[ledger[name].id]
        assert Act.APPROVE.value in shown, f"{name}: {shown}"
        assert Act.SIGN.value not in shown, f"{name}: a Sign the signer would be refused"
    assert primary(view, ledger["blue"].id) == [Act.APPROVE.value]


def test_once_approved_the_signer_gets_sign_and_it_opens_a_modal_to_sign(
    endpoint: SlackEndpoint, uow: UnitOfWork, ledger: dict[str, PaymentView]
) -> None:
    approval(uow, required=True)
    payments.approve(uow, actor=APPROVER, payment_ids=[ledger["blue"].id], now=NOW)
    buttons = offered(open_home(endpoint, SIGNER.slack_user_id))
    assert Act.SIGN.value in buttons[ledger["blue"].id]
    assert Act.APPROVE.value not in buttons[ledger["blue"].id]
    assert Act.SIGN.value not in buttons[ledger["other"].id]  # still a proposal
    said = sign_modal_of(endpoint, ledger["blue"])
    assert CODE_FIELD in said and NEEDS_APPROVAL not in said


def test_where_approval_is_optional_a_proposal_can_be_signed_at_once(
    endpoint: SlackEndpoint, uow: UnitOfWork, ledger: dict[str, PaymentView]
) -> None:
    approval(uow, required=False)
    buttons = offered(open_home(endpoint, SIGNER.slack_user_id))
    for name in ("blue", "other"):
        assert {Act.APPROVE.value, Act.SIGN.value} <= set(buttons[ledger[name].id])
    said = sign_modal_of(endpoint, ledger["blue"])
    assert CODE_FIELD in said and NEEDS_APPROVAL not in said


@pytest.mark.parametrize("required", [True, False])
def test_a_red_proposal_offers_fix_and_details_only(
    endpoint: SlackEndpoint, uow: UnitOfWork, ledger: dict[str, PaymentView], required: bool
) -> None:
    approval(uow, required=required)
    view = open_home(endpoint, SIGNER.slack_user_id)
    red = ledger["red"].id
    assert offered(view)[red] == [Act.FIX.value, Act.DETAILS.value, "menu:delete"]
    assert primary(view, red) == [Act.FIX.value]


def test_every_sign_the_home_tab_shows_opens_a_modal_to_sign(
    endpoint: SlackEndpoint, uow: UnitOfWork, ledger: dict[str, PaymentView]
) -> None:
    """Whatever the payments' states: a Sign on the tab is never one the signer is refused."""
    approval(uow, required=True)
    payments.approve(uow, actor=APPROVER, payment_ids=[ledger["other"].id], now=NOW)
    view = open_home(endpoint, SIGNER.slack_user_id)
    signable = [payment for payment, shown in offered(view).items() if Act.SIGN.value in shown]
    assert signable == [ledger["other"].id]
    [approved] = proposals.list_payments(
        uow, company_org_no=ORG_NO, statuses=[PaymentStatus.APPROVED]
    )
    said = sign_modal_of(endpoint, approved)
    assert CODE_FIELD in said and NEEDS_APPROVAL not in said
