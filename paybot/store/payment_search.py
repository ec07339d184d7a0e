"""The WHERE clauses of payment lists and searches (the search box's query, parsed in core)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from paybot.core.identifiers import compact_account
from paybot.core.search_query import SearchQuery
from paybot.core.states import PaymentStatus
from paybot.store.models import OpenItem, Payment


def list_conditions(
    company_id: int | None,
    company_ids: Sequence[int] | None,
    statuses: Iterable[PaymentStatus] | None,
    query: SearchQuery | None,
) -> list[ColumnElement[bool]]:
    """Payments of a company (or of several), in these states, matching a search. They read the
    payments' own columns only (an invoice number through a subquery of its own): a search need
    not join the open items, which costs more than the search itself."""
    conditions: list[ColumnElement[bool]] = []
    if company_id is not None:
        conditions.append(Payment.company_id == company_id)
    if company_ids is not None:
        conditions.append(Payment.company_id.in_(list(company_ids)))
    if statuses is not None:
        conditions.append(Payment.status.in_([s.value for s in statuses]))
    if query is not None:
        conditions += _search_conditions(query)
    return conditions


def _search_conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for account in query.to_accounts:
        conditions.append(Payment.account == compact_account(account))
    for text in query.company_texts:
        conditions.append(func.lower(Payment.payee).contains(text.lower(), autoescape=True))
    for amounts in query.amount_ranges:
        conditions.extend(_range(Payment.amount, amounts.low, amounts.high, amounts))
    for days in query.due_ranges:
        if days.start is not None:
            conditions.append(Payment.due_date >= days.start)
        if days.end is not None:
            conditions.append(Payment.due_date <= days.end)
    if query.statuses is not None:
        conditions.append(Payment.status.in_([s.value for s in query.statuses]))
    if query.currencies is not None:
        conditions.append(Payment.currency.in_(sorted(query.currencies)))
    for word in query.words:
        needle = word.lower()
        # The open items whose invoice number has the word: one scan of them per statement
        # (not one look-up per payment), however many payments are searched.
        invoices = select(_ITEM.id).where(_INVOICE_NO.contains(needle, autoescape=True))
        conditions.append(
            or_(
                _PAYEE.contains(needle, autoescape=True),
                Payment.open_item_id.in_(invoices),
                _REFERENCE.contains(needle, autoescape=True),
            )
        )
    return conditions


# An alias, so that a statement that joins OpenItem itself (a payment list) does not correlate
# the subquery to its own open item.
_ITEM = aliased(OpenItem)
_PAYEE = func.lower(Payment.payee)
_REFERENCE = func.lower(Payment.reference)
_INVOICE_NO = func.lower(_ITEM.invoice_no)


def _range(column: Any, low: Decimal | None, high: Decimal | None, spec: Any) -> list[Any]:
    # Bounds bind through the column's Money type, so they compare as exact integers too.
    out = []
    if low is not None:
        out.append(column >= low if spec.low_inclusive else column > low)
    if high is not None:
        out.append(column <= high if spec.high_inclusive else column < high)
    return [and_(*out)] if out else []
