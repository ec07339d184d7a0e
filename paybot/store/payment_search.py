"""Payment lists and searches: their WHERE clauses (the search box's query, parsed in core), and
the list of `paybot proposals list`, all in SQLAlchemy Core on the tables: listing payments
loads no ORM (see store/uow.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.sql import ColumnElement

from paybot.core.payments import Flag, PaymentView, Reason, ReferenceType, payee_details
from paybot.core.states import PaymentStatus
from paybot.store.tables import companies, open_items, payee_columns, payee_values, payments

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    # The search box's parser, for searches only (a list of payments has no query).
    from paybot.core.search_query import SearchQuery

_PAYMENT = payments.c


class PaymentLists:
    """Payments as views, read-only: the same views as PaymentRepository.list gives."""

    def __init__(self, statements: Callable[[], Connection | Session]) -> None:
        # The unit of work's connection, or its session once it has one: asked per statement.
        self._sql = statements

    def list(
        self,
        *,
        company_id: int | None = None,
        statuses: Iterable[PaymentStatus] | None = None,
    ) -> list[PaymentView]:
        """A company's payments (or every company's) in these states, by due date (payments
        without one last), then id."""
        statement = (
            view_query()
            .where(*list_conditions(company_id, None, statuses, None))
            .order_by(_PAYMENT.due_date.asc().nulls_last(), _PAYMENT.id)
        )
        return [to_view(row) for row in self._sql().execute(statement)]


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
        conditions.append(_PAYMENT.company_id == company_id)
    if company_ids is not None:
        conditions.append(_PAYMENT.company_id.in_(list(company_ids)))
    if statuses is not None:
        conditions.append(_PAYMENT.status.in_([s.value for s in statuses]))
    if query is not None:
        conditions += _search_conditions(query)
    return conditions


def _search_conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    # The identifier checks (python-stdnum) for searches only: a list of payments has no query.
    from paybot.core.identifiers import compact_account

    conditions: list[ColumnElement[bool]] = []
    for account in query.to_accounts:
        conditions.append(_PAYMENT.account == compact_account(account))
    for text in query.company_texts:
        conditions.append(func.lower(_PAYMENT.payee).contains(text.lower(), autoescape=True))
    for amounts in query.amount_ranges:
        conditions.extend(_range(_PAYMENT.amount, amounts.low, amounts.high, amounts))
    for days in query.due_ranges:
        if days.start is not None:
            conditions.append(_PAYMENT.due_date >= days.start)
        if days.end is not None:
            conditions.append(_PAYMENT.due_date <= days.end)
    if query.statuses is not None:
        conditions.append(_PAYMENT.status.in_([s.value for s in query.statuses]))
    if query.currencies is not None:
        conditions.append(_PAYMENT.currency.in_(sorted(query.currencies)))
    for word in query.words:
        needle = word.lower()
        # The open items whose invoice number has the word: one scan of them per statement
        # (not one look-up per payment), however many payments are searched.
        invoices = select(_ITEM.c.id).where(_INVOICE_NO.contains(needle, autoescape=True))
        conditions.append(
            or_(
                _PAYEE.contains(needle, autoescape=True),
                _PAYMENT.open_item_id.in_(invoices),
                _REFERENCE.contains(needle, autoescape=True),
            )
        )
    return conditions


# An alias, so that a statement that joins the open items itself (a payment list) does not
# correlate the subquery to its own open item.
_ITEM = open_items.alias()
_PAYEE = func.lower(_PAYMENT.payee)
_REFERENCE = func.lower(_PAYMENT.reference)
_INVOICE_NO = func.lower(_ITEM.c.invoice_no)


def _range(column: Any, low: Decimal | None, high: Decimal | None, spec: Any) -> list[Any]:
    # Bounds bind through the column's Money type, so they compare as exact integers too.
    out = []
    if low is not None:
        out.append(column >= low if spec.low_inclusive else column > low)
    if high is not None:
        out.append(column <= high if spec.high_inclusive else column < high)
    return [and_(*out)] if out else []


# What a view reads: the payment's columns, its company's organisation number, its open item's
# voucher and invoice numbers (no two of the same name).
_VIEW_COLUMNS = (
    _PAYMENT.id,
    _PAYMENT.status,
    _PAYMENT.flag,
    _PAYMENT.reasons,
    _PAYMENT.payee,
    _PAYMENT.account,
    _PAYMENT.amount,
    _PAYMENT.currency,
    _PAYMENT.due_date,
    _PAYMENT.reference_type,
    _PAYMENT.reference,
    _PAYMENT.version,
    _PAYMENT.supplier_id,
    _PAYMENT.signature_round,
    _PAYMENT.changed_by_id,
    _PAYMENT.approved_by_id,
    _PAYMENT.batch_id,
    _PAYMENT.bank_status,
    _PAYMENT.failure_kind,
    _PAYMENT.failure_reason,
    _PAYMENT.bank_text,
    _PAYMENT.updated_at,
    _PAYMENT.editors,
    *payee_columns(payments),
    _PAYMENT.urgent,
    companies.c.org_no,
    open_items.c.voucher_no,
    open_items.c.invoice_no,
)
_STATUS_BY_VALUE = {status.value: status for status in PaymentStatus}
_REFERENCE_TYPE_BY_VALUE = {kind.value: kind for kind in ReferenceType}


def view_query() -> Select[Any]:
    """The payments as views: `to_view` makes a view of each row."""
    return (
        select(*_VIEW_COLUMNS)
        .join(companies, companies.c.id == _PAYMENT.company_id)
        .join(open_items, open_items.c.id == _PAYMENT.open_item_id)
    )


def to_view(row: Any) -> PaymentView:
    """A row of `view_query` (further columns are ignored)."""
    return PaymentView(
        id=row.id,
        company_org_no=row.org_no,
        status=_STATUS_BY_VALUE[row.status],
        flag=Flag(row.flag),
        reasons=tuple(Reason(code) for code in row.reasons),
        payee=row.payee,
        account=row.account,
        amount=row.amount,
        currency=row.currency,
        due_date=row.due_date,
        reference_type=_REFERENCE_TYPE_BY_VALUE[row.reference_type],
        reference=row.reference,
        voucher_no=row.voucher_no,
        invoice_no=row.invoice_no,
        version=row.version,
        supplier_id=row.supplier_id,
        signature_round=row.signature_round,
        changed_by_id=row.changed_by_id,
        approved_by_id=row.approved_by_id,
        batch_id=row.batch_id,
        bank_status=row.bank_status,
        failure_kind=row.failure_kind,
        failure_reason=row.failure_reason,
        bank_text=row.bank_text,
        updated_at=row.updated_at,
        editors=tuple(row.editors or ()),
        payee_details=payee_details(payee_values(row)),
        urgent=bool(row.urgent),
    )
