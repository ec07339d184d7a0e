"""Reading a payment through Slack is checked like acting on it (both databases, signed requests
to the real endpoint): Details, Fix and Delete (opening their modals), the overflow menu, the
alert buttons and the same buttons on the Home tab show a payment only to a person with a role in
its company; opening Fix or Delete needs the role that may fix or delete. A refusal names no
payee, amount or account."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from paybot.core.errors import NotFound, NotPermitted
from paybot.core.payments import PaymentView
from paybot.core.policy import Role
from paybot.core.states import Action, PaymentStatus
from paybot.handlers.ids import Act, View
from paybot.services import companies, payments, people
from paybot.services.common import ActorRef
from paybot.store.uow import UnitOfWork
from tests.builders import (
    APPROVER,
    COMPANY_ACCOUNT,
    NOW,
    SIGNER,
    VIEWER,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)
from tests.slack.conftest import SlackEndpoint, text_of

OTHER_ORG_NO = "923609016"
# Someone Slack knows but paybot does not, and someone with every role, but in another company.
STRANGER = ActorRef("USTRANGER")
OUTSIDER = ActorRef("UOUTSIDER")
PAYEE = "Fjordvarme Rørlegger AS"
AMOUNT = Decimal("48213.57")
KID = "0000001230"
# Whatever a refusal must not say: the payee, the amount (as shown and as stored), the account
# (as shown and as stored) and the reference.
SECRETS = (PAYEE, "48,213.57", "48213.57", "48 213,57", "1234.56.78903", "12345678903", KID)


@pytest.fixture
def payment(uow: UnitOfWork) -> PaymentView:
    """A blue proposal of Acme AS; Other AS (another company) has OUTSIDER in every role."""
    a_company(uow)
    companies.add_company(
        uow, org_no=OTHER_ORG_NO, name="Other AS", account=COMPANY_ACCOUNT, bank="DNB", now=NOW
    )
    people.add_user(
        uow,
        company_org_no=OTHER_ORG_NO,
        slack_user_id=OUTSIDER.slack_user_id,
        name="Otto Outsider",
        roles=list(Role),
        now=NOW,
    )
    found = ledger_with(
        uow,
        [an_item(supplier_name=PAYEE, amount=AMOUNT, reference=KID)],
        [a_supplier(name=PAYEE)],
    )
    [proposal] = found.values()
    return proposal


def opened_modal(endpoint: SlackEndpoint) -> dict[str, Any]:
    """The one modal opened by the click, as filled in afterwards (views.update)."""
    assert len(endpoint.slack.calls_to("views.open")) == 1
    [filled] = endpoint.slack.wait_for("views.update")
    view = filled["view"]
    return dict(json.loads(view) if isinstance(view, str) else view)


def everything_said(endpoint: SlackEndpoint) -> str:
    """Every call paybot made to Slack, as text: a refusal must leak nothing anywhere."""
    calls = [call for method in _SAYING for call in endpoint.slack.calls_to(method)]
    return text_of(calls)


_SAYING = (
    "views.open",
    "views.update",
    "views.publish",
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "response_url",
)


def assert_refused_without_data(text: str, who: ActorRef) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} shown to {who.slack_user_id}"


# (action id, value, overflow?): every click that opens a modal showing one payment.
READS: list[tuple[Act, str, bool]] = [
    (Act.DETAILS, "{id}", False),
    (Act.FIX, "{id}", False),
    (Act.MORE, "details:{id}", True),
    (Act.MORE, "fix:{id}", True),
    (Act.MORE, "delete:{id}", True),
]
READ_IDS = ["details", "fix", "menu-details", "menu-fix", "menu-delete"]


@pytest.mark.parametrize("who", [STRANGER, OUTSIDER], ids=["no-role", "other-company"])
@pytest.mark.parametrize("home", [False, True], ids=["message", "home"])
@pytest.mark.parametrize(("act", "value", "overflow"), READS, ids=READ_IDS)
def test_a_person_without_a_role_in_the_company_is_refused_and_shown_nothing(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    payment: PaymentView,
    who: ActorRef,
    home: bool,
    act: Act,
    value: str,
    overflow: bool,
) -> None:
    answer = endpoint.click(
        who.slack_user_id, act, value.format(id=payment.id), overflow=overflow, home=home
    )
    assert answer[0] == 200, answer
    view = opened_modal(endpoint)
    text = text_of(view)
    assert "submit" not in view and view.get("callback_id") not in {v.value for v in View}
    if who is STRANGER:
        assert "No paybot user has the Slack id USTRANGER" in text
    else:
        assert "has no role in the company of payment" in text
        assert "Acme" not in text  # not even whose payment it is
    assert_refused_without_data(everything_said(endpoint), who)
    assert payments.show(uow, payment_id=payment.id).payment.status is PaymentStatus.PROPOSED


@pytest.mark.parametrize(("act", "value", "overflow"), READS, ids=READ_IDS)
def test_a_payment_that_does_not_exist_is_not_found_for_anyone(
    endpoint: SlackEndpoint, payment: PaymentView, act: Act, value: str, overflow: bool
) -> None:
    missing = str(payment.id + 1000)
    answer = endpoint.click(
        OUTSIDER.slack_user_id, act, value.format(id=missing), overflow=overflow
    )
    assert answer[0] == 200, answer
    assert f"There is no payment {missing}" in text_of(opened_modal(endpoint))


@pytest.mark.parametrize(
    ("act", "value", "overflow", "verb"),
    [
        (Act.FIX, "{id}", False, "fix"),
        (Act.MORE, "fix:{id}", True, "fix"),
        (Act.MORE, "delete:{id}", True, "delete"),
    ],
    ids=["fix", "menu-fix", "menu-delete"],
)
def test_a_viewer_may_see_details_but_not_open_fix_or_delete(
    endpoint: SlackEndpoint, payment: PaymentView, act: Act, value: str, overflow: bool, verb: str
) -> None:
    answer = endpoint.click(
        VIEWER.slack_user_id, act, value.format(id=payment.id), overflow=overflow
    )
    assert answer[0] == 200, answer
    view = opened_modal(endpoint)
    text = text_of(view)
    assert f"may not {verb} payments in Acme AS" in text and "approver or signer role" in text
    assert "submit" not in view
    assert_refused_without_data(everything_said(endpoint), VIEWER)


@pytest.mark.parametrize("home", [False, True], ids=["message", "home"])
@pytest.mark.parametrize("overflow", [False, True], ids=["button", "menu"])
def test_a_viewer_of_the_company_sees_the_details(
    endpoint: SlackEndpoint, payment: PaymentView, home: bool, overflow: bool
) -> None:
    value = f"details:{payment.id}" if overflow else str(payment.id)
    act = Act.MORE if overflow else Act.DETAILS
    answer = endpoint.click(VIEWER.slack_user_id, act, value, overflow=overflow, home=home)
    assert answer[0] == 200, answer
    view = opened_modal(endpoint)
    text = text_of(view)
    assert view["callback_id"] == View.DETAILS.value
    assert PAYEE in text and "48,213.57" in text and KID in text and "History" in text


@pytest.mark.parametrize(
    ("who", "value", "callback"),
    [
        (APPROVER, "fix:{id}", View.FIX),
        (SIGNER, "fix:{id}", View.FIX),
        (APPROVER, "delete:{id}", View.DELETE),
        (SIGNER, "delete:{id}", View.DELETE),
    ],
    ids=["approver-fix", "signer-fix", "approver-delete", "signer-delete"],
)
def test_who_may_fix_or_delete_opens_the_modal(
    endpoint: SlackEndpoint, payment: PaymentView, who: ActorRef, value: str, callback: View
) -> None:
    answer = endpoint.click(who.slack_user_id, Act.MORE, value.format(id=payment.id), overflow=True)
    assert answer[0] == 200, answer
    view = opened_modal(endpoint)
    assert view["callback_id"] == callback.value and "submit" in view
    assert PAYEE in text_of(view)


@pytest.mark.parametrize(
    "act", [Act.MONEY_LEFT, Act.MONEY_NOT_LEFT, Act.HOLD_PAID, Act.HOLD_NOT_PAID]
)
@pytest.mark.parametrize("who", [STRANGER, OUTSIDER, VIEWER], ids=["no-role", "other", "viewer"])
def test_the_alert_buttons_refuse_without_showing_the_payment(
    uow: UnitOfWork, endpoint: SlackEndpoint, payment: PaymentView, who: ActorRef, act: Act
) -> None:
    answer = endpoint.click(who.slack_user_id, act, str(payment.id))
    assert answer[0] == 200, answer
    [said] = endpoint.slack.wait_for("response_url")
    assert said["response_type"] == "ephemeral"
    assert "No paybot user" in said["text"] or "may not" in said["text"]
    assert_refused_without_data(everything_said(endpoint), who)
    assert payments.show(uow, payment_id=payment.id).payment.status is PaymentStatus.PROPOSED


def test_the_service_shows_a_payment_only_to_a_person_with_a_role_in_its_company(
    uow: UnitOfWork, payment: PaymentView
) -> None:
    assert payments.show(uow, payment_id=payment.id).payment.payee == PAYEE  # the CLI: no actor
    assert payments.show(uow, payment_id=payment.id, actor=VIEWER).payment.payee == PAYEE
    with pytest.raises(NotPermitted) as refused:
        payments.show(uow, payment_id=payment.id, actor=OUTSIDER)
    assert_refused_without_data(refused.value.user_message, OUTSIDER)
    with pytest.raises(NotFound):
        payments.show(uow, payment_id=payment.id, actor=STRANGER)
    for action in (Action.FIX, Action.DELETE):
        with pytest.raises(NotPermitted, match="approver or signer role"):
            payments.show(uow, payment_id=payment.id, actor=VIEWER, for_action=action)
        shown = payments.show(uow, payment_id=payment.id, actor=APPROVER, for_action=action)
        assert shown.payment.id == payment.id
