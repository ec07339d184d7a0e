"""The work of one incoming file inside its transaction (services.incoming.ingest runs it): its
payments matched and posted a chunk at a time, so memory stays flat however long the file.

Each chunk: the payments the account had before (by key) are skipped; the customer items with the
chunk's KIDs are read (as earlier chunks left them), each payment matched, the matched ones posted
as vouchers numbered from the company's series, the items' open amounts written back. A reversal
first writes the chunk before it (the payment it takes back may be in it), then undoes what that
payment did (incoming_match's rules).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from paybot.core import incoming_match
from paybot.core.company import BankAccount, CompanyInfo
from paybot.core.errors import ConcurrentChange, NotFound, NotPermitted
from paybot.core.incoming import CustomerItem, IncomingPayment
from paybot.core.incoming_match import (
    LineValues,
    Match,
    MatchStatus,
    Unmatched,
    find_reversed,
    match_payment,
    mirror_lines,
    voucher_line_values,
)
from paybot.core.posting import TEXT_LENGTH, VoucherRef
from paybot.core.sends import same_account
from paybot.core.vouchers import CENT, AccountRole, VoucherLine, check_balanced
from paybot.store.incoming import PAYMENT_KEYS, VoucherValues
from paybot.store.uow import UnitOfWork

CHUNK = 2000
ZERO = incoming_match.ZERO  # the very object Match uses: the store converts a run of it once
NO_ORIGINAL = "no_original"  # a reversal of no payment paybot has: for a person


class IncomingStatus(StrEnum):
    """What became of an incoming payment."""

    MATCHED = "matched"  # the exact open amount: posted, the invoice closed
    SETTLED = "settled"  # within the rounding tolerance: posted, closed, the rest to rounding
    PARTIAL = "partial"  # less: posted, the rest of the invoice stays open
    OVERPAID = "overpaid"  # more: posted, the excess held as the customer's credit
    UNMATCHED = "unmatched"  # for a person: post by hand, match by hand, or delete
    POSTED = "posted"  # posted by hand to a GL account
    DELETED = "deleted"  # removed by a person, with the reason, nothing posted
    REVERSED = "reversed"  # taken back by the bank (and the reversal that took it)


_STATUS = {status: IncomingStatus(status.value) for status in MatchStatus}


@dataclass(frozen=True)
class Poster:
    """Who posts (a person, or paybot for a file) and when."""

    user_id: int | None
    label: str
    now: datetime


class Banks:
    """The company's bank accounts a file may name: its accounts with an incoming agreement."""

    def __init__(self, company: CompanyInfo, source: str) -> None:
        self._company = company
        self._source = source
        self._found: dict[str, BankAccount] = {}

    def of(self, named: str) -> BankAccount:
        """The company's account `named` (BBAN or IBAN); refuses one that is not, or that has no
        incoming agreement, naming it."""
        found = self._found.get(named)
        if found is not None:
            return found
        company = self._company
        ours = [a for a in company.accounts if same_account(named, a.account)]
        if not ours:
            known = ", ".join(a.account for a in company.accounts) or "none"
            raise NotFound(
                f"{self._source}: account {named} is not an account of {company.name} (it has: "
                f"{known}); nothing was taken from the file."
            )
        if not ours[0].incoming:
            raise NotPermitted(
                f"{self._source}: account {named} of {company.name} has no incoming agreement; "
                "nothing was taken from the file. Turn it on with `paybot bank set --company "
                f"{company.org_no} --account {ours[0].account} --incoming`."
            )
        self._found[named] = ours[0]
        return ours[0]


def gl_of(company: CompanyInfo, account: str, accounts: Mapping[AccountRole, str]) -> str:
    """The GL account of the company's bank account `account`."""
    for bank in company.accounts:
        if bank.account == account:
            return bank.gl_account
    return accounts[AccountRole.BANK]


def clip(text: str) -> str:
    return text if len(text) <= TEXT_LENGTH else text[: TEXT_LENGTH - 1] + "…"


def post_vouchers(
    uow: UnitOfWork,
    company_id: int,
    drafts: Sequence[tuple[date, str, tuple[VoucherLine, ...]]],
    poster: Poster,
) -> list[tuple[int, VoucherRef]]:
    """Writes vouchers (day, text, lines), numbered from each year's series in the order
    given; their ids and numbers."""
    values = [(day, text, [_values(line) for line in lines]) for day, text, lines in drafts]
    numbered = _numbered(uow, company_id, values)
    ids = _write(uow, company_id, numbered, poster)
    return [
        (voucher_id, VoucherRef(year, number))
        for voucher_id, (year, number, *_) in zip(ids, numbered, strict=True)
    ]


def post_voucher_values(
    uow: UnitOfWork,
    company_id: int,
    drafts: Sequence[tuple[date, str, Sequence[LineValues]]],
    poster: Poster,
) -> list[int]:
    """`post_vouchers` of lines given as values (incoming_match.voucher_line_values: a file's
    thousands, without an object for each line); their ids."""
    return _write(uow, company_id, _numbered(uow, company_id, drafts), poster)


def _numbered(
    uow: UnitOfWork, company_id: int, drafts: Sequence[tuple[date, str, Sequence[LineValues]]]
) -> list[VoucherValues]:
    """The drafts numbered from each year's series, in order; refused unless each balances
    (`check_balanced`)."""
    counts = Counter(day.year for day, _, _ in drafts)
    next_of = {
        year: uow.postings.take_numbers(company_id, year, count)
        for year, count in sorted(counts.items())
    }
    numbered: list[VoucherValues] = []
    for day, text, lines in drafts:
        _check_balanced(lines)
        year = day.year
        numbered.append((year, next_of[year], day, clip(text), lines))
        next_of[year] += 1
    return numbered


def _write(
    uow: UnitOfWork, company_id: int, numbered: Sequence[VoucherValues], poster: Poster
) -> list[int]:
    return uow.incoming.add_voucher_values(
        company_id, numbered, posted_by_id=poster.user_id, posted_by=poster.label, now=poster.now
    )


def _values(line: VoucherLine) -> LineValues:
    return (
        line.account,
        line.debit,
        line.credit,
        line.currency,
        line.amount_currency,
        line.text,
        line.party,
    )


def _check_balanced(lines: Sequence[LineValues]) -> None:
    """vouchers.check_balanced of the lines these values make (debits and credits equal, in
    whole cents), without making them unless it refuses them."""
    debits = credits = ZERO
    cents = True
    for line in lines:
        debit, credit = line[1], line[2]
        debits += debit
        credits += credit
        cents = cents and debit == debit.quantize(CENT) and credit == credit.quantize(CENT)
    if debits != credits or not cents:
        check_balanced(tuple(VoucherLine(*line) for line in lines))  # refuses them, saying why


def payment_values(
    payment: IncomingPayment,
    account: str,
    status: IncomingStatus,
    *,
    company_id: int,
    file_id: int,
    now: datetime,
    match: Match | None = None,
    item_id: int | None = None,
    reason: str | None = None,
    detail: str | None = None,
    voucher_id: int | None = None,
) -> tuple[Any, ...]:
    """The stored row of a payment (to `account`, the company's form of it): the values of
    store.incoming.PAYMENT_KEYS, in that order."""
    kid = (payment.kid or "").strip() or None
    return (
        company_id,
        file_id,
        payment.line,
        payment.key,
        account,
        payment.amount,
        payment.currency,
        None if kid is None else kid[:40],
        _cut(payment.payer_name, 200),
        _cut(payment.payer_account, 40),
        payment.message,
        _cut(payment.bank_reference, 60),
        _cut(payment.bank_code, 8),
        payment.payment_date,
        payment.reversal,
        status.value,
        reason if reason is not None else (match.reason if match else None),
        detail if detail is not None else (match.detail if match else None),
        item_id,
        match.cleared if match else ZERO,
        match.excess if match else ZERO,
        match.rounding if match else ZERO,
        voucher_id,
        None,  # paired_with_id
        1,  # version
        now,  # created_at
        now,  # updated_at
    )


def _cut(text: str | None, length: int) -> str | None:
    return None if text is None else text[:length]


@dataclass
class Run:
    """One file's payments, taken in chunks; what it did, counted."""

    uow: UnitOfWork
    company: CompanyInfo
    banks: Banks
    file_id: int
    poster: Poster
    accounts: Mapping[AccountRole, str]
    counts: Counter[str] = field(default_factory=Counter)
    amounts: dict[str, Decimal] = field(default_factory=dict)
    seen_before: int = 0
    vouchers: int = 0
    payments: int = 0
    _pending: list[tuple[IncomingPayment, BankAccount]] = field(default_factory=list)

    def add(self, payment: IncomingPayment) -> None:
        bank = self.banks.of(payment.account)
        self.payments += 1
        if payment.reversal or payment.amount < 0:
            self.flush()
            self._reverse(payment, bank)
            return
        self._pending.append((payment, bank))
        if len(self._pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        chunk, self._pending = self._pending, []
        if not chunk:
            return
        fresh = self._fresh(chunk)
        kids = {(p.kid or "").strip() for p, _ in fresh} - {""}
        items = self.uow.incoming.items_with_kids(self.company.id, kids)
        ids = {item.invoice_no: item_id for found in items.values() for item_id, item in found}
        matched: list[tuple[IncomingPayment, BankAccount, Match, int | None, bool]] = []
        drafts: list[tuple[date, str, tuple[LineValues, ...]]] = []
        opened: dict[int, Decimal] = {}
        for payment, bank in fresh:
            match = self._match(payment, items, opened)
            item = match.item
            item_id = None if item is None else ids[item.invoice_no]
            posted = item_id is not None and match.status.posted
            matched.append((payment, bank, match, item_id, posted))
            if item is None or item_id is None or not posted:
                continue
            opened[item_id] = item.open_amount - match.cleared
            lines = voucher_line_values(
                match,
                bank_account=bank.gl_account,
                accounts=self.accounts,
                company_currency=self.company.currency,
            )
            text = f"Payment in from {item.customer_name}, invoice {item.invoice_no}"
            drafts.append((payment.payment_date, text, lines))
        voucher_ids = iter(post_voucher_values(self.uow, self.company.id, drafts, self.poster))
        self.vouchers += len(drafts)
        rows = [
            self._row(
                payment,
                bank,
                _STATUS[match.status],
                match,
                item_id,
                voucher_id=next(voucher_ids) if posted else None,
            )
            for payment, bank, match, item_id, posted in matched
        ]
        self.uow.incoming.add_payments(rows)
        self.uow.incoming.set_open_amounts(opened)

    def _fresh(
        self, chunk: list[tuple[IncomingPayment, BankAccount]]
    ) -> list[tuple[IncomingPayment, BankAccount]]:
        """The chunk without the payments the account had before (or twice in the chunk)."""
        by_account: dict[str, list[str]] = {}
        for payment, bank in chunk:
            by_account.setdefault(bank.account, []).append(payment.key)
        known = {
            (account, key)
            for account, keys in by_account.items()
            for key in self.uow.incoming.known_keys(self.company.id, account, keys)
        }
        fresh = []
        for payment, bank in chunk:
            if (bank.account, payment.key) in known:
                self.seen_before += 1
                continue
            known.add((bank.account, payment.key))
            fresh.append((payment, bank))
        return fresh

    def _match(
        self,
        payment: IncomingPayment,
        items: Mapping[str, list[tuple[int, CustomerItem]]],
        opened: Mapping[int, Decimal],
    ) -> Match:
        """The payment matched to the items with its KID, as the chunk's payments before it
        left them (`opened`: their open amounts now, by id)."""
        kid = (payment.kid or "").strip()
        named = [
            item if item_id not in opened else replace(item, open_amount=opened[item_id])
            for item_id, item in items.get(kid, ())
        ]
        tolerance = self.company.rounding_tolerance
        match = match_payment(payment, named, rounding_tolerance=tolerance)
        currency = self.company.currency
        if match.status.posted and payment.currency != currency:
            detail = (
                f"paid in {payment.currency}, and the ledger is kept in {currency}: post it by "
                "hand (at the rate table's rate)"
            )
            return Match(payment, MatchStatus.UNMATCHED, reason=Unmatched.CURRENCY, detail=detail)
        return match

    def _row(
        self,
        payment: IncomingPayment,
        bank: BankAccount,
        status: IncomingStatus,
        match: Match | None = None,
        item_id: int | None = None,
        **extra: Any,
    ) -> tuple[Any, ...]:
        """The payment's stored values (store.incoming.PAYMENT_KEYS), counted."""
        self.counts[status.value] += 1
        self.amounts[status.value] = self.amounts.get(status.value, ZERO) + payment.amount
        return payment_values(
            payment,
            bank.account,
            status,
            company_id=self.company.id,
            file_id=self.file_id,
            now=self.poster.now,
            match=match,
            item_id=item_id,
            **extra,
        )

    def _reverse(self, reversal: IncomingPayment, bank: BankAccount) -> None:
        """Undoes the payment `reversal` takes back: mirrors its voucher, if it had one, opens
        its invoice again by what it cleared; both end reversed. One that takes back nothing
        paybot has is unmatched, for a person."""
        uow = self.uow
        if uow.incoming.known_keys(self.company.id, bank.account, [reversal.key]):
            self.seen_before += 1
            return
        kid = (reversal.kid or "").strip() or None
        ours = replace(reversal, account=bank.account, kid=kid, reversal=True)
        candidates = uow.incoming.reversible(self.company.id, bank.account, kid, -reversal.amount)
        taken = find_reversed(ours, [c.payment for c in candidates])
        if taken is None:
            detail = (
                f"takes back {reversal.currency} {-reversal.amount}, and no earlier payment of "
                f"that amount with KID {kid or '(none)'} is here: post it by hand"
            )
            values = self._row(
                ours, bank, IncomingStatus.UNMATCHED, reason=NO_ORIGINAL, detail=detail
            )
            uow.incoming.add_payment(dict(zip(PAYMENT_KEYS, values, strict=True)))
            return
        [original] = [c for c in candidates if c.payment.key == taken.key]
        row = dict(zip(PAYMENT_KEYS, self._row(ours, bank, IncomingStatus.REVERSED), strict=True))
        if original.voucher_id is not None:
            lines = mirror_lines(uow.incoming.voucher_lines(original.voucher_id))
            text = f"Reversal of incoming payment #{original.id}"
            drafts = [(reversal.payment_date, text, lines)]
            [(row["voucher_id"], _)] = post_vouchers(uow, self.company.id, drafts, self.poster)
            self.vouchers += 1
        if original.customer_item_id is not None and original.cleared:
            uow.incoming.add_to_open_amount(original.customer_item_id, original.cleared)
        row["paired_with_id"] = original.id
        row["detail"] = f"takes back incoming payment #{original.id}"
        reversal_id = uow.incoming.add_payment(row)
        changed = {
            "status": IncomingStatus.REVERSED.value,
            "paired_with_id": reversal_id,
            "updated_at": self.poster.now,
        }
        if not uow.incoming.compare_and_set(original.id, original.version, changed):
            raise ConcurrentChange(
                f"Incoming payment {original.id} was changed by someone else just now; nothing "
                "was taken from the file. Retry."
            )
