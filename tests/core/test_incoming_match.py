"""Matching incoming payments to customer invoices by KID, the vouchers that post them, and
undoing a match when the bank reverses the payment."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paybot.core.errors import ValidationFailed
from paybot.core.incoming import CustomerItem, IncomingPayment
from paybot.core.incoming_match import (
    MatchStatus,
    Unmatched,
    find_reversed,
    match_payment,
    mirror_lines,
    undo,
    voucher_lines,
)
from paybot.core.vouchers import STANDARD_ACCOUNTS, AccountRole, Party, VoucherLine, check_balanced

KID = "12345678903"  # MOD10
KID_MOD11 = "86011117947"
ACCOUNT = "86011117947"
DAY = date(2026, 11, 23)
NIL = Decimal(0)


def a_payment(amount: str = "1000.00", **overrides: Any) -> IncomingPayment:
    values: dict[str, Any] = {
        "key": "00008080/0000001/0000001/0000001",
        "amount": Decimal(amount),
        "currency": "NOK",
        "kid": KID,
        "account": ACCOUNT,
        "payment_date": DAY,
        "reversal": Decimal(amount) < 0,
        "source": "in.ocr",
        "line": 3,
    }
    values.update(overrides)
    return IncomingPayment(**values)


def an_item(open_amount: str = "1000.00", **overrides: Any) -> CustomerItem:
    values: dict[str, Any] = {
        "invoice_no": "F-1001",
        "customer_name": "Kunde AS",
        "customer_org_no": "923609016",
        "amount": Decimal("1000.00"),
        "currency": "NOK",
        "due_date": date(2026, 11, 30),
        "kid": KID,
        "open_amount": Decimal(open_amount),
    }
    values.update(overrides)
    return CustomerItem(**values)


def by_account(lines: tuple[VoucherLine, ...]) -> list[tuple[str, Decimal, Decimal]]:
    return [(line.account, line.debit, line.credit) for line in lines]


CUSTOMER = Party("customer", "Kunde AS", "923609016")


# --- the outcomes --------------------------------------------------------------------------------


def test_the_exact_amount_matches_and_closes_the_invoice() -> None:
    match = match_payment(a_payment("1000.00"), [an_item()])
    assert (match.status, match.cleared, match.excess, match.rounding) == (
        MatchStatus.MATCHED,
        Decimal("1000.00"),
        NIL,
        NIL,
    )
    assert match.open_after == 0 and match.item == an_item()
    lines = voucher_lines(match)
    assert by_account(lines) == [
        ("1920", Decimal("1000.00"), NIL),
        ("1500", NIL, Decimal("1000.00")),
    ]
    assert lines[1].party == CUSTOMER and lines[0].party is None
    assert lines[1].text == "Invoice F-1001"


def test_a_difference_within_the_rounding_tolerance_settles_the_invoice() -> None:
    short = match_payment(a_payment("999.60"), [an_item()], rounding_tolerance=Decimal("0.50"))
    assert (short.status, short.cleared, short.rounding, short.open_after) == (
        MatchStatus.SETTLED,
        Decimal("1000.00"),
        Decimal("0.40"),
        NIL,
    )
    assert by_account(voucher_lines(short)) == [
        ("1920", Decimal("999.60"), NIL),
        ("1500", NIL, Decimal("1000.00")),
        ("7798", Decimal("0.40"), NIL),
    ]
    over = match_payment(a_payment("1000.30"), [an_item()], rounding_tolerance=Decimal("0.50"))
    assert (over.status, over.rounding) == (MatchStatus.SETTLED, Decimal("-0.30"))
    assert by_account(voucher_lines(over))[2] == ("7798", NIL, Decimal("0.30"))


def test_without_a_tolerance_one_ore_short_is_a_partial_payment() -> None:
    match = match_payment(a_payment("999.99"), [an_item()])
    assert (match.status, match.cleared, match.open_after) == (
        MatchStatus.PARTIAL,
        Decimal("999.99"),
        Decimal("0.01"),
    )


def test_less_is_partial_and_the_rest_stays_open() -> None:
    match = match_payment(a_payment("400.00"), [an_item()], rounding_tolerance=Decimal("1"))
    assert (match.status, match.cleared, match.open_after) == (
        MatchStatus.PARTIAL,
        Decimal("400.00"),
        Decimal("600.00"),
    )
    assert by_account(voucher_lines(match)) == [
        ("1920", Decimal("400.00"), NIL),
        ("1500", NIL, Decimal("400.00")),
    ]


def test_more_is_overpaid_and_the_excess_is_held_as_the_customer_s_credit() -> None:
    match = match_payment(a_payment("1250.00"), [an_item()])
    assert (match.status, match.cleared, match.excess, match.open_after) == (
        MatchStatus.OVERPAID,
        Decimal("1000.00"),
        Decimal("250.00"),
        NIL,
    )
    lines = voucher_lines(match)
    assert by_account(lines) == [
        ("1920", Decimal("1250.00"), NIL),
        ("1500", NIL, Decimal("1000.00")),
        ("1500", NIL, Decimal("250.00")),
    ]
    assert lines[2].party == CUSTOMER and "held as credit" in lines[2].text


def test_paying_an_invoice_already_paid_is_all_credit() -> None:
    match = match_payment(a_payment("1000.00"), [an_item("0.00")])
    assert (match.status, match.cleared, match.excess) == (
        MatchStatus.OVERPAID,
        NIL,
        Decimal("1000.00"),
    )
    assert by_account(voucher_lines(match)) == [
        ("1920", Decimal("1000.00"), NIL),
        ("1500", NIL, Decimal("1000.00")),
    ]


@pytest.mark.parametrize(
    ("payment", "items", "reason", "detail"),
    [
        (a_payment(kid=None), [an_item()], Unmatched.NO_KID, "the payment has no KID"),
        (a_payment(kid="   "), [an_item()], Unmatched.NO_KID, "the payment has no KID"),
        (
            a_payment(kid="12345678904"),
            [an_item(kid="12345678904")],
            Unmatched.INVALID_KID,
            "KID '12345678904' has a wrong check digit (neither MOD10 nor MOD11)",
        ),
        (a_payment(kid="RF7812345"), [], Unmatched.INVALID_KID, "KID 'RF7812345' may hold only"),
        (a_payment(kid=KID_MOD11), [an_item()], Unmatched.UNKNOWN_KID, "no invoice has KID 8601"),
        (a_payment(), [], Unmatched.UNKNOWN_KID, f"no invoice has KID {KID}"),
        (
            a_payment(currency="EUR"),
            [an_item()],
            Unmatched.CURRENCY,
            f"paid in EUR, the invoices with KID {KID} are in NOK",
        ),
        (a_payment("0.00"), [an_item()], Unmatched.NOTHING_PAID, "the amount is zero"),
        (
            a_payment("300.00"),
            [an_item("500.00"), an_item("700.00", invoice_no="F-1002")],
            Unmatched.AMBIGUOUS,
            f"2 open invoices have KID {KID} and none is open for NOK 300.00",
        ),
        (
            a_payment("300.00"),
            [an_item("0.00"), an_item("0.00", invoice_no="F-1002")],
            Unmatched.AMBIGUOUS,
            f"the 2 invoices with KID {KID} are paid",
        ),
    ],
)
def test_no_invoice_for_the_payment_leaves_it_unmatched_saying_why(
    payment: IncomingPayment, items: list[CustomerItem], reason: Unmatched, detail: str
) -> None:
    match = match_payment(payment, items)
    assert (match.status, match.reason, match.item, match.cleared) == (
        MatchStatus.UNMATCHED,
        reason,
        None,
        NIL,
    )
    assert match.detail is not None and match.detail.startswith(detail)
    assert not match.status.posted
    with pytest.raises(ValueError, match="posted by hand"):
        voucher_lines(match)


def test_a_mod11_kid_matches_as_a_mod10_one_does() -> None:
    match = match_payment(a_payment(kid=KID_MOD11), [an_item(kid=KID_MOD11)])
    assert match.status is MatchStatus.MATCHED


def test_items_with_other_kids_are_ignored() -> None:
    match = match_payment(a_payment(), [an_item(kid=KID_MOD11), an_item()])
    assert match.status is MatchStatus.MATCHED and match.item == an_item()


def test_a_kid_on_several_invoices_pays_the_earliest_due_one_it_settles() -> None:
    items = [
        an_item("500.00", invoice_no="F-3", due_date=date(2026, 12, 31)),
        an_item("500.00", invoice_no="F-2", due_date=date(2026, 12, 1)),
        an_item("800.00", invoice_no="F-1", due_date=date(2026, 11, 1)),
        an_item("500.00", invoice_no="F-4", due_date=None),
    ]
    match = match_payment(a_payment("500.00"), items)
    assert match.status is MatchStatus.MATCHED and match.item is not None
    assert match.item.invoice_no == "F-2"
    near = match_payment(a_payment("799.90"), items, rounding_tolerance=Decimal("0.10"))
    assert (near.status, near.item and near.item.invoice_no) == (MatchStatus.SETTLED, "F-1")


def test_a_reversal_and_a_negative_tolerance_are_not_matched() -> None:
    with pytest.raises(ValueError, match="reversal is not matched"):
        match_payment(a_payment("-1000.00"), [an_item()])
    with pytest.raises(ValueError, match="negative"):
        match_payment(a_payment(), [an_item()], rounding_tolerance=Decimal("-0.01"))


# --- the voucher ---------------------------------------------------------------------------------


def test_the_company_s_accounts_and_the_bank_account_s_own_are_used() -> None:
    accounts = {**STANDARD_ACCOUNTS, AccountRole.CUSTOMERS: "1510", AccountRole.ROUNDING: "7790"}
    match = match_payment(a_payment("99.95"), [an_item("100.00")], rounding_tolerance=Decimal(1))
    lines = voucher_lines(match, bank_account="1921", accounts=accounts)
    assert [line.account for line in lines] == ["1921", "1510", "7790"]
    assert all(line.currency == "NOK" for line in lines)
    assert [line.amount_currency for line in lines] == [
        Decimal("99.95"),
        Decimal("100.00"),
        Decimal("0.05"),
    ]


def test_a_payment_in_another_currency_than_the_ledger_s_is_not_posted_without_a_rate() -> None:
    match = match_payment(a_payment(currency="EUR"), [an_item(currency="EUR")])
    assert match.status is MatchStatus.MATCHED
    with pytest.raises(ValidationFailed, match="needs a rate to NOK"):
        voucher_lines(match)
    assert voucher_lines(match, company_currency="EUR")[0].debit == Decimal("1000.00")


# --- reversals -----------------------------------------------------------------------------------


def test_a_reversal_finds_the_latest_payment_it_takes_back() -> None:
    reversal = a_payment("-1000.00", payment_date=date(2026, 11, 25), key="R")
    candidates = [
        a_payment(key="older", payment_date=date(2026, 11, 20)),
        a_payment(key="newer", payment_date=date(2026, 11, 24)),
        a_payment(key="later", payment_date=date(2026, 11, 26)),
        a_payment(key="other account", account="12345678903"),
        a_payment("999.00", key="other amount"),
        a_payment(key="other kid", kid=KID_MOD11),
        a_payment("-1000.00", key="a reversal"),
    ]
    found = find_reversed(reversal, candidates)
    assert found is not None and found.key == "newer"
    assert find_reversed(reversal, candidates[3:]) is None
    with pytest.raises(ValueError, match="not a reversal"):
        find_reversed(a_payment(), candidates)


@pytest.mark.parametrize(
    ("paid", "open_amount"),
    [("1000.00", "1000.00"), ("999.70", "1000.00"), ("400.00", "1000.00"), ("1300.00", "1000.00")],
)
def test_undoing_a_match_mirrors_its_voucher_and_puts_the_ledger_back(
    paid: str, open_amount: str
) -> None:
    item = an_item(open_amount)
    match = match_payment(a_payment(paid), [item], rounding_tolerance=Decimal("0.50"))
    undone = undo(match)
    assert (undone.reopen, undone.credit_back) == (match.cleared, match.excess)
    assert item.open_amount - match.cleared + undone.reopen == item.open_amount
    net: dict[tuple[str, Party | None], Decimal] = defaultdict(Decimal)
    for line in (*voucher_lines(match), *undone.lines):
        net[(line.account, line.party)] += line.debit - line.credit
    assert set(net.values()) == {0}
    assert all(line.text.startswith("Reversed: ") for line in undone.lines)
    check_balanced(undone.lines)


def test_mirrored_lines_mirrored_again_are_the_lines() -> None:
    lines = voucher_lines(match_payment(a_payment("1250.00"), [an_item()]))
    again = mirror_lines(mirror_lines(lines, prefix=""), prefix="")
    assert again == lines


# --- every outcome balances ----------------------------------------------------------------------

MONEY = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2)


@settings(max_examples=400, deadline=None)
@given(
    paid=MONEY,
    open_amount=st.one_of(st.just(Decimal("0.00")), MONEY),
    tolerance=st.sampled_from([Decimal(0), Decimal("0.49"), Decimal("1.00"), Decimal("10")]),
    closer=st.sampled_from([None, Decimal("-0.30"), Decimal("0"), Decimal("0.01"), Decimal("5")]),
)
def test_every_outcome_posts_lines_that_balance(
    paid: Decimal, open_amount: Decimal, tolerance: Decimal, closer: Decimal | None
) -> None:
    if closer is not None and open_amount + closer > 0:
        paid = open_amount + closer  # near the open amount, where the tolerance matters
    match = match_payment(
        a_payment(str(paid)), [an_item(str(open_amount))], rounding_tolerance=tolerance
    )
    assert match.status.posted and match.item is not None
    lines = voucher_lines(match)
    check_balanced(lines)
    assert sum((line.debit for line in lines), Decimal(0)) >= paid
    assert paid == match.cleared + match.excess - match.rounding
    assert match.open_after is not None and 0 <= match.open_after <= open_amount
    assert abs(match.rounding) <= tolerance
    expected = (
        MatchStatus.MATCHED
        if paid == open_amount
        else MatchStatus.SETTLED
        if abs(open_amount - paid) <= tolerance and open_amount > 0
        else MatchStatus.PARTIAL
        if paid < open_amount
        else MatchStatus.OVERPAID
    )
    assert match.status is expected
    assert (match.open_after == 0) == (match.status is not MatchStatus.PARTIAL)
    check_balanced(undo(match).lines)
