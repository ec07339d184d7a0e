"""What the Sign modal shows of payments abroad comes from the preview: the kind, the charge bearer
the file will carry, and the value in the company's currency at the rate the limit check used,
the newest in force today with its date (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from paybot.core.payment_types import PaymentType
from paybot.core.payments import Flag, PaymentView, ReferenceType
from paybot.services import people, rates
from paybot.services.sign_preview import Abroad, DatedRate, Skip, blue_to_sign, to_sign
from paybot.store.uow import UnitOfWork
from tests.builders import (
    NOW,
    ORG_NO,
    OSLO,
    SIGNER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)

US_ACCOUNT = "123456789012"
DE_IBAN = "DE89370400440532013000"
NEW_YORK = {
    "town": "New York",
    "country": "US",
    "bic": "CHASUS33",
    "charge_bearer": "DEBT",
    "purpose_code": "14",
    "purpose_text": "Machine parts",
}
# With a purpose: without a rate to NOK, nobody can tell it is below the reporting threshold.
BERLIN = {"town": "Berlin", "country": "DE", "purpose_code": "29", "purpose_text": "Services"}


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    found = a_company(uow)
    assert found is not None
    return found


def usd_rates(uow: UnitOfWork) -> None:
    """An old rate, the one in force today (23 Nov 2026) and one from next month."""
    for day, rate in (
        (date(2026, 11, 1), "9.8"),
        (date(2026, 11, 20), "10.156"),
        (date(2026, 12, 1), "11"),
    ):
        rates.set_rate(uow, currency="USD", rate=Decimal(rate), valid_from=day, now=NOW)


def three_kinds(uow: UnitOfWork) -> dict[str, PaymentView]:
    """USD 15,000.00 to New York (cross-border), EUR 200.00 to Berlin (SEPA), NOK 1,250.00 at
    home; all blue."""
    items = {
        "usd": an_item(
            supplier_name="Globex Inc",
            supplier_org_no=None,
            account=US_ACCOUNT,
            currency="USD",
            amount=Decimal("15000.00"),
            reference_type=ReferenceType.MESSAGE,
            reference="Invoice 117",
        ),
        "eur": an_item(
            supplier_name="Berliner GmbH",
            supplier_org_no=None,
            account=DE_IBAN,
            currency="EUR",
            amount=Decimal("200.00"),
            reference_type=ReferenceType.MESSAGE,
            reference="R 7",
        ),
        "nok": an_item(),
    }
    suppliers = [
        a_supplier(name="Globex Inc", org_no=None, account=US_ACCOUNT, **NEW_YORK),
        a_supplier(name="Berliner GmbH", org_no=None, account=DE_IBAN, **BERLIN),
        a_supplier(),
    ]
    found = ledger_with(uow, list(items.values()), suppliers)
    shown = {key: found[item.voucher_no] for key, item in items.items()}
    assert {key: p.flag for key, p in shown.items()} == dict.fromkeys(shown, Flag.BLUE), shown
    return shown


def test_a_payment_in_dollars_is_shown_in_nok_at_the_newest_rate_in_force_today(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    usd_rates(uow)
    rates.set_rate(uow, currency="EUR", rate=Decimal("11.5"), valid_from=date(2026, 11, 2), now=NOW)
    shown = three_kinds(uow)
    preview = blue_to_sign(uow, actor=SIGNER, company_org_no=ORG_NO, now=NOW, zone=OSLO)
    assert {p.id for p in preview.payments} == {p.id for p in shown.values()}
    assert preview.abroad == {
        shown["usd"].id: Abroad(
            PaymentType.CROSS_BORDER,
            "DEBT",
            Decimal("152340.00"),
            DatedRate(Decimal("10.156"), date(2026, 11, 20)),
        ),
        shown["eur"].id: Abroad(
            PaymentType.SEPA,
            "SLEV",
            Decimal("2300.00"),
            DatedRate(Decimal("11.5"), date(2026, 11, 2)),
        ),
    }
    # The total the daily limit is checked against adds up the same values.
    assert preview.total_company == Decimal("152340.00") + Decimal("2300.00") + Decimal("1250.00")


def test_the_limit_is_checked_with_the_rate_the_modal_shows(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    usd_rates(uow)
    shown = three_kinds(uow)
    # USD 15,000.00 is NOK 147,000.00 at the old rate, NOK 152,340.00 at today's.
    people.set_user(
        uow, company_org_no=ORG_NO, user=SIGNER, max_per_payment=Decimal("150000"), now=NOW
    )
    preview = to_sign(uow, actor=SIGNER, payment_ids=[shown["usd"].id], now=NOW, zone=OSLO)
    assert preview.left_out_for(Skip.ABOVE_LIMIT) == [shown["usd"]]
    assert preview.abroad == {}
    people.set_user(
        uow, company_org_no=ORG_NO, user=SIGNER, max_per_payment=Decimal("152340"), now=NOW
    )
    preview = to_sign(uow, actor=SIGNER, payment_ids=[shown["usd"].id], now=NOW, zone=OSLO)
    assert preview.payments == [shown["usd"]]
    assert preview.abroad[shown["usd"].id].in_company == Decimal("152340.00")


def test_a_currency_without_a_rate_in_force_today_is_left_out_not_shown(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    rates.set_rate(  # only from next month: none in force today
        uow, currency="USD", rate=Decimal("11"), valid_from=date(2026, 12, 1), now=NOW
    )
    shown = three_kinds(uow)
    preview = blue_to_sign(uow, actor=SIGNER, company_org_no=ORG_NO, now=NOW, zone=OSLO)
    assert preview.left_out_for(Skip.NO_RATE) == [shown["usd"], shown["eur"]]
    assert preview.payments == [shown["nok"]] and preview.abroad == {}
