"""Proposals abroad: red without the payee's address, the bank's BIC or the purpose the Currency
Register needs, blue with them; rates to NOK decide the purpose (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from paybot.core.errors import ValidationFailed
from paybot.core.payments import Flag, PayeeDetails, PaymentView, Reason
from paybot.services import audit_trail, companies, ledger, proposals, rates
from paybot.store.uow import UnitOfWork
from tests.builders import COMPANY_ACCOUNT, NOW, ORG_NO, a_company, a_supplier, an_item

pytest.importorskip("paybot.core.purpose_codes")

GERMAN_IBAN = "DE89370400440532013000"
US_ACCOUNT = "123456789012"
US_BIC = "CHASUS33"
BERLIN = {"street": "Unter den Linden", "building_no": "5", "town": "Berlin", "country": "DE"}
NEW_YORK = {"town": "New York", "country": "US", "bic": US_BIC}
PURPOSE = {"purpose_code": "14", "purpose_text": "Machine parts"}
OTHER_ORG_NO = "987654325"
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def company(uow: UnitOfWork) -> None:
    a_company(uow)


def with_rate(uow: UnitOfWork, currency: str, rate: str, valid_from: date = TODAY) -> None:
    rates.set_rate(uow, currency=currency, rate=Decimal(rate), valid_from=valid_from, now=NOW)


def supplier_with(uow: UnitOfWork, org_no: str = ORG_NO, **details: str) -> None:
    """The company's one supplier (no registered account), with these payee details."""
    supplier = a_supplier(account=None)
    ledger.import_suppliers(uow, company_org_no=org_no, source="s.csv", rows=[supplier], now=NOW)
    with uow:
        company = uow.companies.get(org_no)
        assert company is not None
        [(supplier_id, *_)] = uow.ledger.suppliers(company.id).values()
        if details:
            uow.ledger.update_supplier(supplier_id, details)
        uow.commit()


def proposed(uow: UnitOfWork, org_no: str = ORG_NO, **overrides: Any) -> PaymentView:
    """An open item of the supplier, made a proposal by a refresh."""
    item = an_item(**overrides)
    ledger.import_open_items(uow, company_org_no=org_no, source="i.csv", rows=[item], now=NOW)
    proposals.refresh(uow, company_org_no=org_no, now=NOW)
    return now_(uow, item.voucher_no, org_no)


def now_(uow: UnitOfWork, voucher_no: str, org_no: str = ORG_NO) -> PaymentView:
    """The payment of the voucher, as it is now."""
    found = proposals.list_payments(uow, company_org_no=org_no)
    [payment] = [payment for payment in found if payment.voucher_no == voucher_no]
    return payment


def in_euro(uow: UnitOfWork, **overrides: Any) -> PaymentView:
    return proposed(uow, account=GERMAN_IBAN, currency="EUR", **overrides)


def in_dollars(uow: UnitOfWork, amount: str, org_no: str = ORG_NO) -> PaymentView:
    return proposed(uow, org_no, account=US_ACCOUNT, currency="USD", amount=Decimal(amount))


def red_for(payment: PaymentView) -> tuple[Flag, list[str]]:
    return payment.flag, [reason.value for reason in payment.reasons]


# --- the payee's address, and the details a proposal takes ---------------------------------------


def test_a_sepa_proposal_without_the_payees_address_is_red(uow: UnitOfWork) -> None:
    with_rate(uow, "EUR", "11.50")
    supplier_with(uow)
    assert red_for(in_euro(uow)) == (Flag.RED, ["missing_address"])


def test_a_sepa_proposal_with_the_payees_address_is_blue_and_carries_it(uow: UnitOfWork) -> None:
    with_rate(uow, "EUR", "11.50")
    supplier_with(uow, **BERLIN, charge_bearer="SHAR")
    payment = in_euro(uow)
    assert red_for(payment) == (Flag.BLUE, [])
    assert payment.payee_details == PayeeDetails(**BERLIN, charge_bearer="SHAR")


# --- the payee's bank's BIC ----------------------------------------------------------------------


def test_a_us_account_number_without_a_bic_is_red_for_the_bic_not_the_account(
    uow: UnitOfWork,
) -> None:
    with_rate(uow, "USD", "10.00")
    supplier_with(uow, town="New York", country="US")
    assert red_for(in_dollars(uow, "1000.00")) == (Flag.RED, ["missing_bic"])


# --- the purpose, above the reporting threshold --------------------------------------------------


def test_a_usd_payment_worth_nok_150000_without_a_purpose_is_red(uow: UnitOfWork) -> None:
    with_rate(uow, "USD", "10.00")
    supplier_with(uow, **NEW_YORK)
    payment = in_dollars(uow, "15000.00")
    assert red_for(payment) == (Flag.RED, ["missing_purpose"])
    assert Reason.MISSING_PURPOSE.is_blocking


def test_a_usd_payment_worth_nok_150000_with_a_valid_purpose_is_blue(uow: UnitOfWork) -> None:
    with_rate(uow, "USD", "10.00")
    supplier_with(uow, **NEW_YORK, **PURPOSE)
    payment = in_dollars(uow, "15000.00")
    assert red_for(payment) == (Flag.BLUE, [])
    assert (payment.payee_details.purpose_code, payment.payee_details.purpose_text) == (
        "14",
        "Machine parts",
    )


def test_a_purpose_code_not_in_norges_banks_list_is_red(uow: UnitOfWork) -> None:
    with_rate(uow, "USD", "10.00")
    supplier_with(uow, **NEW_YORK, purpose_code="99", purpose_text="Machine parts")
    assert red_for(in_dollars(uow, "15000.00")) == (Flag.RED, ["missing_purpose"])


def test_a_usd_payment_below_the_threshold_is_blue_without_a_purpose(uow: UnitOfWork) -> None:
    with_rate(uow, "USD", "10.00")
    supplier_with(uow, **NEW_YORK)
    assert red_for(in_dollars(uow, "9000.00")) == (Flag.BLUE, [])


def test_the_newest_rate_counts(uow: UnitOfWork) -> None:
    with_rate(uow, "USD", "12.00", TODAY - timedelta(days=7))
    with_rate(uow, "USD", "10.00", TODAY)
    with_rate(uow, "USD", "11.00", TODAY - timedelta(days=1))
    supplier_with(uow, **NEW_YORK)
    assert red_for(in_dollars(uow, "9500.00")) == (Flag.BLUE, [])  # NOK 95,000 at 10


def test_a_payment_abroad_without_a_rate_to_nok_needs_a_purpose(uow: UnitOfWork) -> None:
    with_rate(uow, "USD", "1.10")  # no use: the rule reads rates to NOK
    rates.set_rate(
        uow, currency="EUR", rate=Decimal("1.10"), quote_currency="USD", valid_from=TODAY, now=NOW
    )
    supplier_with(uow, **BERLIN)
    assert red_for(in_euro(uow, amount=Decimal("10.00"))) == (Flag.RED, ["missing_purpose"])


def test_the_companys_reporting_threshold_decides(uow: UnitOfWork) -> None:
    with_rate(uow, "USD", "10.00")
    supplier_with(uow, **NEW_YORK)
    with uow:
        company = uow.companies.get(ORG_NO)
        assert company is not None
        uow.companies.update(company.id, {"reporting_threshold": Decimal("200000")})
        uow.commit()
    assert red_for(in_dollars(uow, "15000.00")) == (Flag.BLUE, [])


def test_changing_the_reporting_threshold_flags_the_payments_again(uow: UnitOfWork) -> None:
    with_rate(uow, "USD", "10.00")
    supplier_with(uow, **NEW_YORK)
    payment = in_dollars(uow, "15000.00")  # NOK 150,000
    assert red_for(payment) == (Flag.RED, ["missing_purpose"])
    changed = companies.update_settings(
        uow, org_no=ORG_NO, reporting_threshold=Decimal("200000"), now=NOW
    )
    assert changed.reporting_threshold == Decimal("200000.00")
    assert red_for(now_(uow, payment.voucher_no)) == (Flag.BLUE, [])
    companies.update_settings(uow, org_no=ORG_NO, reporting_threshold=Decimal("100000"), now=NOW)
    assert red_for(now_(uow, payment.voucher_no)) == (Flag.RED, ["missing_purpose"])
    with pytest.raises(ValidationFailed, match="zero or more"):
        companies.update_settings(uow, org_no=ORG_NO, reporting_threshold=Decimal("-1"), now=NOW)


# --- rates change flags --------------------------------------------------------------------------


def test_a_rate_that_takes_a_payment_above_the_threshold_turns_it_red_and_back(
    uow: UnitOfWork,
) -> None:
    with_rate(uow, "USD", "10.00")
    supplier_with(uow, **NEW_YORK)
    payment = in_dollars(uow, "9000.00")
    assert payment.flag is Flag.BLUE
    with_rate(uow, "USD", "12.00", TODAY + timedelta(days=1))  # NOK 108,000
    assert red_for(now_(uow, payment.voucher_no)) == (Flag.RED, ["missing_purpose"])
    with_rate(uow, "USD", "10.50", TODAY + timedelta(days=2))  # NOK 94,500
    assert red_for(now_(uow, payment.voucher_no)) == (Flag.BLUE, [])


def test_a_rate_reflags_every_companys_payments_in_its_currency(uow: UnitOfWork) -> None:
    companies.add_company(
        uow, org_no=OTHER_ORG_NO, name="Beta AS", account=COMPANY_ACCOUNT, bank="DNB", now=NOW
    )
    with_rate(uow, "USD", "10.00")
    ours, theirs = [], []
    for org_no, found in ((ORG_NO, ours), (OTHER_ORG_NO, theirs)):
        supplier_with(uow, org_no, **NEW_YORK)
        found.append(in_dollars(uow, "9000.00", org_no))
    with_rate(uow, "USD", "12.00", TODAY + timedelta(days=1))
    assert now_(uow, ours[0].voucher_no).flag is Flag.RED
    assert now_(uow, theirs[0].voucher_no, OTHER_ORG_NO).flag is Flag.RED


def test_a_rate_says_in_its_audit_event_how_many_flags_it_changed(uow: UnitOfWork) -> None:
    with_rate(uow, "USD", "10.00")
    supplier_with(uow, **NEW_YORK)
    in_dollars(uow, "9000.00")
    with_rate(uow, "USD", "12.00", TODAY + timedelta(days=1))
    events = audit_trail.latest(uow, action="rate.set")
    reflagged = {event["after"]["rate"]: event["details"]["reflagged"] for event in events}
    assert reflagged == {"10.00": 0, "12.00": 1}


def test_a_rate_to_another_currency_than_nok_changes_no_flag(uow: UnitOfWork) -> None:
    with_rate(uow, "USD", "10.00")
    supplier_with(uow, **NEW_YORK)
    payment = in_dollars(uow, "9000.00")
    rates.set_rate(
        uow, currency="USD", rate=Decimal("50"), quote_currency="SEK", valid_from=TODAY, now=NOW
    )
    assert now_(uow, payment.voucher_no).flag is Flag.BLUE
