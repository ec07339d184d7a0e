"""The Sign modal of payments abroad, built from plain objects: under each payment's summary, the
payee's country, the account and the payee's bank, its value in the company's currency at the
rate the limits use (or that there is none), who bears the charges, urgency and the purpose, in
English and Norwegian; domestic payments as before; within Slack's limits however many."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk.models.views import View as SdkView

from paybot.core.company import CompanyInfo, DispatchTiming, Language, PostingMode
from paybot.core.payment_types import PaymentType
from paybot.core.payments import Flag, PayeeDetails, PaymentView, ReferenceType
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import View
from paybot.handlers.views import modal_parts, sign_modal
from paybot.handlers.views.cards import payment_summary
from paybot.services.sign_preview import Abroad, DatedRate, Preview
from tests.builders import OSLO

DE_IBAN = "DE89370400440532013000"
US_ACCOUNT = "123456789012"
RATE_DAY = date(2026, 11, 20)


def a_company(language: Language) -> CompanyInfo:
    return CompanyInfo(
        id=1,
        org_no="974760673",
        name="Acme AS",
        currency="NOK",
        dispatch_timing=DispatchTiming.DUE,
        approval_required=False,
        dual_control_threshold=None,
        posting_mode=PostingMode.PER_PAYMENT,
        language=language,
    )


def a_payment(number: int, **overrides: Any) -> PaymentView:
    values: dict[str, Any] = {
        "id": number,
        "company_org_no": "974760673",
        "status": PaymentStatus.PROPOSED,
        "flag": Flag.BLUE,
        "reasons": (),
        "payee": f"Payee {number}",
        "account": "12345678903",
        "amount": Decimal("1250.00"),
        "currency": "NOK",
        "due_date": date(2026, 12, 1),
        "reference_type": ReferenceType.MESSAGE,
        "reference": f"Invoice {number}",
        "voucher_no": str(number),
        "invoice_no": f"INV-{number}",
        "version": 1,
        "supplier_id": 1,
    }
    values.update(overrides)
    return PaymentView(**values)


def in_euro(number: int = 1) -> tuple[PaymentView, Abroad]:
    """EUR 200.00 to a German IBAN (SEPA), at 11.5 from 20 Nov 2026."""
    details = PayeeDetails(town="Berlin", country="DE", bic="DEUTDEFF")
    payment = a_payment(
        number, account=DE_IBAN, currency="EUR", amount=Decimal("200.00"), payee_details=details
    )
    rate = DatedRate(Decimal("11.5"), RATE_DAY)
    return payment, Abroad(PaymentType.SEPA, "SLEV", Decimal("2300.00"), rate)


def in_dollars(number: int = 2, *, rated: bool = True) -> tuple[PaymentView, Abroad]:
    """USD 15,000.00 to a US account, urgent, the company bearing the charges, with a purpose;
    at 10.156 from 20 Nov 2026 (or without a rate)."""
    details = PayeeDetails(
        town="New York",
        country="US",
        bic="CHASUS33",
        charge_bearer="DEBT",
        purpose_code="14",
        purpose_text="Machine parts",
    )
    payment = a_payment(
        number,
        payee="Globex Inc",
        account=US_ACCOUNT,
        currency="USD",
        amount=Decimal("15000.00"),
        payee_details=details,
        urgent=True,
    )
    if not rated:
        return payment, Abroad(PaymentType.CROSS_BORDER, "DEBT")
    rate = DatedRate(Decimal("10.156"), RATE_DAY)
    return payment, Abroad(PaymentType.CROSS_BORDER, "DEBT", Decimal("152340.00"), rate)


def a_preview(language: Language, *shown: PaymentView | tuple[PaymentView, Abroad]) -> Preview:
    payments = [item[0] if isinstance(item, tuple) else item for item in shown]
    abroad = {item[0].id: item[1] for item in shown if isinstance(item, tuple)}
    totals: dict[str, Decimal] = {}
    for p in payments:
        totals[p.currency] = totals.get(p.currency, Decimal(0)) + p.amount
    in_nok = sum(
        (abroad[p.id].in_company or p.amount if p.id in abroad else p.amount for p in payments),
        Decimal(0),
    )
    return Preview(a_company(language), payments, totals, abroad=abroad, total_company=in_nok)


def text_of(view: dict[str, Any]) -> str:
    return "\n".join(
        str(block["text"]["text"]) for block in view["blocks"] if block["type"] == "section"
    )


def modal(preview: Preview) -> dict[str, Any]:
    view = sign_modal.sign_modal(preview, callback=View.SIGN, metadata="{}", zone=OSLO)
    SdkView(**view).to_dict()  # raises SlackObjectFormationError beyond Slack's limits
    return view


def entry_of(view: dict[str, Any], payment: PaymentView) -> list[str]:
    """The lines of one payment's entry: its summary line and the quoted lines under it."""
    lines = text_of(view).splitlines()
    start = next(i for i, line in enumerate(lines) if f"· #{payment.id} · " in line)
    entry = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("> "):
            break
        entry.append(line)
    return entry


SEPA_LINES = {
    Language.EN: [
        "> 🌍 SEPA payment to *Germany (DE)* · BIC DEUTDEFF",
        "> ≈ NOK 2,300.00 at 11.5000, rate of 20 Nov 2026",
        "> *Charges:* Each pays their own bank, as the SEPA scheme says (SLEV)",
    ],
    Language.NB: [
        "> 🌍 SEPA-betaling til *Tyskland (DE)* · BIC DEUTDEFF",
        "> ≈ NOK 2 300,00 til kurs 11,5000, kurs fra 20. nov. 2026",
        "> *Gebyrer:* Hver betaler sin egen bank, etter SEPA-reglene (SLEV)",
    ],
}
USD_LINES = {
    Language.EN: [
        "> 🌍 Cross-border payment to *United States (US)* · BIC CHASUS33",
        "> ≈ NOK 152,340.00 at 10.1560, rate of 20 Nov 2026",
        "> *Charges:* The company pays all charges (DEBT) · *Urgent*",
        "> *Purpose:* 14 Purchase/sale of goods · Machine parts",
    ],
    Language.NB: [
        "> 🌍 Utenlandsbetaling til *USA (US)* · BIC CHASUS33",
        "> ≈ NOK 152 340,00 til kurs 10,1560, kurs fra 20. nov. 2026",
        "> *Gebyrer:* Selskapet betaler alle gebyrer (DEBT) · *Haster*",
        "> *Formål:* 14 Kjøp/salg av varer · Machine parts",
    ],
}
NO_RATE = {
    Language.EN: "> ⚠️ No exchange rate for USD to NOK: its value in NOK is not known",
    Language.NB: "> ⚠️ Ingen valutakurs for USD til NOK: verdien i NOK er ukjent",
}
TO = {Language.EN: "to", Language.NB: "til"}


@pytest.mark.parametrize("language", list(Language))
def test_a_sepa_payment_shows_the_country_bic_charges_and_its_value_in_nok(
    language: Language,
) -> None:
    payment, abroad = in_euro()
    view = modal(a_preview(language, (payment, abroad)))
    summary, *quoted = entry_of(view, payment)
    assert summary == (
        f"{payment_summary(payment, language)} · {TO[language]} DE89 3704 0044 0532 0130 00"
    )
    assert quoted == SEPA_LINES[language]


@pytest.mark.parametrize("language", list(Language))
def test_a_dollar_payment_shows_its_value_in_nok_the_charges_urgency_and_purpose(
    language: Language,
) -> None:
    payment, abroad = in_dollars()
    view = modal(a_preview(language, (payment, abroad)))
    summary, *quoted = entry_of(view, payment)
    assert summary.endswith(f"· #{payment.id} · {TO[language]} {US_ACCOUNT}")
    assert quoted == USD_LINES[language]


@pytest.mark.parametrize("language", list(Language))
def test_a_payment_in_another_currency_without_a_rate_says_its_value_is_not_known(
    language: Language,
) -> None:
    payment, abroad = in_dollars(rated=False)
    view = modal(a_preview(language, (payment, abroad)))
    _, *quoted = entry_of(view, payment)
    assert quoted == [USD_LINES[language][0], NO_RATE[language], *USD_LINES[language][2:]]


@pytest.mark.parametrize("language", list(Language))
def test_a_domestic_payment_is_one_line_as_before_beside_payments_abroad(
    language: Language,
) -> None:
    domestic = a_payment(3)
    alone = modal(a_preview(language, domestic))
    mixed = modal(a_preview(language, in_euro(1), domestic, in_dollars(2)))
    line = f"{payment_summary(domestic, language)} · {TO[language]} 1234.56.78903"
    assert entry_of(alone, domestic) == [line] == entry_of(mixed, domestic)
    assert not any(text.startswith(">") for text in text_of(alone).splitlines())


def test_a_payment_abroad_in_the_companys_currency_has_no_value_line() -> None:
    details = PayeeDetails(town="Berlin", country="DE")
    payment = a_payment(4, account=DE_IBAN, payee_details=details)  # NOK to a German IBAN
    view = modal(a_preview(Language.EN, (payment, Abroad(PaymentType.CROSS_BORDER, "SHAR"))))
    assert entry_of(view, payment)[1:] == [
        "> 🌍 Cross-border payment to *Germany (DE)*",
        "> *Charges:* Shared: each pays their own bank (SHAR)",
    ]


def test_a_payment_abroad_without_a_country_says_so_and_names_are_escaped() -> None:
    details = PayeeDetails(purpose_code="14", purpose_text="Parts <b> & co")
    payment = a_payment(5, currency="EUR", payee_details=details)  # EUR to a Norwegian account
    abroad = Abroad(
        PaymentType.CROSS_BORDER, "SHAR", Decimal("115.00"), DatedRate(Decimal("11.5"), RATE_DAY)
    )
    view = modal(a_preview(Language.EN, (payment, abroad)))
    quoted = entry_of(view, payment)[1:]
    assert quoted[0] == "> 🌍 Cross-border payment · country not given"
    assert quoted[-1] == "> *Purpose:* 14 Purchase/sale of goods · Parts &lt;b&gt; &amp; co"
    bosnia = replace(payment, payee_details=PayeeDetails(country="BA"))
    view = modal(a_preview(Language.EN, (bosnia, abroad)))
    assert entry_of(view, bosnia)[1] == (
        "> 🌍 Cross-border payment to *Bosnia &amp; Herzegovina (BA)*"
    )


@pytest.mark.parametrize(
    ("rate", "en", "nb"),
    [
        ("10.156", "10.1560", "10,1560"),
        ("11.5", "11.5000", "11,5000"),
        ("10", "10.0000", "10,0000"),
        ("0.071234", "0.071234", "0,071234"),
        ("1E+1", "10.0000", "10,0000"),
    ],
)
def test_a_rate_is_shown_with_at_least_four_decimals(rate: str, en: str, nb: str) -> None:
    assert sign_modal.rate_text(Decimal(rate), Language.EN) == en
    assert sign_modal.rate_text(Decimal(rate), Language.NB) == nb


@pytest.mark.parametrize("language", list(Language))
def test_a_modal_of_many_long_payments_abroad_stays_within_slacks_limits(
    language: Language,
) -> None:
    long = PayeeDetails(
        street="S" * 70,
        town="T" * 35,
        country="BA",
        bic="DEUTDEFF500",
        charge_bearer="CRED",
        purpose_code="41",
        purpose_text="<&>" * 11,
    )
    shown = []
    for number in range(1, 201):
        payment, abroad = in_dollars(number)
        payment = replace(payment, payee="&" * 200, reference="<" * 140, payee_details=long)
        shown.append((payment, abroad))
    view = modal(a_preview(language, *shown))
    assert len(view["blocks"]) <= 100
    sections = [block["text"]["text"] for block in view["blocks"] if block["type"] == "section"]
    assert all(len(text) <= 3000 for text in sections)
    assert len(json.dumps(view).encode()) < 250_000
    assert entry_of(view, shown[0][0])[2] == USD_LINES[language][1]
    assert modal_parts.AND_MORE(language, count=200 - modal_parts.LISTED) in sections[-1]


@pytest.mark.parametrize(
    ("language", "total"),
    [
        (Language.EN, "*Total:* EUR 200.00 + NOK 1,250.00 + USD 15,000.00 (≈ NOK 155,890.00)"),
        (Language.NB, "*Totalt:* EUR 200,00 + NOK 1 250,00 + USD 15 000,00 (≈ NOK 155 890,00)"),
    ],
)
def test_a_total_in_other_currencies_says_what_it_is_worth_in_the_companys(
    language: Language, total: str
) -> None:
    view = modal(a_preview(language, a_payment(1), in_euro(3), in_dollars()))
    assert total in text_of(view).splitlines()
    # In the company's currency alone, the total needs no such note.
    assert "≈" not in text_of(modal(a_preview(language, a_payment(1))))
