"""Posting paid payments (bokføring): the vouchers a paid supplier payment gives.

A paid payment settles the supplier's invoice: its voucher debits the supplier ledger (the
SUPPLIERS account, 2400, with the supplier as the line's party) and credits the GL account of the
bank account the money left from (1920 unless that bank account names its own).

A payment in another currency than the company's is worth, in the company's currency:
- when paid: what the bank booked in the company's currency, where its camt.054 said so (the
  bank's own rate), else the amount at the rate table's rate on the day it was paid;
- when its invoice was booked: the amount at the rate table's rate on the invoice date (paybot
  does not receive the rate the accounting system booked the invoice at: the rate table stands
  in for it). An invoice without a date counts as booked at the rate it was paid at.
The supplier line clears the invoice at its booked value; the bank line credits what was paid;
the difference is a currency gain (agio, 8060: paid less than booked) or loss (disagio, 8160).
Each value is rounded half up to the company currency's decimals before the difference is taken,
so every voucher balances to the cent.

Per payment (the default), each payment is a voucher of its own; per batch, the payments sent
together in one batch (bunt) are one voucher, with each payment's lines in it. Numbers come from
the company's series for the voucher's year (no gaps, no duplicates): the store gives them.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby

from paybot.core.company import PostingMode
from paybot.core.errors import InvalidTransition, MissingRate, NotPermitted
from paybot.core.money import currency_exponent
from paybot.core.policy import Actor, Role
from paybot.core.vouchers import (
    STANDARD_ACCOUNTS,
    AccountRole,
    Party,
    VoucherLine,
    check_balanced,
)

# Who may post a company's paid payments: the people who handle its payments.
POSTING_ROLES = frozenset({Role.APPROVER, Role.SIGNER, Role.ADMIN})
# Texts are kept within the store's column.
TEXT_LENGTH = 200


def require_posting_role(actor: Actor, roles: Collection[Role], company_name: str) -> None:
    if POSTING_ROLES.isdisjoint(roles):
        raise NotPermitted(
            f"{actor.label} may not post payments in {company_name}: that needs the approver, "
            "signer or admin role."
        )


@dataclass(frozen=True, order=True)
class VoucherRef:
    """A voucher's place in its company's series: the year and the number in it."""

    year: int
    number: int

    def __str__(self) -> str:
        return f"{self.number} of {self.year}"


def numbers_text(refs: Iterable[VoucherRef]) -> str:
    """ "voucher 5 of 2026", "vouchers 5–7 of 2026", "vouchers 5, 9 of 2026, 1 of 2027"."""
    unique = sorted(set(refs))
    if len(unique) == 1:
        return f"voucher {unique[0]}"
    parts = []
    for year, in_year in groupby(unique, key=lambda ref: ref.year):
        numbers = [ref.number for ref in in_year]
        if len(numbers) > 2 and numbers[-1] - numbers[0] == len(numbers) - 1:
            parts.append(f"{numbers[0]}–{numbers[-1]} of {year}")
        else:
            parts.append(f"{', '.join(map(str, numbers))} of {year}")
    return f"vouchers {', '.join(parts)}"


class AlreadyPosted(InvalidTransition):
    """Posting a payment (or batch) that is posted already: says as which voucher."""

    code = "already_posted"

    def __init__(self, posted: Mapping[int, VoucherRef], *, batch: int | None = None) -> None:
        self.posted = dict(posted)
        self.batch = batch
        which = numbers_text(self.posted.values())
        if batch is not None:
            message = f"Batch {batch} is posted already: {which}."
        elif len(self.posted) == 1:
            [payment_id] = self.posted
            message = f"Payment {payment_id} is posted already, as {which}."
        else:
            ids = ", ".join(map(str, sorted(self.posted)))
            message = f"Payments {ids} are posted already ({which}); nothing was posted."
        super().__init__(message)


@dataclass(frozen=True)
class PostingAccounts:
    """The GL accounts a payment's voucher uses besides its bank account's."""

    suppliers: str = STANDARD_ACCOUNTS[AccountRole.SUPPLIERS]
    currency_gain: str = STANDARD_ACCOUNTS[AccountRole.CURRENCY_GAIN]
    currency_loss: str = STANDARD_ACCOUNTS[AccountRole.CURRENCY_LOSS]

    @classmethod
    def of(cls, accounts: Mapping[AccountRole, str]) -> PostingAccounts:
        """From a company's accounts by role (the standard account where a role is not set)."""
        chosen = {**STANDARD_ACCOUNTS, **accounts}
        return cls(
            suppliers=chosen[AccountRole.SUPPLIERS],
            currency_gain=chosen[AccountRole.CURRENCY_GAIN],
            currency_loss=chosen[AccountRole.CURRENCY_LOSS],
        )


@dataclass(frozen=True)
class RateTable:
    """Units of the company's currency for one unit of each other currency, each valid from a
    date until the next: `history` maps a currency to its (valid_from, rate), oldest first."""

    currency: str
    history: Mapping[str, Sequence[tuple[date, Decimal]]] = field(default_factory=dict)

    def on(self, currency: str, day: date) -> Decimal | None:
        """The rate in force on `day` (the newest set on that day or before); 1 for the
        company's own currency; None if none was set by then."""
        if currency == self.currency:
            return Decimal(1)
        rates = self.history.get(currency, ())
        index = bisect.bisect_right(rates, day, key=lambda entry: entry[0])
        return rates[index - 1][1] if index else None


@dataclass(frozen=True)
class PaidPayment:
    """What posting needs of one paid payment."""

    id: int
    supplier: Party
    amount: Decimal  # in `currency`, positive
    currency: str
    paid_on: date  # the business day it was paid (booked by the bank, or seen in the netbank)
    bank_account: str  # the GL account of the bank account it left from
    batch: int | None = None  # the number of the batch it was sent in
    invoice_no: str | None = None
    invoice_date: date | None = None
    # What the bank booked in the company's currency (camt.054), for one in another currency.
    bank_amount: Decimal | None = None


@dataclass(frozen=True)
class VoucherDraft:
    """A voucher before its number: its day (which picks the year's series), text and lines."""

    day: date
    text: str
    lines: tuple[VoucherLine, ...]
    payment_ids: tuple[int, ...]
    line_payments: tuple[int, ...]  # the payment each line is for, line by line


def payment_lines(
    payment: PaidPayment,
    *,
    company_currency: str,
    accounts: PostingAccounts,
    rates: RateTable,
) -> tuple[VoucherLine, ...]:
    """The lines of one paid payment: debit the supplier, credit the bank, and a currency
    difference where the invoice was booked at another rate than it was paid at.

    Raises:
        MissingRate: a payment in another currency without a rate on its paid day (and no
            amount booked by the bank in the company's currency), or on its invoice date.
    """
    currency = payment.currency
    amount = _value(payment.amount, currency)
    supplier_text = _clip(
        f"{payment.supplier.name}, invoice {payment.invoice_no}"
        if payment.invoice_no
        else f"{payment.supplier.name}, payment #{payment.id}"
    )
    batch = f" (batch {payment.batch})" if payment.batch is not None else ""
    bank_text = f"Payment #{payment.id}{batch}"
    zero = Decimal(0)
    if currency == company_currency:
        return (
            VoucherLine(
                accounts.suppliers, amount, zero, currency, amount, supplier_text, payment.supplier
            ),
            VoucherLine(payment.bank_account, zero, amount, currency, amount, bank_text),
        )
    paid = _paid_value(payment, company_currency, rates)
    booked = paid
    if payment.invoice_date is not None:
        rate = rates.on(currency, payment.invoice_date)
        if rate is None:
            raise _missing(currency, company_currency, payment.invoice_date, payment.id, "invoice")
        booked = _value(amount * rate, company_currency)
    lines = [
        VoucherLine(
            accounts.suppliers, booked, zero, currency, amount, supplier_text, payment.supplier
        ),
        VoucherLine(payment.bank_account, zero, paid, currency, amount, bank_text),
    ]
    difference = paid - booked
    if difference > 0:  # paid more than the invoice was booked at
        text = f"Currency loss (disagio) {currency}, payment #{payment.id}"
        lines.append(
            VoucherLine(
                accounts.currency_loss, difference, zero, company_currency, difference, text
            )
        )
    elif difference < 0:
        text = f"Currency gain (agio) {currency}, payment #{payment.id}"
        lines.append(
            VoucherLine(
                accounts.currency_gain, zero, -difference, company_currency, -difference, text
            )
        )
    return tuple(lines)


def _paid_value(payment: PaidPayment, company_currency: str, rates: RateTable) -> Decimal:
    if payment.bank_amount is not None:
        return _value(payment.bank_amount, company_currency)
    rate = rates.on(payment.currency, payment.paid_on)
    if rate is None:
        raise _missing(payment.currency, company_currency, payment.paid_on, payment.id, "paid")
    return _value(payment.amount * rate, company_currency)


def _value(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-currency_exponent(currency)), ROUND_HALF_UP)


def _missing(currency: str, quote: str, day: date, payment_id: int, what: str) -> MissingRate:
    when = "it was paid" if what == "paid" else "its invoice date"
    quoted = "" if quote == "NOK" else f" --in {quote}"  # the command's default
    return MissingRate(
        f"Payment {payment_id} is in {currency}, and there is no {currency} rate to {quote} on "
        f"{day.isoformat()} ({when}) or before: set one with `paybot rates set {currency} RATE "
        f"--date {day.isoformat()}{quoted}`, then post again. Nothing was posted."
    )


def vouchers_for(
    payments: Sequence[PaidPayment],
    *,
    mode: PostingMode,
    company_currency: str,
    accounts: PostingAccounts,
    rates: RateTable,
) -> list[VoucherDraft]:
    """The vouchers for paid payments, in the order they are numbered (by day, then batch or
    payment); each one balances (checked).

    Per batch, the payments of one batch make one voucher, dated the day its last one was paid;
    a payment sent in no batch is a voucher of its own."""
    lines = {
        p.id: payment_lines(p, company_currency=company_currency, accounts=accounts, rates=rates)
        for p in payments
    }
    groups: list[list[PaidPayment]]
    if mode is PostingMode.PER_BATCH:
        by_batch: dict[int, list[PaidPayment]] = {}
        groups = []
        for payment in sorted(payments, key=lambda p: p.id):
            if payment.batch is None:
                groups.append([payment])
            else:
                by_batch.setdefault(payment.batch, []).append(payment)
        groups += by_batch.values()
    else:
        groups = [[payment] for payment in payments]
    drafts = [_draft(group, lines) for group in groups]
    drafts.sort(key=lambda d: (d.day, d.payment_ids[0]))
    for draft in drafts:
        check_balanced(draft.lines)
    return drafts


def _draft(group: list[PaidPayment], lines: Mapping[int, tuple[VoucherLine, ...]]) -> VoucherDraft:
    first = group[0]
    if len(group) == 1:
        text = f"Payment #{first.id} to {first.supplier.name}"
        if first.invoice_no:
            text += f", invoice {first.invoice_no}"
    else:
        text = f"Batch {first.batch}: {len(group)} payments"
    return VoucherDraft(
        day=max(p.paid_on for p in group),
        text=_clip(text),
        lines=tuple(line for p in group for line in lines[p.id]),
        payment_ids=tuple(p.id for p in group),
        line_payments=tuple(p.id for p in group for _ in lines[p.id]),
    )


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_LENGTH else text[: TEXT_LENGTH - 1] + "…"
