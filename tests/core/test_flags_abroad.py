"""Red reasons of payments abroad: the payee's address, the payee's bank's BIC, the purpose."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paybot.core.company import REPORTING_THRESHOLD_NOK
from paybot.core.flags import PaymentFacts, Reporting, assess, completeness_reasons
from paybot.core.payment_types import PaymentType, is_abroad, payment_type
from paybot.core.payments import Flag, PayeeDetails, Reason, ReferenceType, flag_for

ABROAD = frozenset({Reason.MISSING_ADDRESS, Reason.MISSING_BIC, Reason.MISSING_PURPOSE})
NORWEGIAN_ACCOUNT = "12345678903"
NORWEGIAN_IBAN = "NO9386011117947"
GERMAN_IBAN = "DE89370400440532013000"
BRITISH_IBAN = "GB29NWBK60161331926819"
US_ACCOUNT = "123456789012"
US_BIC = "CHASUS33"
GOODS = "14"  # "Kjøp/salg av varer" in Norges Bank's list
BERLIN = PayeeDetails(street="Unter den Linden", building_no="5", town="Berlin", country="DE")
NEW_YORK = PayeeDetails(town="New York", country="US", bic=US_BIC)
USD_RATE = Decimal("10.00")
RATES = Reporting({"USD": USD_RATE, "EUR": Decimal("11.50")})


def facts(**overrides: Any) -> PaymentFacts:
    """A complete SEPA payment: EUR 1,250 to a German IBAN, the payee's town and country given."""
    values: dict[str, Any] = {
        "key": 1,
        "supplier_key": 10,
        "account": GERMAN_IBAN,
        "amount": Decimal("1250.00"),
        "currency": "EUR",
        "reference_type": ReferenceType.MESSAGE,
        "reference": "Invoice 2026-117",
        "invoice_no": "2026-117",
        "payee": BERLIN,
    }
    values.update(overrides)
    return PaymentFacts(**values)


def in_usd(nok: str, **payee: Any) -> PaymentFacts:
    """A USD payment worth `nok` NOK at RATES, to a US account with its BIC and address."""
    details = {"town": "New York", "country": "US", "bic": US_BIC, **payee}
    amount = Decimal(nok) / USD_RATE
    return facts(account=US_ACCOUNT, currency="USD", amount=amount, payee=PayeeDetails(**details))


# --- the payee's address -------------------------------------------------------------------------


def test_a_sepa_payment_with_the_payees_town_and_country_is_complete() -> None:
    assert completeness_reasons(facts(), reporting=RATES) == set()


@pytest.mark.parametrize(
    "payee",
    [
        PayeeDetails(),
        PayeeDetails(street="Unter den Linden", town="Berlin"),
        PayeeDetails(country="DE"),
        PayeeDetails(town="   ", country="DE"),
        PayeeDetails(town="Berlin", country="de"),
        PayeeDetails(town="Berlin", country="Germany"),
        PayeeDetails(town="Berlin", country="ZZ"),
    ],
    ids=["nothing", "no-country", "no-town", "blank-town", "lower-case", "country-name", "ZZ"],
)
def test_a_payment_abroad_without_the_payees_town_and_country_is_red(payee: PayeeDetails) -> None:
    reasons = completeness_reasons(facts(payee=payee), reporting=RATES)
    assert reasons == {Reason.MISSING_ADDRESS}
    assert flag_for(reasons) is Flag.RED


@pytest.mark.parametrize("amount", [Decimal("10"), Decimal("5000000")])
def test_euros_to_a_norwegian_account_need_no_address_bic_or_purpose(amount: Decimal) -> None:
    # Not domestic (a currency payment), but not abroad: the payee is in Norway, and the
    # Currency Register counts transfers across the border.
    payment = facts(account=NORWEGIAN_ACCOUNT, amount=amount, payee=PayeeDetails())
    assert payment_type(NORWEGIAN_ACCOUNT, "EUR") is PaymentType.CROSS_BORDER
    assert completeness_reasons(payment, reporting=RATES) == set()


@pytest.mark.parametrize("account", [NORWEGIAN_ACCOUNT, NORWEGIAN_IBAN])
@pytest.mark.parametrize("country", [None, "NO"])
def test_a_domestic_payment_needs_no_address_bic_or_purpose(
    account: str, country: str | None
) -> None:
    payment = facts(
        account=account,
        currency="NOK",
        amount=Decimal("5000000"),
        payee=PayeeDetails(country=country),
    )
    assert completeness_reasons(payment, reporting=Reporting()) == set()


def test_an_unknown_currency_is_not_judged_as_a_payment_abroad() -> None:
    payment = facts(currency="XYZ", payee=PayeeDetails())
    assert completeness_reasons(payment, reporting=Reporting()) == {Reason.UNSUPPORTED_CURRENCY}


# --- the payee's bank's BIC ----------------------------------------------------------------------


def test_a_us_account_number_with_country_us_and_no_bic_lacks_the_bic_not_a_valid_account() -> None:
    payee = PayeeDetails(town="New York", country="US")
    payment = facts(account=US_ACCOUNT, currency="USD", payee=payee)
    reasons = completeness_reasons(payment, reporting=RATES)
    assert reasons == {Reason.MISSING_BIC}
    assert flag_for(reasons) is Flag.RED


def test_a_us_account_number_without_the_payees_country_is_an_invalid_norwegian_one() -> None:
    payment = facts(account=US_ACCOUNT, currency="USD", payee=PayeeDetails(town="New York"))
    reasons = completeness_reasons(payment, reporting=RATES)
    assert reasons == {Reason.INVALID_ACCOUNT}


def test_a_foreign_account_number_with_the_banks_bic_is_complete() -> None:
    payment = facts(account=US_ACCOUNT, currency="USD", payee=NEW_YORK)
    assert completeness_reasons(payment, reporting=RATES) == set()


@pytest.mark.parametrize(
    "bic", ["CHASUS3", "chasus33", "CHAS US33", "1HASUS33", "CHASUS33XX", "CHASZZ33"]
)
def test_a_bic_of_the_wrong_form_counts_as_missing(bic: str) -> None:
    payee = PayeeDetails(town="New York", country="US", bic=bic)
    payment = facts(account=US_ACCOUNT, currency="USD", payee=payee)
    assert completeness_reasons(payment, reporting=RATES) == {Reason.MISSING_BIC}


def test_a_payee_in_kosovo_with_its_banks_bic_is_complete() -> None:
    payee = PayeeDetails(town="Prishtina", country="XK", bic="RBKOXKPR")
    payment = facts(account=US_ACCOUNT, currency="USD", payee=payee)
    assert completeness_reasons(payment, reporting=RATES) == set()


def test_an_iban_abroad_needs_no_bic() -> None:
    payee = PayeeDetails(town="London", country="GB")
    payment = facts(account=BRITISH_IBAN, currency="GBP", payee=payee)
    assert completeness_reasons(payment, reporting=Reporting({"GBP": Decimal("13")})) == set()


# --- the purpose, for the Currency Register ------------------------------------------------------


def test_a_payment_abroad_above_the_threshold_without_a_purpose_is_red() -> None:
    reasons = completeness_reasons(in_usd("150000"), reporting=RATES)
    assert reasons == {Reason.MISSING_PURPOSE}
    assert flag_for(reasons) is Flag.RED


def test_a_payment_abroad_above_the_threshold_with_a_purpose_is_complete() -> None:
    payment = in_usd("150000", purpose_code=GOODS, purpose_text="Machine parts")
    assert completeness_reasons(payment, reporting=RATES) == set()


@pytest.mark.parametrize(
    "purpose",
    [
        {"purpose_code": GOODS},
        {"purpose_text": "Machine parts"},
        {"purpose_code": GOODS, "purpose_text": "  "},
        {"purpose_code": "99", "purpose_text": "Machine parts"},
        {"purpose_code": " 14", "purpose_text": "Machine parts"},
    ],
    ids=["no-text", "no-code", "blank-text", "code-not-in-the-list", "code-with-a-blank"],
)
def test_a_purpose_without_code_or_text_or_with_a_code_not_in_the_list_is_missing(
    purpose: dict[str, str],
) -> None:
    assert completeness_reasons(in_usd("150000", **purpose), reporting=RATES) == {
        Reason.MISSING_PURPOSE
    }


@pytest.mark.parametrize("nok", ["99999.99", "100000"])
def test_a_payment_abroad_up_to_the_threshold_needs_no_purpose(nok: str) -> None:
    assert completeness_reasons(in_usd(nok), reporting=RATES) == set()


def test_the_companys_own_threshold_decides() -> None:
    higher = Reporting(RATES.nok_rates, Decimal("200000"))
    lower = Reporting(RATES.nok_rates, Decimal("50000"))
    assert completeness_reasons(in_usd("150000"), reporting=higher) == set()
    assert completeness_reasons(in_usd("60000"), reporting=lower) == {Reason.MISSING_PURPOSE}


def test_a_payment_abroad_without_a_rate_to_nok_needs_a_purpose_however_small() -> None:
    payment = facts(amount=Decimal("10.00"))
    assert completeness_reasons(payment, reporting=Reporting()) == {Reason.MISSING_PURPOSE}


def test_a_nok_payment_abroad_needs_no_rate() -> None:
    payee = PayeeDetails(town="London", country="GB")
    small = facts(account=BRITISH_IBAN, currency="NOK", amount=Decimal("90000"), payee=payee)
    large = facts(account=BRITISH_IBAN, currency="NOK", amount=Decimal("100000.01"), payee=payee)
    assert completeness_reasons(small, reporting=Reporting()) == set()
    assert completeness_reasons(large, reporting=Reporting()) == {Reason.MISSING_PURPOSE}


def test_without_rates_at_hand_the_purpose_is_left_to_the_stored_flag() -> None:
    assert completeness_reasons(in_usd("150000")) == set()


def test_assess_applies_the_purpose_rule_with_the_rates_it_is_given() -> None:
    payment = in_usd("150000")
    assert assess([payment], {}, reporting=RATES) == {1: {Reason.MISSING_PURPOSE}}
    assert assess([payment], {}) == {1: set()}


def test_the_nok_value_is_the_amount_times_the_rate_or_unknown() -> None:
    assert RATES.amount_nok(Decimal("100"), "USD") == Decimal("1000.0000")
    assert RATES.amount_nok(Decimal("100"), "NOK") == Decimal("100")
    assert RATES.amount_nok(Decimal("100"), "SEK") is None
    assert Reporting().threshold == REPORTING_THRESHOLD_NOK


# --- properties ----------------------------------------------------------------------------------

ACCOUNTS = st.sampled_from(
    [None, NORWEGIAN_ACCOUNT, NORWEGIAN_IBAN, GERMAN_IBAN, BRITISH_IBAN, US_ACCOUNT, "12345678904"]
)
COUNTRIES = st.sampled_from([None, "NO", "DE", "GB", "US", "de", ""])
TEXTS = st.one_of(st.none(), st.sampled_from(["", " ", "Berlin", "14", "99", "Goods", US_BIC]))
AMOUNTS = st.decimals(min_value=Decimal("-1000"), max_value=Decimal("10000000"), places=2)
RATE_VALUES = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("100"), places=4)
CURRENCIES = st.sampled_from(["NOK", "EUR", "USD", "GBP", "SEK"])
REPORTINGS = st.builds(
    Reporting,
    st.dictionaries(st.sampled_from(["EUR", "USD", "GBP", "SEK"]), RATE_VALUES),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("1000000"), places=2),
)
PAYEES = st.builds(
    PayeeDetails,
    town=TEXTS,
    country=COUNTRIES,
    bic=TEXTS,
    purpose_code=TEXTS,
    purpose_text=TEXTS,
)


@given(account=ACCOUNTS, currency=CURRENCIES, amount=AMOUNTS, payee=PAYEES, reporting=REPORTINGS)
def test_a_domestic_payment_never_gets_a_reason_of_payments_abroad(
    account: str | None,
    currency: str,
    amount: Decimal,
    payee: PayeeDetails,
    reporting: Reporting,
) -> None:
    payment = facts(account=account, currency=currency, amount=amount, payee=payee)
    reasons = completeness_reasons(payment, reporting=reporting)
    kind = payment_type(account, currency, payee.country)
    if kind is PaymentType.DOMESTIC or not is_abroad(account, payee.country):
        assert not reasons & ABROAD
    else:
        assert reasons & ABROAD or payee.town  # abroad without a town is always red


@given(
    account=ACCOUNTS,
    currency=st.sampled_from(["EUR", "USD", "GBP", "SEK"]),
    nok=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000000"), places=2),
    rate=st.one_of(st.none(), RATE_VALUES),
    threshold=st.decimals(min_value=Decimal("0"), max_value=Decimal("1000000"), places=2),
    payee=PAYEES,
    purpose=st.sampled_from(
        [(None, None), ("14", None), (None, "Goods"), ("99", "Goods"), ("14", " ")]
    ),
)
def test_a_payment_abroad_above_the_threshold_without_a_valid_purpose_is_always_red(
    account: str | None,
    currency: str,
    nok: Decimal,
    rate: Decimal | None,
    threshold: Decimal,
    payee: PayeeDetails,
    purpose: tuple[str | None, str | None],
) -> None:
    code, text = purpose
    details = PayeeDetails(
        town=payee.town, country=payee.country, bic=payee.bic, purpose_code=code, purpose_text=text
    )
    # Above the threshold at the rate, or of unknown NOK value (no rate).
    amount = nok if rate is None else (threshold + nok) / rate
    reporting = Reporting({} if rate is None else {currency: rate}, threshold)
    payment = facts(account=account, currency=currency, amount=amount, payee=details)
    reasons = completeness_reasons(payment, reporting=reporting)
    if is_abroad(account, payee.country):
        assert Reason.MISSING_PURPOSE in reasons
        assert flag_for(reasons) is Flag.RED
    else:  # to a Norwegian account: not a transfer across the border
        assert Reason.MISSING_PURPOSE not in reasons
