"""The Fix modal's "Payee" field: shown, prefilled, when the payment is red because a bank file
keeps no letter of its payee's name (and only then); a name in letters a bank takes makes it
blue; a refused name is an error on the field in the company's language. Signed requests to the
real endpoint, against the local Slack Web API; both databases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from paybot.core.company import Language
from paybot.core.payee_details import Problem
from paybot.core.payments import Flag, PaymentView, Reason, ReferenceType
from paybot.handlers.ids import Block
from paybot.handlers.views import fix_modal as fix_views
from paybot.services import companies, payments, rates
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO, Authenticator, a_company, a_supplier, an_item, ledger_with
from tests.slack.conftest import SlackEndpoint
from tests.slack.test_fix_abroad_modal import fix_modal, inputs, posted, submit

GB_IBAN = "GB29NWBK60161331926819"
CYRILLIC = "Дмитрий ООО"


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    found = a_company(uow)
    assert found is not None
    rates.set_rate(uow, currency="GBP", rate=Decimal("13.5"), valid_from=date(2026, 11, 1), now=NOW)
    return found


def a_payment(uow: UnitOfWork, name: str = CYRILLIC) -> PaymentView:
    """A payment in GBP to a London payee called `name`."""
    item = an_item(
        account=GB_IBAN,
        currency="GBP",
        supplier_name=name,
        supplier_org_no=None,
        reference_type=ReferenceType.MESSAGE,
        reference="Invoice 7",
    )
    supplier = a_supplier(name=name, org_no=None, account=GB_IBAN, town="London", country="GB")
    found: PaymentView = ledger_with(uow, [item], [supplier])[item.voucher_no]
    return found


def test_the_modal_asks_for_the_name_when_it_is_red_for_it_and_saves_a_good_one(
    uow: UnitOfWork, endpoint: SlackEndpoint, phone: Authenticator
) -> None:
    payment = a_payment(uow)
    assert payment.reasons == (Reason.INVALID_NAME,)
    view = fix_modal(endpoint, payment, posted(uow, endpoint, payment))
    shown = inputs(view)
    field = shown[fix_views.PAYEE_NAME_BLOCK]
    assert field["label"]["text"] == "Payee"
    assert field["element"]["initial_value"] == CYRILLIC
    assert field["element"]["max_length"] == 200
    assert list(shown)[:2] == [fix_views.PAYEE_NAME_BLOCK, Block.ACCOUNT.value]  # first: the why
    answer = submit(endpoint, view, payee="Dmitrij OOO")
    assert answer is not None and answer["response_action"] == "update"
    fixed = payments.show(uow, payment_id=payment.id).payment
    assert (fixed.payee, fixed.flag, fixed.reasons) == ("Dmitrij OOO", Flag.BLUE, ())


def test_a_payment_whose_name_is_fine_has_no_name_field(
    uow: UnitOfWork, endpoint: SlackEndpoint, phone: Authenticator
) -> None:
    payment = a_payment(uow, name="Smith Ltd")
    view = fix_modal(endpoint, payment, posted(uow, endpoint, payment))
    assert fix_views.PAYEE_NAME_BLOCK not in inputs(view)


def test_the_fix_modal_in_norwegian_labels_the_field_mottaker(
    uow: UnitOfWork, endpoint: SlackEndpoint, phone: Authenticator
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, language=Language.NB, now=NOW)
    payment = a_payment(uow)
    view = fix_modal(endpoint, payment, posted(uow, endpoint, payment))
    assert inputs(view)[fix_views.PAYEE_NAME_BLOCK]["label"]["text"] == "Mottaker"


@pytest.mark.parametrize(
    ("language", "name", "expected"),
    [
        (Language.EN, "Иван ООО", "Has no letters or digits a bank takes"),
        (Language.NB, "Иван ООО", "Har ingen bokstaver eller sifre en bank tar imot"),
        (
            Language.EN,
            "Dmitrij Д",
            '"Д" (U+0414) at position 9 cannot go in a payment file: use Latin letters, digits '
            "and / - ? : ( ) . , ' +",
        ),
        (
            Language.NB,
            "Dmitrij Д",
            "«Д» (U+0414) på plass 9 kan ikke stå i en betalingsfil: bruk latinske bokstaver, "
            "sifre og / - ? : ( ) . , ' +",
        ),
        (Language.NB, "", "Har ingen bokstaver eller sifre en bank tar imot"),
        (Language.NB, "D" * 201, "Høyst 200 tegn (fikk 201)"),
    ],
)
def test_a_refused_name_is_an_error_on_its_field_in_the_companys_language(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    phone: Authenticator,
    language: Language,
    name: str,
    expected: str,
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, language=language, now=NOW)
    payment = a_payment(uow)
    view = fix_modal(endpoint, payment, posted(uow, endpoint, payment))
    answer = submit(endpoint, view, payee=name or None)  # an emptied input: None
    assert answer is not None and answer["response_action"] == "errors"
    assert answer["errors"] == {fix_views.PAYEE_NAME_BLOCK: expected}
    assert payments.show(uow, payment_id=payment.id).payment.version == payment.version


def test_every_problem_a_field_may_have_is_said_in_norwegian() -> None:
    assert set(fix_views.PROBLEMS) == set(Problem)
    for phrase in fix_views.PROBLEMS.values():
        assert phrase.nb != "{message}"
