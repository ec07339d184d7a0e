"""The customer ledger's invoices: imported whole or not at all (what incoming payments are matched
to, by KID), and listed with what is paid and still open on each (`list_items`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from paybot.core.company import CompanyInfo
from paybot.core.errors import ImportRejected, ValidationFailed
from paybot.core.ledger_file import CustomerItemRow
from paybot.core.policy import Actor
from paybot.core.vouchers import AccountRole
from paybot.services.common import SYSTEM, audit, company_or_error
from paybot.services.ledger import ImportResult, shown_value
from paybot.store.uow import UnitOfWork

if TYPE_CHECKING:
    from paybot.store.incoming import ItemStanding

# What a new import of an invoice seen before must say again: an invoice is never changed by one.
_COMPARED = (
    "customer_name",
    "customer_org_no",
    "amount",
    "currency",
    "invoice_date",
    "due_date",
    "kid",
)


def import_customer_items(
    uow: UnitOfWork,
    *,
    company_org_no: str,
    source: str,
    rows: Sequence[CustomerItemRow],
    now: datetime,
    actor: Actor = SYSTEM,
) -> ImportResult:
    """Adds the invoices not seen before (by invoice_no), open for their whole amount; an invoice
    seen before with the same values is unchanged, with other values the import is refused (at
    its line and column) and nothing is added.

    Raises:
        NotFound: no such company.
        ImportRejected: an invoice imported before with other values.
    """
    with uow:
        company = company_or_error(uow, company_org_no)
        existing = uow.incoming.items_by_invoice(company.id)
        new_items: list[dict[str, Any]] = []
        unchanged = 0
        for row in rows:
            values = _values(row)
            before = existing.get(row.invoice_no)
            if before is not None:
                _refuse_changed(source, row, values, before)
                unchanged += 1
                continue
            new_items.append(
                {
                    **values,
                    "company_id": company.id,
                    "invoice_no": row.invoice_no,
                    "open_amount": row.amount,
                    "status": "open",
                    "imported_at": now,
                }
            )
        uow.incoming.add_items(new_items)
        result = ImportResult(new=len(new_items), unchanged=unchanged)
        audit(
            uow,
            actor=actor,
            action="import.customer_items",
            now=now,
            company_id=company.id,
            details={"source": source, "new": result.new, "unchanged": unchanged},
        )
        uow.commit()
    return result


def _values(row: CustomerItemRow) -> dict[str, Any]:
    return {column: getattr(row, column) for column in _COMPARED}


def _refuse_changed(
    source: str, row: CustomerItemRow, values: dict[str, Any], before: dict[str, Any]
) -> None:
    for column in _COMPARED:
        if values[column] != before[column]:
            was, now = (
                shown_value(column, v, row.currency) for v in (before[column], values[column])
            )
            raise ImportRejected(
                source,
                row.line,
                column,
                f"invoice {row.invoice_no} was imported before with {column} {was}, not {now}; "
                "an invoice is never changed by a new import (correct it in the ledger with a "
                "credit note and a new invoice)",
            )


# --- the listing ------------------------------------------------------------------------------


class ItemStatus(StrEnum):
    """Where a customer invoice stands."""

    OPEN = "open"  # nothing cleared off it yet
    PART_PAID = "part-paid"  # some cleared, some still open
    PAID = "paid"  # nothing open
    OVERPAID = "overpaid"  # nothing open, and more paid: held as the customer's credit


@dataclass(frozen=True)
class ItemLine:
    """A customer invoice and what the incoming payments posted against it did.

    `paid` is what they credited the customers account (1500) with for it: what they cleared
    off it (a settled one's rounding included) and any excess, held as the customer's `credit`.
    `open` is what the customer still owes on it.
    """

    invoice_no: str
    customer_name: str
    customer_org_no: str | None
    kid: str | None
    invoice_date: date | None
    due_date: date | None
    currency: str
    amount: Decimal
    paid: Decimal
    open: Decimal
    credit: Decimal
    status: ItemStatus
    payment_ids: tuple[int, ...]


@dataclass(frozen=True)
class CurrencyTotal:
    """The listed invoices in one currency, added up."""

    currency: str
    items: int
    amount: Decimal
    paid: Decimal
    open: Decimal


@dataclass(frozen=True)
class CustomerCredit:
    """What a customer paid over its invoices, held for it on the customers account."""

    customer_name: str
    customer_org_no: str | None
    currency: str
    amount: Decimal
    invoices: tuple[str, ...]  # the invoices paid over


@dataclass(frozen=True)
class CustomerItems:
    """`list_items`' answer: the invoices, their totals per currency (the company's first), and
    the customers' credit on `customers_account` (the company's GL account for customers)."""

    company: CompanyInfo
    customers_account: str
    items: tuple[ItemLine, ...]
    totals: tuple[CurrencyTotal, ...]
    credits: tuple[CustomerCredit, ...]


def list_items(
    uow: UnitOfWork,
    *,
    company_org_no: str,
    open_only: bool = False,
    customer: str | None = None,
) -> CustomerItems:
    """The company's customer invoices with what is paid and open on each, by customer, then
    due date; the totals of those listed per currency; and the credit held for customers.

    Args:
        open_only: only the invoices with something still open.
        customer: only the customers whose name or organisation number contains this
            (case-insensitive; spaces in an organisation number do not matter). Their credit is
            listed whatever `open_only` says: it is held on invoices paid in full.

    Raises:
        NotFound: no such company.
        ValidationFailed: an empty `customer`.
    """
    wanted = None if customer is None else _customer_filter(customer)
    with uow:
        company = company_or_error(uow, company_org_no)
        account = uow.postings.accounts(company.id)[AccountRole.CUSTOMERS]
        standings = uow.incoming.item_standings(company.id)
    theirs = [s for s in standings if wanted is None or _is_customer(s, wanted)]
    lines = sorted((_line(s) for s in theirs), key=_listed_order)
    if open_only:
        lines = [line for line in lines if line.open > 0]
    return CustomerItems(
        company=company,
        customers_account=account,
        items=tuple(lines),
        totals=_totals(lines, company.currency),
        credits=_credits(theirs),
    )


def item_status(amount: Decimal, open_amount: Decimal, credit: Decimal) -> ItemStatus:
    """An invoice's standing from its amount, what is open on it and what was paid over it."""
    if open_amount <= 0:
        return ItemStatus.OVERPAID if credit > 0 else ItemStatus.PAID
    if open_amount >= amount:
        return ItemStatus.OPEN
    return ItemStatus.PART_PAID


def _customer_filter(text: str) -> tuple[str, str]:
    words = " ".join(text.split())
    if not words:
        raise ValidationFailed({"customer": "is empty: give part of a name or organisation number"})
    return words.casefold(), words.replace(" ", "")


def _is_customer(standing: ItemStanding, wanted: tuple[str, str]) -> bool:
    name, compact = wanted
    org_no = (standing.customer_org_no or "").replace(" ", "")
    return name in " ".join(standing.customer_name.split()).casefold() or (
        bool(compact) and compact in org_no
    )


def _line(standing: ItemStanding) -> ItemLine:
    return ItemLine(
        invoice_no=standing.invoice_no,
        customer_name=standing.customer_name,
        customer_org_no=standing.customer_org_no,
        kid=standing.kid,
        invoice_date=standing.invoice_date,
        due_date=standing.due_date,
        currency=standing.currency,
        amount=standing.amount,
        paid=standing.cleared + standing.excess,
        open=standing.open_amount,
        credit=standing.excess,
        status=item_status(standing.amount, standing.open_amount, standing.excess),
        payment_ids=standing.payment_ids,
    )


def _listed_order(line: ItemLine) -> tuple[str, str, bool, date, str]:
    return (
        line.customer_name.casefold(),
        line.customer_org_no or "",
        line.due_date is None,
        line.due_date or date.min,
        line.invoice_no,
    )


def _totals(lines: Iterable[ItemLine], first: str) -> tuple[CurrencyTotal, ...]:
    """Per currency, `first` (the company's) first."""
    zero = Decimal(0)
    sums: dict[str, tuple[int, Decimal, Decimal, Decimal]] = {}
    for line in lines:
        count, amount, paid, left = sums.get(line.currency, (0, zero, zero, zero))
        sums[line.currency] = (count + 1, amount + line.amount, paid + line.paid, left + line.open)
    return tuple(
        CurrencyTotal(currency, *sums[currency])
        for currency in sorted(sums, key=lambda currency: (currency != first, currency))
    )


def _credits(standings: Iterable[ItemStanding]) -> tuple[CustomerCredit, ...]:
    held: dict[tuple[str, str | None, str], tuple[Decimal, list[str]]] = {}
    for s in standings:
        if s.excess:
            key = (s.customer_name, s.customer_org_no, s.currency)
            amount, invoices = held.get(key, (Decimal(0), []))
            held[key] = (amount + s.excess, [*invoices, s.invoice_no])
    return tuple(
        CustomerCredit(name, org_no, currency, amount, tuple(sorted(invoices)))
        for (name, org_no, currency), (amount, invoices) in sorted(
            held.items(), key=lambda kv: (kv[0][0].casefold(), kv[0][1] or "", kv[0][2])
        )
    )
