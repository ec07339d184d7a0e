"""Matching an incoming payment to the customer invoice its KID names, and the voucher for it.

`match_payment` decides, from the payment (amount P) and the customer items carrying its KID
(the open amount O of the one it pays):

- P == O: MATCHED, the invoice closes;
- 0 < |O - P| <= the rounding tolerance (øreavrunding): SETTLED, the invoice closes and O - P
  goes to the rounding account;
- P < O - tolerance: PARTIAL, O - P stays open;
- P > O + tolerance: OVERPAID, the invoice closes and P - O is held as the customer's credit;
- no KID, an invalid KID (neither MOD10 nor MOD11), an unknown KID, the KID's invoices in
  another currency, a zero amount: UNMATCHED, for a person (`Unmatched` says why).

The tolerance is the company's; at its default, 0, only the exact amount closes an invoice
without a partial or an overpayment. A KID on several open invoices (a KID per customer)
matches the one whose open amount the payment settles, the earliest due first; where none
does, the payment is left unmatched for a person. A KID whose only invoice is already paid
makes the payment an overpayment: all of it held as the customer's credit.

`voucher_lines` posts a match: debit the bank account's GL account with P, credit the customers'
account (1500) with the customer as the party for what it clears and, apart, for an excess, and
the difference of a settled match to the rounding account: the lines always balance.

A reversal (a negative payment: the bank takes back money it paid in) is not matched. Its caller
finds the payment it takes back (`find_reversed`: same account and KID, the same amount, not later)
and then, by what became of that payment:
- matched and posted: `undo(original_match)` gives the lines that mirror the original voucher's,
  the amount to open again on the invoice (`reopen`) and to take off the customer's credit
  (`credit_back`); post them, and mark both payments reversed;
- posted by hand to a GL account: post `mirror_lines(that voucher's lines)`;
- never posted (unmatched): nothing reached the ledger; mark both reversed, post nothing;
- not found: the reversal is itself unmatched, for a person to post by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from paybot.core.errors import ValidationFailed
from paybot.core.identifiers import kid_problem
from paybot.core.incoming import CustomerItem, IncomingPayment
from paybot.core.vouchers import STANDARD_ACCOUNTS, AccountRole, Party, VoucherLine

ZERO = Decimal(0)


class MatchStatus(StrEnum):
    MATCHED = "matched"  # the exact open amount: the invoice closes
    SETTLED = "settled"  # within the rounding tolerance: closes, the difference to rounding
    PARTIAL = "partial"  # less: posted, the rest stays open
    OVERPAID = "overpaid"  # more: posted, the excess held as the customer's credit
    UNMATCHED = "unmatched"  # no invoice: for a person to post or match by hand

    @property
    def posted(self) -> bool:
        """Posted automatically against the customer ledger."""
        return self is not MatchStatus.UNMATCHED


class Unmatched(StrEnum):
    """Why a payment matched no invoice."""

    NO_KID = "no_kid"
    INVALID_KID = "invalid_kid"
    UNKNOWN_KID = "unknown_kid"
    CURRENCY = "currency"  # the KID's invoices are in another currency
    AMBIGUOUS = "ambiguous"  # several invoices carry the KID and the amount picks none
    NOTHING_PAID = "nothing_paid"  # an amount of zero


@dataclass(frozen=True)
class Match:
    """What a payment does to the customer ledger.

    `cleared` comes off the item's open amount; `excess` is held as the customer's credit;
    `rounding` goes to the rounding account (positive: the customer paid that much less, a
    cost; negative: that much more, an income). Always payment = cleared + excess - rounding.
    """

    payment: IncomingPayment
    status: MatchStatus
    item: CustomerItem | None = None
    cleared: Decimal = ZERO
    excess: Decimal = ZERO
    rounding: Decimal = ZERO
    reason: Unmatched | None = None
    detail: str | None = None  # why, in words, for an unmatched payment

    @property
    def open_after(self) -> Decimal | None:
        """The item's open amount once this is posted."""
        return None if self.item is None else self.item.open_amount - self.cleared


def match_payment(
    payment: IncomingPayment,
    items: Iterable[CustomerItem],
    *,
    rounding_tolerance: Decimal = ZERO,
) -> Match:
    """How `payment` settles the customer items carrying its KID.

    Args:
        payment: a payment in (not a reversal).
        items: the customer items with the payment's KID, open ones and, where the caller has
            them, paid ones (others are ignored).
        rounding_tolerance: the largest difference that still closes an invoice (øreavrunding),
            in the payment's currency; 0 or more.

    Raises:
        ValueError: a reversal or a negative amount (see the module's docstring), a negative
            tolerance.
    """
    if payment.reversal or payment.amount < 0:
        raise ValueError("a reversal is not matched: find the payment it takes back")
    if rounding_tolerance < 0:
        raise ValueError(f"rounding tolerance {rounding_tolerance} is negative")
    kid = (payment.kid or "").strip()
    if payment.amount == 0:
        return _unmatched(payment, Unmatched.NOTHING_PAID, "the amount is zero")
    if not kid:
        return _unmatched(payment, Unmatched.NO_KID, "the payment has no KID")
    problem = kid_problem(kid)
    if problem is not None:
        return _unmatched(payment, Unmatched.INVALID_KID, problem)
    named = [item for item in items if (item.kid or "").strip() == kid]
    if not named:
        return _unmatched(payment, Unmatched.UNKNOWN_KID, f"no invoice has KID {kid}")
    same = [item for item in named if item.currency == payment.currency]
    if not same:
        return _unmatched(
            payment,
            Unmatched.CURRENCY,
            f"paid in {payment.currency}, the invoices with KID {kid} are in {named[0].currency}",
        )
    open_items = [item for item in same if item.open_amount > 0]
    if len(open_items) == 1:
        return _settle(payment, open_items[0], rounding_tolerance)
    if not open_items:
        if len(same) == 1:
            return _settle(payment, same[0], rounding_tolerance)
        return _unmatched(
            payment, Unmatched.AMBIGUOUS, f"the {len(same)} invoices with KID {kid} are paid"
        )
    fits = [i for i in open_items if abs(i.open_amount - payment.amount) <= rounding_tolerance]
    if fits:
        return _settle(payment, min(fits, key=_oldest_first), rounding_tolerance)
    return _unmatched(
        payment,
        Unmatched.AMBIGUOUS,
        f"{len(open_items)} open invoices have KID {kid} and none is open for "
        f"{payment.currency} {payment.amount}",
    )


def _oldest_first(item: CustomerItem) -> tuple[bool, str, str]:
    return (
        item.due_date is None,
        item.due_date.isoformat() if item.due_date else "",
        item.invoice_no,
    )


def _settle(payment: IncomingPayment, item: CustomerItem, tolerance: Decimal) -> Match:
    paid, owed = payment.amount, max(item.open_amount, ZERO)
    difference = owed - paid
    if difference == 0:
        return Match(payment, MatchStatus.MATCHED, item, cleared=owed)
    if abs(difference) <= tolerance and owed > 0:
        return Match(payment, MatchStatus.SETTLED, item, cleared=owed, rounding=difference)
    if difference > 0:
        return Match(payment, MatchStatus.PARTIAL, item, cleared=paid)
    return Match(payment, MatchStatus.OVERPAID, item, cleared=owed, excess=paid - owed)


def _unmatched(payment: IncomingPayment, reason: Unmatched, detail: str) -> Match:
    return Match(payment, MatchStatus.UNMATCHED, reason=reason, detail=detail)


# --- the voucher ------------------------------------------------------------------------------


LineValues = tuple[str, Decimal, Decimal, str, Decimal, str, Party | None]
"""A voucher line's fields, in VoucherLine's order: account, debit, credit, currency, amount in
the currency, text, party."""


def voucher_lines(
    match: Match,
    *,
    bank_account: str | None = None,
    accounts: Mapping[AccountRole, str] = STANDARD_ACCOUNTS,
    company_currency: str = "NOK",
) -> tuple[VoucherLine, ...]:
    """The lines that post a matched, settled, partial or overpaid payment; they balance.

    Args:
        bank_account: the GL account of the bank account paid to (default the BANK role's).
        accounts: the company's GL account per role (CUSTOMERS, BANK, ROUNDING).
        company_currency: the ledger's currency.

    Raises:
        ValueError: an unmatched payment (posted by hand, to an account a person chooses).
        ValidationFailed: a payment in another currency than the ledger's (it needs a rate).
    """
    values = voucher_line_values(
        match, bank_account=bank_account, accounts=accounts, company_currency=company_currency
    )
    return tuple(VoucherLine(*line) for line in values)


def voucher_line_values(
    match: Match,
    *,
    bank_account: str | None = None,
    accounts: Mapping[AccountRole, str] = STANDARD_ACCOUNTS,
    company_currency: str = "NOK",
) -> tuple[LineValues, ...]:
    """`voucher_lines`' lines as their fields (`VoucherLine(*values)` is each line), for writing
    a file's thousands of vouchers without an object per line. A debit and a credit are never
    negative, and one of them is zero: the lines `voucher_lines` makes of them are valid.

    Raises:
        as `voucher_lines`.
    """
    item, payment = match.item, match.payment
    if not match.status.posted or item is None:
        raise ValueError("an unmatched payment is posted by hand")
    currency = payment.currency
    if currency != company_currency:
        raise ValidationFailed(
            {"currency": f"a payment in {currency} needs a rate to {company_currency}"}
        )
    party = Party("customer", item.customer_name, item.customer_org_no)
    customers = accounts[AccountRole.CUSTOMERS]
    kid = (payment.kid or "").strip()
    bank = bank_account or accounts[AccountRole.BANK]
    lines = [_line(bank, payment.amount, f"KID {kid}", currency)]
    if match.cleared:
        text = f"Invoice {item.invoice_no}"
        lines.append(_line(customers, -match.cleared, text, currency, party))
    if match.excess:
        text = f"Paid over invoice {item.invoice_no}: held as credit"
        lines.append(_line(customers, -match.excess, text, currency, party))
    if match.rounding:
        text = f"Rounding, invoice {item.invoice_no}"
        lines.append(_line(accounts[AccountRole.ROUNDING], match.rounding, text, currency))
    return tuple(lines)


def _line(
    account: str, amount: Decimal, text: str, currency: str, party: Party | None = None
) -> LineValues:
    """A debit (amount > 0) or credit (amount < 0) line."""
    if amount > 0:
        return (account, amount, ZERO, currency, amount, text, party)
    return (account, ZERO, -amount, currency, -amount, text, party)


# --- reversals --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Undo:
    """What undoing a posted match takes: its mirrored lines, and the ledger to put back."""

    original: Match
    reopen: Decimal  # add to the invoice's open amount
    credit_back: Decimal  # take off the customer's credit
    lines: tuple[VoucherLine, ...]


def find_reversed(
    reversal: IncomingPayment, earlier: Iterable[IncomingPayment]
) -> IncomingPayment | None:
    """The payment `reversal` takes back: on the same account, with the same KID (or both none)
    and the same amount, not a reversal itself, not after it; the latest such. `earlier` are the
    candidates not yet reversed (the caller's, e.g. those with the reversal's KID)."""
    if not reversal.reversal:
        raise ValueError("not a reversal")
    kid = (reversal.kid or "").strip()
    found = [
        p
        for p in earlier
        if not p.reversal
        and p.account == reversal.account
        and p.currency == reversal.currency
        and (p.kid or "").strip() == kid
        and p.amount == -reversal.amount
        and p.payment_date <= reversal.payment_date
    ]
    return max(found, key=lambda p: (p.payment_date, p.key)) if found else None


def undo(
    original: Match,
    *,
    bank_account: str | None = None,
    accounts: Mapping[AccountRole, str] = STANDARD_ACCOUNTS,
    company_currency: str = "NOK",
) -> Undo:
    """Undoing a posted match: the invoice opens again by what it cleared, the customer's credit
    drops by its excess, and the voucher's lines are mirrored (the same arguments as
    `voucher_lines`, which made them)."""
    lines = voucher_lines(
        original, bank_account=bank_account, accounts=accounts, company_currency=company_currency
    )
    return Undo(original, original.cleared, original.excess, mirror_lines(lines))


def mirror_lines(
    lines: Sequence[VoucherLine], prefix: str = "Reversed: "
) -> tuple[VoucherLine, ...]:
    """`lines` with debit and credit swapped: posted after them, they cancel them out."""
    return tuple(
        VoucherLine(
            account=line.account,
            debit=line.credit,
            credit=line.debit,
            currency=line.currency,
            amount_currency=line.amount_currency,
            text=f"{prefix}{line.text}",
            party=line.party,
        )
        for line in lines
    )
