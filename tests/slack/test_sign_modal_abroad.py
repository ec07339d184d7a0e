"""The Sign modal of a payment in dollars to New York, clicked as Slack clicks it (signed requests
to the real endpoint) against the local Slack Web API, on both databases: the modal shows the
payee's country and what the payment is worth in NOK at today's rate, in the company's language,
and the code signs it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from paybot.core.company import Language
from paybot.core.payments import Flag, PaymentView, ReferenceType
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Act, View
from paybot.services import companies, rates
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
from tests.slack.test_actions import ok, opened_modal, post_message, status_of, submit_code

US_ACCOUNT = "123456789012"
NEW_YORK = {
    "town": "New York",
    "country": "US",
    "bic": "CHASUS33",
    "charge_bearer": "DEBT",
    "purpose_code": "14",
    "purpose_text": "Machine parts",
}
SHOWN = {
    Language.EN: (
        "🌍 Cross-border payment to *United States (US)* · BIC CHASUS33",
        "≈ NOK 152,340.00 at 10.1560, rate of 20 Nov 2026",
        "*Charges:* The company pays all charges (DEBT)",
        "*Purpose:* 14 Purchase/sale of goods · Machine parts",
    ),
    Language.NB: (
        "🌍 Utenlandsbetaling til *USA (US)* · BIC CHASUS33",
        "≈ NOK 152 340,00 til kurs 10,1560, kurs fra 20. nov. 2026",
        "*Gebyrer:* Selskapet betaler alle gebyrer (DEBT)",
        "*Formål:* 14 Kjøp/salg av varer · Machine parts",
    ),
}


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    found = a_company(uow)
    assert found is not None
    return found


def in_dollars(uow: UnitOfWork) -> PaymentView:
    """USD 15,000.00 to Globex in New York, blue; USD is NOK 10.156 from 20 Nov 2026."""
    rates.set_rate(uow, currency="USD", rate=Decimal("9.8"), valid_from=date(2026, 11, 1), now=NOW)
    rates.set_rate(
        uow, currency="USD", rate=Decimal("10.156"), valid_from=date(2026, 11, 20), now=NOW
    )
    item = an_item(
        supplier_name="Globex Inc",
        supplier_org_no=None,
        account=US_ACCOUNT,
        currency="USD",
        amount=Decimal("15000.00"),
        reference_type=ReferenceType.MESSAGE,
        reference="Invoice 117",
    )
    supplier = a_supplier(name="Globex Inc", org_no=None, account=US_ACCOUNT, **NEW_YORK)
    payment: PaymentView = ledger_with(uow, [item], [supplier])[item.voucher_no]
    assert payment.flag is Flag.BLUE, payment.reasons
    return payment


@pytest.mark.parametrize("language", list(Language))
def test_the_sign_modal_of_a_dollar_payment_shows_the_country_and_its_value_in_nok(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    clock: Clock,
    phone: Authenticator,
    language: Language,
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, language=language, now=NOW)
    payment = in_dollars(uow)
    ts = post_message(uow, endpoint, [payment])

    ok(endpoint.click(SIGNER.slack_user_id, Act.SIGN, str(payment.id), ts=ts))
    view = opened_modal(endpoint)  # opened at once with the trigger id, then filled

    assert view["callback_id"] == View.SIGN.value
    said = text_of(view["blocks"])
    assert all(f"\\n> {line}" in said for line in SHOWN[language]), said
    assert "Globex Inc" in said and "USD 15" in said
    code, clock.at = phone.code()
    assert submit_code(endpoint, view, code) is not None
    assert status_of(uow, payment.id) is PaymentStatus.DUE
