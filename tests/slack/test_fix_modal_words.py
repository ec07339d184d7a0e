"""The Fix modal of a domestic payment: a wrong KID, a wrong account and a fix that changes
nothing are errors on their fields in the company's language (signed requests to the real
endpoint, against the local Slack Web API); both databases."""

from __future__ import annotations

import pytest

from paybot.core.company import Language
from paybot.core.payments import PaymentView, ReferenceType
from paybot.handlers.ids import Block
from paybot.services import companies, payments
from paybot.store.uow import UnitOfWork
from tests.builders import ACCOUNT_A, NOW, ORG_NO, Authenticator, a_company
from tests.slack.conftest import SlackEndpoint
from tests.slack.test_fix_abroad_modal import a_payment, fix_modal, posted, submit

BAD_KID = "12345678902"
BAD_ACCOUNT = "12345678900"


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    found = a_company(uow)
    assert found is not None
    return found


def domestic(uow: UnitOfWork, language: Language) -> PaymentView:
    companies.update_settings(uow, org_no=ORG_NO, language=language, now=NOW)
    return a_payment(uow, account=ACCOUNT_A, currency="NOK")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            Language.EN,
            {
                Block.ACCOUNT.value: f"{BAD_ACCOUNT} has a wrong check digit",
                Block.REFERENCE.value: f"KID '{BAD_KID}' has a wrong check digit (neither MOD10 "
                "nor MOD11)",
            },
        ),
        (
            Language.NB,
            {
                Block.ACCOUNT.value: f"{BAD_ACCOUNT} har feil kontrollsiffer",
                Block.REFERENCE.value: f"KID «{BAD_KID}» har feil kontrollsiffer (verken MOD10 "
                "eller MOD11)",
            },
        ),
    ],
)
def test_a_wrong_kid_and_account_are_errors_in_the_companys_language(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    phone: Authenticator,
    language: Language,
    expected: dict[str, str],
) -> None:
    payment = domestic(uow, language)
    view = fix_modal(endpoint, payment, posted(uow, endpoint, payment))
    answer = submit(
        endpoint,
        view,
        **{
            Block.ACCOUNT.value: BAD_ACCOUNT,
            Block.REFERENCE_TYPE.value: ReferenceType.KID.value,
            Block.REFERENCE.value: BAD_KID,
        },
    )
    assert answer is not None and answer["response_action"] == "errors"
    assert answer["errors"] == expected
    assert payments.show(uow, payment_id=payment.id).payment.version == payment.version


@pytest.mark.parametrize(
    ("language", "expected"),
    [(Language.EN, "Nothing would change"), (Language.NB, "Ingenting ville bli endret")],
)
def test_saving_what_the_payment_has_is_an_error_in_the_companys_language(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    phone: Authenticator,
    language: Language,
    expected: str,
) -> None:
    payment = domestic(uow, language)
    view = fix_modal(endpoint, payment, posted(uow, endpoint, payment))
    answer = submit(endpoint, view)  # every field as prefilled
    assert answer is not None and answer["response_action"] == "errors"
    assert answer["errors"] == {Block.ACCOUNT.value: expected}
    assert payments.show(uow, payment_id=payment.id).payment.version == payment.version
