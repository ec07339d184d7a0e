"""The Fix modal's refusals of what a payment file cannot carry, and of a purpose code without
its text: each on its field, in the company's language (signed requests to the real endpoint,
against the local Slack Web API); both databases."""

from __future__ import annotations

import pytest

from paybot.core.company import Language
from paybot.services import companies, payments
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO, Authenticator, a_company
from tests.slack.conftest import SlackEndpoint
from tests.slack.test_fix_abroad_modal import a_payment, fix_modal, posted, submit

BERLIN = {"town": "Berlin", "country": "DE"}


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    found = a_company(uow)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            Language.EN,
            {
                "purpose_text": "Give the purpose text too: a code is sent with its text",
                "street": '"Ω" (U+03A9) at position 1 cannot go in a payment file: use Latin '
                "letters, digits and / - ? : ( ) . , ' +",
            },
        ),
        (
            Language.NB,
            {
                "purpose_text": "Fyll ut «Formål» også: kode og tekst sendes sammen",
                "street": "«Ω» (U+03A9) på plass 1 kan ikke stå i en betalingsfil: bruk latinske "
                "bokstaver, sifre og / - ? : ( ) . , ' +",
            },
        ),
    ],
)
def test_a_code_without_text_and_a_character_left_out_are_errors_on_their_fields(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    phone: Authenticator,
    language: Language,
    expected: dict[str, str],
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, language=language, now=NOW)
    payment = a_payment(uow)
    view = fix_modal(endpoint, payment, posted(uow, endpoint, payment))
    answer = submit(endpoint, view, **BERLIN, street="Ωmega 5", purpose_code="14")
    assert answer is not None and answer["response_action"] == "errors"
    assert answer["errors"] == expected
    assert payments.show(uow, payment_id=payment.id).payment.version == payment.version


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (Language.EN, "Has no letters or digits a bank takes"),
        (Language.NB, "Har ingen bokstaver eller sifre en bank tar imot"),
    ],
)
def test_a_purpose_text_with_nothing_a_bank_takes_is_an_error_on_it(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    phone: Authenticator,
    language: Language,
    expected: str,
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, language=language, now=NOW)
    payment = a_payment(uow)
    view = fix_modal(endpoint, payment, posted(uow, endpoint, payment))
    answer = submit(endpoint, view, **BERLIN, purpose_code="14", purpose_text="✓✓✓")
    assert answer is not None and answer["errors"] == {"purpose_text": expected}


def test_a_purpose_with_its_text_is_saved(
    uow: UnitOfWork, endpoint: SlackEndpoint, phone: Authenticator
) -> None:
    payment = a_payment(uow)
    view = fix_modal(endpoint, payment, posted(uow, endpoint, payment))
    answer = submit(endpoint, view, **BERLIN, purpose_code="14", purpose_text="Ersatzteile – ø")
    assert answer is not None and answer["response_action"] == "update"
    fixed = payments.show(uow, payment_id=payment.id).payment.payee_details
    assert (fixed.purpose_code, fixed.purpose_text) == ("14", "Ersatzteile – ø")
