"""A refused one-time code in a Norwegian company's Sign modal is said in Norwegian (wrong,
locked, used already, no device), on the code field or above it in the form shown again: through
the signed Slack endpoint, on both databases, against the local Slack Web API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from paybot.core import otp as core_otp
from paybot.core.company import Language
from paybot.core.payments import PaymentView
from paybot.handlers import modals as modal_handlers
from paybot.handlers.ids import Act, Block
from paybot.services import companies, otp
from paybot.store.uow import UnitOfWork
from tests.builders import (
    NOW,
    ORG_NO,
    SIGNER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)
from tests.slack.conftest import Clock, SlackEndpoint, text_of
from tests.slack.test_actions import (
    ok,
    opened_modal,
    post_message,
    sign_modal,
    submit_code,
)

KIDS = ("0000001230", "0000001248")
ENGLISH = ("code", "wrong", "locked", "enroll ", "Enter", "used already")


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    found = a_company(uow)
    assert found is not None
    companies.update_settings(uow, org_no=ORG_NO, language=Language.NB, now=NOW)
    return found


@pytest.fixture
def shown(uow: UnitOfWork, phone: Authenticator) -> list[PaymentView]:
    found = ledger_with(
        uow,
        [an_item(reference=KIDS[0]), an_item(amount=Decimal("3750.00"), reference=KIDS[1])],
        [a_supplier()],
    )
    return sorted(found.values(), key=lambda p: p.amount)


@pytest.fixture
def ts(uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView]) -> str:
    return post_message(uow, endpoint, shown)


def refusal(answer: dict[str, Any] | None) -> str:
    assert answer is not None and answer["response_action"] == "errors", answer
    said = str(answer["errors"][Block.CODE.value])
    assert not any(word in said for word in ENGLISH), said
    return said


def test_a_wrong_code_is_refused_in_norwegian_on_the_code_field(
    endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    view = sign_modal(endpoint, shown[0].id, ts)
    said = refusal(submit_code(endpoint, view, "000000"))
    assert said.startswith("Koden er feil (eller utløpt). Skriv inn koden som vises nå.")


def test_the_lock_after_wrong_codes_is_said_in_norwegian(
    endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    view = sign_modal(endpoint, shown[0].id, ts)
    for _ in range(core_otp.MAX_FAILURES):
        refusal(submit_code(endpoint, view, "000000"))
    said = refusal(submit_code(endpoint, view, "000000"))
    assert said.startswith(f"Signeringen er låst etter {core_otp.MAX_FAILURES} feil koder på rad")
    assert "`paybot otp unlock`" in said


def test_a_code_used_already_is_refused_in_norwegian(
    endpoint: SlackEndpoint,
    clock: Clock,
    phone: Authenticator,
    shown: list[PaymentView],
    ts: str,
) -> None:
    view = sign_modal(endpoint, shown[0].id, ts)
    code, clock.at = phone.code()
    signed = submit_code(endpoint, view, code)
    assert signed is not None and signed["response_action"] == "update"
    again = sign_modal_of(endpoint, shown[1].id, ts)
    assert refusal(submit_code(endpoint, again, code)) == (
        "Den koden er brukt allerede. Vent på neste kode."
    )


def sign_modal_of(endpoint: SlackEndpoint, payment_id: int, ts: str) -> dict[str, Any]:
    """A second Sign modal, after the first one (each click opens one)."""
    before = len(endpoint.slack.calls_to("views.open"))
    ok(endpoint.click(SIGNER.slack_user_id, Act.SIGN, str(payment_id), ts=ts))
    return opened_modal(endpoint, before + 1)


def test_a_signer_without_a_device_is_told_in_norwegian(
    uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    view = sign_modal(endpoint, shown[0].id, ts)
    otp.reset(uow, user=SIGNER, now=NOW)  # the phone was lost while the modal was open
    said = refusal(submit_code(endpoint, view, "000000"))
    assert said.startswith("Du har ingen bekreftet engangskode-enhet")


def test_a_large_batch_shows_the_form_again_with_the_refusal_in_norwegian(
    endpoint: SlackEndpoint,
    shown: list[PaymentView],
    ts: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(modal_handlers, "QUICK_SIGN", 1)
    ok(endpoint.click(SIGNER.slack_user_id, Act.SIGN_ALL_BLUE, ORG_NO, ts=ts))
    view = opened_modal(endpoint)
    view_id = endpoint.slack.calls_to("views.update")[-1]["view_id"]
    submit_code(endpoint, view, "000000", view_id=view_id)
    [_, again] = endpoint.slack.wait_for("views.update", 2)
    text = text_of(again["view"])
    assert "Koden er feil (eller utløpt)" in text and "That code" not in text


def test_an_english_company_keeps_the_services_words(
    uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, language=Language.EN, now=NOW)
    view = sign_modal(endpoint, shown[0].id, ts)
    answer = submit_code(endpoint, view, "000000")
    assert answer is not None
    said = answer["errors"][Block.CODE.value]
    assert said.startswith("That code is not right") and "more wrong code(s)" in said
