"""The voucher lines of paid payments: debit the supplier, credit the bank, a currency difference
where the invoice was booked at another rate; per payment or per batch; always balanced."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paybot.core.company import PostingMode
from paybot.core.errors import MissingRate, NotPermitted
from paybot.core.policy import Actor, Role
from paybot.core.posting import (
    AlreadyPosted,
    PaidPayment,
    PostingAccounts,
    RateTable,
    VoucherRef,
    numbers_text,
    payment_lines,
    require_posting_role,
    vouchers_for,
)
from paybot.core.vouchers import AccountRole, Party, check_balanced

SUPPLIER = Party("supplier", "Leverandør AS", "923609016")
PAID_ON = date(2026, 11, 25)
INVOICED = date(2026, 11, 1)
ACCOUNTS = PostingAccounts()
RATES = RateTable(
    "NOK",
    {
        "EUR": [(date(2026, 10, 1), Decimal("11.50")), (date(2026, 11, 20), Decimal("11.70"))],
        "SEK": [(date(2026, 10, 1), Decimal("1.02"))],
        "JPY": [(date(2026, 10, 1), Decimal("0.071234"))],
    },
)


def a_paid(**overrides: Any) -> PaidPayment:
    values: dict[str, Any] = {
        "id": 7,
        "supplier": SUPPLIER,
        "amount": Decimal("1250.00"),
        "currency": "NOK",
        "paid_on": PAID_ON,
        "bank_account": "1920",
        "batch": 3,
        "invoice_no": "F-17",
        "invoice_date": INVOICED,
    }
    values.update(overrides)
    return PaidPayment(**values)


def sides(lines: Any) -> list[tuple[str, Decimal, Decimal, str, Decimal]]:
    return [(x.account, x.debit, x.credit, x.currency, x.amount_currency) for x in lines]


def lines_of(payment: PaidPayment, accounts: PostingAccounts = ACCOUNTS) -> Any:
    return payment_lines(payment, company_currency="NOK", accounts=accounts, rates=RATES)


def test_a_payment_in_the_company_currency_debits_the_supplier_and_credits_its_bank() -> None:
    lines = lines_of(a_paid())

    assert sides(lines) == [
        ("2400", Decimal("1250.00"), 0, "NOK", Decimal("1250.00")),
        ("1920", 0, Decimal("1250.00"), "NOK", Decimal("1250.00")),
    ]
    assert lines[0].party == SUPPLIER and lines[1].party is None
    assert lines[0].text == "Leverandør AS, invoice F-17"
    assert lines[1].text == "Payment #7 (batch 3)"


def test_the_accounts_are_the_companys_and_the_bank_accounts_own() -> None:
    accounts = PostingAccounts.of({AccountRole.SUPPLIERS: "2410"})

    lines = lines_of(a_paid(bank_account="1925"), accounts)

    assert [line.account for line in lines] == ["2410", "1925"]
    assert accounts.currency_gain == "8060" and accounts.currency_loss == "8160"


def test_paid_at_a_higher_rate_than_invoiced_is_a_currency_loss() -> None:
    # Invoiced at 11.50 (1 Nov), paid at 11.70 (from 20 Nov): 20 NOK more left the bank.
    lines = lines_of(a_paid(amount=Decimal("100.00"), currency="EUR"))

    assert sides(lines) == [
        ("2400", Decimal("1150.00"), 0, "EUR", Decimal("100.00")),
        ("1920", 0, Decimal("1170.00"), "EUR", Decimal("100.00")),
        ("8160", Decimal("20.00"), 0, "NOK", Decimal("20.00")),
    ]
    assert lines[2].text == "Currency loss (disagio) EUR, payment #7"


def test_paid_at_a_lower_rate_than_invoiced_is_a_currency_gain() -> None:
    lines = lines_of(
        a_paid(
            amount=Decimal("100.00"),
            currency="EUR",
            invoice_date=date(2026, 11, 21),
            paid_on=date(2026, 11, 25),
            bank_amount=Decimal("1165.55"),  # the bank's own rate: 11.6555
        )
    )

    assert sides(lines) == [
        ("2400", Decimal("1170.00"), 0, "EUR", Decimal("100.00")),
        ("1920", 0, Decimal("1165.55"), "EUR", Decimal("100.00")),
        ("8060", 0, Decimal("4.45"), "NOK", Decimal("4.45")),
    ]


def test_what_the_bank_booked_in_the_company_currency_is_what_was_paid() -> None:
    lines = lines_of(
        a_paid(amount=Decimal("100.00"), currency="EUR", bank_amount=Decimal("1149.99"))
    )

    assert lines[1].credit == Decimal("1149.99")
    assert sides(lines)[2] == ("8060", 0, Decimal("0.01"), "NOK", Decimal("0.01"))


def test_the_same_rate_on_both_days_gives_no_currency_line() -> None:
    lines = lines_of(a_paid(amount=Decimal("100.00"), currency="SEK"))

    assert sides(lines) == [
        ("2400", Decimal("102.00"), 0, "SEK", Decimal("100.00")),
        ("1920", 0, Decimal("102.00"), "SEK", Decimal("100.00")),
    ]


def test_an_invoice_without_a_date_counts_as_booked_at_the_paid_rate() -> None:
    lines = lines_of(a_paid(amount=Decimal("100.00"), currency="EUR", invoice_date=None))

    assert [line.debit + line.credit for line in lines] == [Decimal("1170.00")] * 2


def test_values_are_rounded_half_up_to_the_cent_before_the_difference() -> None:
    # JPY 12 345 at 0.071234 = 879.383730 → 879.38 on both days: balanced, no difference.
    lines = lines_of(a_paid(amount=Decimal("12345"), currency="JPY"))

    assert sides(lines) == [
        ("2400", Decimal("879.38"), 0, "JPY", Decimal("12345")),
        ("1920", 0, Decimal("879.38"), "JPY", Decimal("12345")),
    ]
    half = lines_of(a_paid(amount=Decimal("0.50"), currency="SEK"))  # 0.51 exactly
    assert half[0].debit == Decimal("0.51")


@pytest.mark.parametrize(
    ("change", "day"),
    [
        ({"paid_on": date(2026, 9, 30)}, "2026-09-30"),
        ({"invoice_date": date(2026, 9, 1)}, "2026-09-01"),
    ],
)
def test_a_missing_rate_is_refused_saying_which_and_how_to_set_it(
    change: dict[str, date], day: str
) -> None:
    payment = a_paid(amount=Decimal("100.00"), currency="EUR", **change)

    with pytest.raises(MissingRate) as refused:
        lines_of(payment)

    assert f"no EUR rate to NOK on {day}" in refused.value.user_message
    assert f"paybot rates set EUR RATE --date {day}" in refused.value.user_message


def test_the_rate_in_force_is_the_newest_set_on_the_day_or_before() -> None:
    assert RATES.on("EUR", date(2026, 11, 19)) == Decimal("11.50")
    assert RATES.on("EUR", date(2026, 11, 20)) == Decimal("11.70")
    assert RATES.on("EUR", date(2026, 9, 30)) is None
    assert RATES.on("NOK", date(2000, 1, 1)) == 1
    assert RATES.on("USD", PAID_ON) is None


def test_per_payment_each_payment_is_a_voucher_of_its_own_in_date_order() -> None:
    payments = [a_paid(id=2, paid_on=PAID_ON), a_paid(id=1, paid_on=PAID_ON - timedelta(days=1))]

    drafts = vouchers_for(
        payments, mode=PostingMode.PER_PAYMENT, company_currency="NOK", accounts=ACCOUNTS,
        rates=RATES,
    )  # fmt: skip

    assert [(d.payment_ids, d.day) for d in drafts] == [
        ((1,), PAID_ON - timedelta(days=1)),
        ((2,), PAID_ON),
    ]
    assert drafts[0].text == "Payment #1 to Leverandør AS, invoice F-17"
    assert drafts[0].line_payments == (1, 1)


def test_per_batch_the_payments_sent_together_are_one_voucher() -> None:
    payments = [
        a_paid(id=1, batch=3),
        a_paid(id=2, batch=4, amount=Decimal("100.00"), currency="EUR"),
        a_paid(id=3, batch=3, paid_on=PAID_ON + timedelta(days=1)),
        a_paid(id=4, batch=None),
    ]

    drafts = vouchers_for(
        payments, mode=PostingMode.PER_BATCH, company_currency="NOK", accounts=ACCOUNTS,
        rates=RATES,
    )  # fmt: skip

    assert [d.payment_ids for d in drafts] == [(2,), (4,), (1, 3)]
    batch = drafts[2]
    assert batch.text == "Batch 3: 2 payments"
    assert batch.day == PAID_ON + timedelta(days=1)  # the day its last payment was paid
    assert [line.account for line in batch.lines] == ["2400", "1920", "2400", "1920"]
    assert batch.line_payments == (1, 1, 3, 3)
    assert [line.account for line in drafts[0].lines] == ["2400", "1920", "8160"]


def test_only_approvers_signers_and_admins_may_post() -> None:
    for role in (Role.APPROVER, Role.SIGNER, Role.ADMIN):
        require_posting_role(Actor(1, "Kari"), {role}, "Acme AS")
    with pytest.raises(NotPermitted, match="Kari may not post payments in Acme AS"):
        require_posting_role(Actor(1, "Kari"), {Role.VIEWER}, "Acme AS")


def test_posted_already_names_the_voucher() -> None:
    one = AlreadyPosted({7: VoucherRef(2026, 5)})
    assert one.user_message == "Payment 7 is posted already, as voucher 5 of 2026."
    assert one.code == "already_posted"
    batch = AlreadyPosted({7: VoucherRef(2026, 5), 8: VoucherRef(2026, 6)}, batch=3)
    assert batch.user_message == "Batch 3 is posted already: vouchers 5, 6 of 2026."
    assert numbers_text([VoucherRef(2026, n) for n in (7, 5, 6)]) == "vouchers 5–7 of 2026"
    assert numbers_text([VoucherRef(2026, 9), VoucherRef(2027, 1)]) == (
        "vouchers 9 of 2026, 1 of 2027"
    )


# --- every voucher balances, whatever the payments --------------------------------------------

CURRENCIES = ("NOK", "EUR", "SEK", "JPY", "USD")
DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))
RATE = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("500"), places=6)


@st.composite
def paid_payments(draw: st.DrawFn) -> tuple[list[PaidPayment], RateTable]:
    history = {
        currency: sorted(draw(st.dictionaries(DAYS, RATE, min_size=1, max_size=4)).items())
        for currency in CURRENCIES[1:]
    }
    first = {currency: rates[0][0] for currency, rates in history.items()}
    payments = []
    for index in range(draw(st.integers(1, 12))):
        currency = draw(st.sampled_from(CURRENCIES))
        places = 0 if currency == "JPY" else 2
        amount = draw(
            st.decimals(min_value=Decimal(1), max_value=Decimal("9999999"), places=places)
        )
        start = first.get(currency, date(2026, 1, 1))
        paid_on = draw(st.dates(min_value=start, max_value=date(2028, 1, 1)))
        invoiced = draw(st.none() | st.dates(min_value=start, max_value=paid_on))
        bank = None
        if currency != "NOK" and draw(st.booleans()):
            bank = draw(st.decimals(min_value=0, max_value=Decimal("1e9"), places=2))
        payments.append(
            a_paid(
                id=index + 1,
                amount=amount,
                currency=currency,
                paid_on=paid_on,
                invoice_date=invoiced,
                batch=draw(st.none() | st.integers(1, 3)),
                bank_amount=bank,
            )
        )
    return payments, RateTable("NOK", history)


@settings(max_examples=300, deadline=None)
@given(found=paid_payments(), mode=st.sampled_from(PostingMode))
def test_every_voucher_balances_and_posts_each_payment_once(
    found: tuple[list[PaidPayment], RateTable], mode: PostingMode
) -> None:
    payments, rates = found

    drafts = vouchers_for(
        payments, mode=mode, company_currency="NOK", accounts=ACCOUNTS, rates=rates
    )

    posted = sorted(pid for draft in drafts for pid in draft.payment_ids)
    assert posted == [p.id for p in payments]
    by_id = {p.id: p for p in payments}
    for draft in drafts:
        check_balanced(draft.lines)
        assert len(draft.lines) == len(draft.line_payments)
        for payment_id in draft.payment_ids:
            mine = [
                x for x, p in zip(draft.lines, draft.line_payments, strict=True) if p == payment_id
            ]
            payment = by_id[payment_id]
            supplier, bank = mine[0], mine[1]
            assert supplier.debit == sum((x.credit for x in mine), Decimal(0)) - sum(
                (x.debit for x in mine[1:]), Decimal(0)
            )
            assert supplier.amount_currency == bank.amount_currency == payment.amount
            assert supplier.party == SUPPLIER and bank.account == "1920"
            assert len(mine) == 2 or mine[2].account in ("8060", "8160")
