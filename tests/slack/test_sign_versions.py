"""A signature is for what its signer was shown, a first signature says why a second is needed,
and one code signs at most so many payments: through the signed Slack endpoint, on both
databases, against the local Slack Web API."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from paybot.core.company import CompanyInfo, DispatchTiming, Language, PostingMode
from paybot.core.payments import Flag, LastStep, PaymentView, ReferenceType
from paybot.core.policy import Role
from paybot.core.signing import SecondSigner, WhySecond
from paybot.core.states import PaymentStatus
from paybot.handlers import modals as modal_handlers
from paybot.handlers.actions import Origin, metadata, sign_metadata
from paybot.handlers.ids import Act, Block, View
from paybot.handlers.views.cards import longest_step, step_text
from paybot.services import companies, payments, people, sign_preview, signing
from paybot.services.common import ActorRef
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_B,
    APPROVER,
    NOW,
    ORG_NO,
    OSLO,
    SIGNER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    enrolled,
    ledger_with,
)
from tests.slack.conftest import Clock, SlackEndpoint, text_of
from tests.slack.test_actions import (
    code_field,
    entry,
    ok,
    opened_modal,
    post_message,
    status_of,
    updated,
)

KIDS = ("0000001230", "0000001248")
SIGNER2 = ActorRef("USIGNER2")
SLACK_METADATA = 3000  # characters Slack keeps of a modal's private_metadata


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    found = a_company(uow)
    assert found is not None
    return found


@pytest.fixture
def phone2(uow: UnitOfWork, phone: Authenticator) -> Authenticator:
    people.add_user(
        uow,
        company_org_no=ORG_NO,
        slack_user_id=SIGNER2.slack_user_id,
        name="Sam Second",
        roles=[Role.SIGNER],
        now=NOW,
    )
    return enrolled(uow, SIGNER2)


@pytest.fixture
def shown(uow: UnitOfWork, phone: Authenticator) -> list[PaymentView]:
    """Two blue proposals: NOK 1,250.00 and NOK 3,750.00."""
    found = ledger_with(
        uow,
        [an_item(reference=KIDS[0]), an_item(amount=Decimal("3750.00"), reference=KIDS[1])],
        [a_supplier()],
    )
    return sorted(found.values(), key=lambda p: p.amount)


@pytest.fixture
def ts(uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView]) -> str:
    return post_message(uow, endpoint, shown)


def sign_modal(endpoint: SlackEndpoint, who: ActorRef, payment_id: int, ts: str) -> dict[str, Any]:
    before = len(endpoint.slack.calls_to("views.open"))
    ok(endpoint.click(who.slack_user_id, Act.SIGN, str(payment_id), ts=ts))
    return opened_modal(endpoint, before + 1)


def submit(
    endpoint: SlackEndpoint,
    who: ActorRef,
    callback: str,
    private_metadata: str,
    code: str,
    view_id: str = "VMODAL",
) -> dict[str, Any]:
    status, answer = endpoint.submit(
        who.slack_user_id,
        callback,
        {Block.CODE.value: {"code": {"type": "plain_text_input", "value": code}}},
        private_metadata=private_metadata,
        view_id=view_id,
    )
    assert status == 200 and answer is not None
    return answer


def signatures(uow: UnitOfWork, payment_id: int) -> list[str]:
    return payments.show(uow, payment_id=payment_id).signed_by


def test_a_payment_changed_after_the_modal_opened_is_not_signed_and_the_form_comes_back(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    clock: Clock,
    phone: Authenticator,
    shown: list[PaymentView],
    ts: str,
) -> None:
    payment = shown[0]
    view = sign_modal(endpoint, SIGNER, payment.id, ts)
    assert json.loads(view["private_metadata"])["v"] == [1]
    assert "to 1234.56.78903" in text_of(view)  # the account the money goes to is shown
    payments.fix(uow, actor=APPROVER, payment_id=payment.id, account=ACCOUNT_B, now=NOW)
    code, clock.at = phone.code()

    answer = submit(endpoint, SIGNER, View.SIGN, view["private_metadata"], code)

    assert answer["response_action"] == "update"
    form = answer["view"]
    text = text_of(form)
    assert f"Payment {payment.id} changed since you opened this — look again." in text
    assert "to 1503.01.00007" in text and code_field(form) is not None
    assert json.loads(form["private_metadata"])["v"] == [2]
    assert status_of(uow, payment.id) is PaymentStatus.PROPOSED
    assert signatures(uow, payment.id) == []

    again = submit(endpoint, SIGNER, View.SIGN, form["private_metadata"], code)  # the same code

    said = text_of(again["view"])
    assert "Signed: 1 payment(s), NOK 1,250.00" in said
    assert (
        f"#{payment.id}: 1 of 2 signatures — a second signer is needed because the account "
        "differs from the supplier's registered account or the account it was last paid to."
    ) in said
    assert status_of(uow, payment.id) is PaymentStatus.APPROVED
    updated(endpoint)
    card = entry(endpoint, ts, payment.id)
    assert (
        ": 1 of 2 signatures — a second signer is needed because the account differs from the "
        "supplier's registered account or the account it was last paid to."
    ) in card
    assert "Signed by <@USIGNER> at " in card


def test_a_second_signer_is_not_refused_because_the_first_signed_meanwhile(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    clock: Clock,
    phone: Authenticator,
    phone2: Authenticator,
    shown: list[PaymentView],
    ts: str,
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, dual_control_threshold=Decimal("3000"), now=NOW)
    payment = shown[1]  # NOK 3,750: above the threshold
    first_view = sign_modal(endpoint, SIGNER, payment.id, ts)
    second_view = sign_modal(endpoint, SIGNER2, payment.id, ts)
    code, clock.at = phone.code()
    first = submit(endpoint, SIGNER, View.SIGN, first_view["private_metadata"], code)
    assert (
        "1 of 2 signatures — a second signer is needed because the amount is above the "
        "company's dual-control threshold of NOK 3,000.00."
    ) in text_of(first)
    code2, clock.at = phone2.code()

    second = submit(endpoint, SIGNER2, View.SIGN, second_view["private_metadata"], code2)

    assert "Signed: 1 payment(s), NOK 3,750.00" in text_of(second)
    assert status_of(uow, payment.id) is PaymentStatus.DUE


def test_a_norwegian_company_hears_why_in_norwegian_on_the_modal_and_the_card(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    clock: Clock,
    phone: Authenticator,
    shown: list[PaymentView],
    ts: str,
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, language=Language.NB, now=NOW)
    payment = shown[0]
    payments.fix(uow, actor=SIGNER, payment_id=payment.id, reference=KIDS[1], now=NOW)
    view = sign_modal(endpoint, SIGNER, payment.id, ts)
    code, clock.at = phone.code()

    answer = submit(endpoint, SIGNER, View.SIGN, view["private_metadata"], code)

    assert (
        f"#{payment.id}: 1 av 2 signaturer — det trengs en signatar til fordi du endret "
        "kontonummeret eller referansen."
    ) in text_of(answer)
    updated(endpoint)
    assert (
        "1 av 2 signaturer — det trengs en signatar til fordi den første signataren endret "
        "kontonummeret eller referansen."
    ) in entry(endpoint, ts, payment.id)


def test_a_large_batch_changed_meanwhile_shows_the_form_again_after_the_ack(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    clock: Clock,
    phone: Authenticator,
    shown: list[PaymentView],
    ts: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(modal_handlers, "QUICK_SIGN", 1)
    ok(endpoint.click(SIGNER.slack_user_id, Act.SIGN_ALL_BLUE, ORG_NO, ts=ts))
    view = opened_modal(endpoint)
    view_id = endpoint.slack.calls_to("views.update")[-1]["view_id"]
    payments.fix(uow, actor=APPROVER, payment_id=shown[1].id, reference=KIDS[0], now=NOW)
    code, clock.at = phone.code()

    answer = submit(endpoint, SIGNER, View.SIGN_ALL_BLUE, view["private_metadata"], code, view_id)

    assert "Signing 2 payments" in text_of(answer["view"])
    [_, again] = endpoint.slack.wait_for("views.update", 2)
    form = json.loads(again["view"]) if isinstance(again["view"], str) else again["view"]
    assert f"Payment {shown[1].id} changed since you opened this" in text_of(form)
    assert all(status_of(uow, p.id) is PaymentStatus.PROPOSED for p in shown)
    assert json.loads(form["private_metadata"])["v"] != json.loads(view["private_metadata"])["v"]


def test_a_crafted_submission_of_260_payments_signs_nothing_and_leaves_the_code_unused(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    clock: Clock,
    phone: Authenticator,
    shown: list[PaymentView],
) -> None:
    ids = [shown[0].id, shown[1].id, *range(1000, 1258)]
    crafted = json.dumps({"ids": ids, "lang": "en"})
    code, clock.at = phone.code()

    answer = submit(endpoint, SIGNER, View.SIGN_ALL_BLUE, crafted, code)

    assert answer["response_action"] == "errors"
    assert answer["errors"][Block.CODE.value] == (
        "One code signs at most 200 payments; 260 were given. Nothing was signed: sign them in "
        "smaller groups."
    )
    assert all(status_of(uow, p.id) is PaymentStatus.PROPOSED for p in shown)
    fair = json.dumps({"ids": [shown[0].id], "lang": "en"})
    signed = submit(endpoint, SIGNER, View.SIGN, fair, code)  # the code was not used up
    assert "Signed: 1 payment(s)" in text_of(signed)


def test_sign_all_blue_offers_at_most_200_and_their_versions_fit_in_the_metadata(
    uow: UnitOfWork, endpoint: SlackEndpoint, phone: Authenticator
) -> None:
    items = [
        an_item(amount=Decimal(100 + n), reference=KIDS[0], invoice_no=f"B-{n}") for n in range(201)
    ]
    ledger_with(uow, items, [a_supplier()])
    ok(endpoint.click(SIGNER.slack_user_id, Act.SIGN_ALL_BLUE, ORG_NO, home=True))
    view = opened_modal(endpoint)
    data = json.loads(view["private_metadata"])
    assert len(data["ids"]) == len(data["v"]) == signing.MAX_AT_ONCE
    assert "You sign 200 payment(s)" in text_of(view)
    assert "1 left out: more than 200 at once" in text_of(view)


def test_200_payments_with_long_ids_and_versions_fit_in_slacks_metadata() -> None:
    company = CompanyInfo(
        id=1,
        org_no=ORG_NO,
        name="Acme AS",
        currency="NOK",
        dispatch_timing=DispatchTiming.IMMEDIATE,
        approval_required=False,
        dual_control_threshold=None,
        posting_mode=PostingMode.PER_PAYMENT,
        language=Language.NB,
    )
    many = [
        replace(A_VIEW, id=99_999_999 - n, signature_round=99) for n in range(signing.MAX_AT_ONCE)
    ]
    origin = Origin(channel="C" + "X" * 10, ts="1700000000.000100")

    written = sign_metadata(sign_preview.Preview(company, many, {}), origin)

    assert len(written) <= SLACK_METADATA
    assert written == metadata([p.id for p in many], Language.NB, origin, versions=[99] * 200)


A_VIEW = PaymentView(
    id=1,
    company_org_no=ORG_NO,
    status=PaymentStatus.PROPOSED,
    flag=Flag.BLUE,
    reasons=(),
    payee="Leverandør AS",
    account=None,
    amount=Decimal("1.00"),
    currency="NOK",
    due_date=None,
    reference_type=ReferenceType.KID,
    reference=None,
    voucher_no="1",
    invoice_no=None,
    version=1,
    supplier_id=1,
)


@pytest.mark.parametrize("language", list(Language))
def test_the_daily_post_sizes_its_entries_by_the_longest_reason_line(language: Language) -> None:
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    longest = step_text(longest_step(language, "U" + "W" * 20), language, OSLO) or ""
    for reasons in [(SecondSigner.OWN_CHANGE,), tuple(SecondSigner)]:
        why = WhySecond(reasons, Decimal("100000000000.00"), "NOK")
        step = LastStep("payment.first_signature", "U" + "W" * 20, "", at, why=why)
        assert len(step_text(step, language, OSLO) or "") <= len(longest)
    assert "1 of 2" in longest or "1 av 2" in longest
