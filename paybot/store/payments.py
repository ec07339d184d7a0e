"""Payments: bulk writes for proposals, one-payment reads and writes for clicks, searches."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, Update, and_, bindparam, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from paybot.core.flags import PaymentFacts
from paybot.core.payments import Flag, PaymentView, ReferenceType, payee_details
from paybot.core.search_query import SearchQuery
from paybot.core.states import PaymentStatus
from paybot.store.bulk import chunks, id_chunks
from paybot.store.models import OpenItem, Payment, Supplier
from paybot.store.payment_search import list_conditions, to_view, view_query
from paybot.store.tables import open_items, payee_columns
from paybot.store.tables import suppliers as _SUPPLIERS

# Core table for bulk statements: the ORM's bulk paths cost several times more per row.
_PAYMENTS = cast(Table, Payment.__table__)


# A proposal per open item in `ids`; the columns a new payment needs, nothing left to defaults.
# The payee's details (address, BIC, charge bearer, purpose) are the supplier's when proposed.
_PROPOSE = insert(_PAYMENTS).from_select(
    [
        _PAYMENTS.c.company_id,
        _PAYMENTS.c.open_item_id,
        _PAYMENTS.c.supplier_id,
        _PAYMENTS.c.payee,
        _PAYMENTS.c.account,
        _PAYMENTS.c.amount,
        _PAYMENTS.c.currency,
        _PAYMENTS.c.due_date,
        _PAYMENTS.c.reference_type,
        _PAYMENTS.c.reference,
        _PAYMENTS.c.status,
        _PAYMENTS.c.flag,
        _PAYMENTS.c.reasons,
        _PAYMENTS.c.version,
        _PAYMENTS.c.signature_round,
        _PAYMENTS.c.editors,
        _PAYMENTS.c.created_at,
        _PAYMENTS.c.updated_at,
        *payee_columns(_PAYMENTS),
    ],
    select(
        bindparam("company_id", type_=_PAYMENTS.c.company_id.type),
        OpenItem.id,
        OpenItem.supplier_id,
        # An EHF may name a payee other than the seller (factoring): the payment is to it.
        func.coalesce(OpenItem.payee_name, Supplier.name),
        OpenItem.account,
        OpenItem.amount,
        OpenItem.currency,
        OpenItem.due_date,
        OpenItem.reference_type,
        OpenItem.reference,
        literal(PaymentStatus.PROPOSED.value, _PAYMENTS.c.status.type),
        bindparam("flag", type_=_PAYMENTS.c.flag.type),
        bindparam("reasons", type_=_PAYMENTS.c.reasons.type),
        literal(1, _PAYMENTS.c.version.type),
        literal(1, _PAYMENTS.c.signature_round.type),
        literal([], _PAYMENTS.c.editors.type),
        bindparam("now", type_=_PAYMENTS.c.created_at.type),
        bindparam("now", type_=_PAYMENTS.c.updated_at.type),
        *payee_columns(_SUPPLIERS),
    )
    .join(Supplier, Supplier.id == OpenItem.supplier_id)
    .where(OpenItem.id.in_(bindparam("ids", expanding=True)))
    .order_by(OpenItem.id),
    include_defaults=False,
)
_FLAG_ITEMS = (
    update(_PAYMENTS)
    .where(_PAYMENTS.c.open_item_id.in_(bindparam("ids", expanding=True)))
    .values(flag=bindparam("new_flag"), reasons=bindparam("new_reasons"))
)

_STATUS_BY_VALUE = {status.value: status for status in PaymentStatus}
_REFERENCE_TYPE_BY_VALUE = {kind.value: kind for kind in ReferenceType}


class PaymentRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add_proposals(
        self, company_id: int, flags: Mapping[int, tuple[str, Sequence[str]]], now: datetime
    ) -> dict[int, int]:
        """Proposed payments for open items (open item id -> flag and reason codes); returns
        open_item_id -> payment id of the new ones.

        The payments' values are copied from the items and their suppliers inside the database
        (INSERT ... SELECT, in item order): no row travels through Python. Each insert writes
        the commonest flag; a few UPDATEs per other flag (there are a handful) fix the rest.
        """
        if not flags:
            return {}
        by_flag: dict[tuple[str, tuple[str, ...]], list[int]] = {}
        for item_id, (flag, codes) in flags.items():
            by_flag.setdefault((flag, tuple(codes)), []).append(item_id)
        common = max(by_flag, key=lambda found: len(by_flag[found]))
        values = {
            "company_id": company_id,
            "now": now,
            "flag": common[0],
            "reasons": list(common[1]),
        }
        for ids in id_chunks(sorted(flags)):
            self._session.execute(_PROPOSE, {**values, "ids": ids})
        for (flag, codes), item_ids in by_flag.items():
            if (flag, codes) != common:
                for ids in id_chunks(item_ids):
                    self._session.execute(
                        _FLAG_ITEMS, {"ids": ids, "new_flag": flag, "new_reasons": list(codes)}
                    )
        query = select(Payment.open_item_id, Payment.id).where(Payment.company_id == company_id)
        return {item: payment for item, payment in self._session.execute(query) if item in flags}

    def id_for_open_item(self, open_item_id: int) -> int | None:
        """The payment made of an open item, if one was."""
        query = select(Payment.id).where(Payment.open_item_id == open_item_id)
        return self._session.execute(query).scalar_one_or_none()

    def facts(
        self, company_id: int, supplier_ids: Iterable[int] | None = None
    ) -> list[tuple[int, PaymentStatus, str, list[str], PaymentFacts]]:
        """(payment id, status, flag, reasons, facts keyed by open item) for the company."""
        query = (
            select(
                Payment.id,
                Payment.status,
                Payment.flag,
                Payment.reasons,
                Payment.open_item_id,
                Payment.supplier_id,
                Payment.account,
                Payment.amount,
                Payment.currency,
                Payment.reference_type,
                Payment.reference,
                OpenItem.invoice_no,
                Payment.payee,
                *payee_columns(_PAYMENTS),
            )
            .join(OpenItem, OpenItem.id == Payment.open_item_id)
            .where(Payment.company_id == company_id)
        )
        if supplier_ids is not None:
            query = query.where(Payment.supplier_id.in_(set(supplier_ids)))
        statuses, references, deleted = (
            _STATUS_BY_VALUE,
            _REFERENCE_TYPE_BY_VALUE,
            PaymentStatus.DELETED,
        )
        result = []
        for (
            payment_id,
            status_value,
            flag,
            reasons,
            item_id,
            supplier_id,
            account,
            amount,
            currency,
            reference_type,
            reference,
            invoice_no,
            payee,
            *details,
        ) in self._session.execute(query):
            status = statuses[status_value]
            facts = PaymentFacts(
                item_id,
                supplier_id,
                account,
                amount,
                currency,
                references[reference_type],
                reference,
                invoice_no,
                status is not deleted,
                # Most payments are domestic, without any: they share one empty object.
                payee_details(details),
                payee,
            )
            result.append((payment_id, status, flag, reasons, facts))
        return result

    def suppliers_paying_in(
        self, currency: str, statuses: Iterable[PaymentStatus]
    ) -> dict[int, set[int]]:
        """Company id -> its suppliers that have payments in `currency` in one of `statuses`."""
        query = (
            select(Payment.company_id, Payment.supplier_id)
            .where(
                Payment.currency == currency,
                Payment.status.in_([status.value for status in statuses]),
            )
            .distinct()
        )
        found: dict[int, set[int]] = {}
        for company_id, supplier_id in self._session.execute(query):
            found.setdefault(company_id, set()).add(supplier_id)
        return found

    def set_flags(self, flags: Sequence[dict[str, Any]]) -> None:
        """Bulk update of derived flags (rows: id, flag, reasons); the version is not bumped."""
        statement = (
            update(_PAYMENTS)
            .where(_PAYMENTS.c.id == bindparam("payment_id"))
            .values(flag=bindparam("new_flag"), reasons=bindparam("new_reasons"))
        )
        for chunk in chunks(flags):
            self._session.execute(
                statement,
                [
                    {"payment_id": r["id"], "new_flag": r["flag"], "new_reasons": r["reasons"]}
                    for r in chunk
                ],
            )

    def get(self, payment_id: int, *, lock: bool = False) -> PaymentView | None:
        """One payment; `lock` holds its row until the transaction ends (PostgreSQL), so no one
        changes it meanwhile."""
        query = _LOCKED_VIEW if lock else _ONE_VIEW
        row = self._session.execute(query, {"payment_id": payment_id}).first()
        return None if row is None else to_view(row)

    def duplicate_candidates(
        self, payment_id: int, *, invoice_no: str | None, amount: Decimal, kid: str | None
    ) -> list[tuple[PaymentView, datetime | None]]:
        """The payments of the same company and supplier as payment `payment_id` (itself left
        out) that may look like it: the same invoice no (`invoice_no`, as the payment's open item
        has it), or the same amount and KID (`kid`; None: the payment has no KID). Each with
        when it was paid (None: not paid). One statement, by id.

        A superset: core.flags.duplicate_partners picks the look-alikes from these. Invoice
        numbers are compared stripped there, which SQL's TRIM does not do alike (tabs, line
        breaks), so any invoice no containing the stripped one is read.
        """
        alike = []
        if invoice_no:
            alike.append(open_items.c.invoice_no.contains(invoice_no.strip(), autoescape=True))
        if kid:
            alike.append(
                and_(
                    _PAYMENTS.c.reference_type == ReferenceType.KID.value,
                    _PAYMENTS.c.reference == kid,
                    _PAYMENTS.c.amount == amount,
                )
            )
        if not alike:
            return []
        target = _PAYMENTS.alias("target")
        statement = (
            view_query()
            .add_columns(_PAYMENTS.c.paid_at)
            .join(
                target,
                and_(
                    target.c.id == payment_id,
                    target.c.company_id == _PAYMENTS.c.company_id,
                    target.c.supplier_id == _PAYMENTS.c.supplier_id,
                ),
            )
            .where(_PAYMENTS.c.id != payment_id, or_(*alike))
            .order_by(_PAYMENTS.c.id)
        )
        return [(to_view(row), row.paid_at) for row in self._session.execute(statement)]

    def compare_and_set(self, payment_id: int, version: int, values: Mapping[str, Any]) -> bool:
        """Writes `values` only if nobody changed the payment since `version`; bumps the version."""
        params = {f"new_{column}": value for column, value in values.items()}
        params |= {"cas_id": payment_id, "cas_version": version}
        result = self._session.execute(_compare_and_set(frozenset(values)), params)
        return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]

    def list(
        self,
        *,
        company_id: int | None = None,
        statuses: Iterable[PaymentStatus] | None = None,
        query: SearchQuery | None = None,
        payment_ids: Iterable[int] | None = None,
        limit: int | None = None,
    ) -> list[PaymentView]:
        statement = view_query().where(*list_conditions(company_id, None, statuses, query))
        if payment_ids is not None:
            statement = statement.where(Payment.id.in_(list(payment_ids)))
        statement = statement.order_by(Payment.due_date.asc().nulls_last(), Payment.id)
        if limit is not None:
            statement = statement.limit(limit)
        return [to_view(row) for row in self._session.execute(statement)]

    def page(
        self, *, company_ids: Sequence[int], query: SearchQuery, offset: int, limit: int
    ) -> tuple[int, Sequence[PaymentView]]:
        """How many payments match, and one page of them, by due date: one scan of the matches
        (ids and a window count; a second statement only for a page past the end), then the
        page's payments by id (a statement built once: each new query shape costs little)."""
        statement = (
            select(Payment.id, func.count().over().label("matches"))
            .where(*list_conditions(None, company_ids, None, query))
            .order_by(Payment.due_date.asc().nulls_last(), Payment.id)
            .offset(offset)
            .limit(limit)
        )
        rows = self._session.execute(statement).all()
        if not rows:
            return (self.count(company_ids=company_ids, query=query) if offset else 0), []
        ids = [row.id for row in rows]
        found = {
            view.id: view
            for view in map(to_view, self._session.execute(_VIEWS_BY_ID, {"ids": ids}))
        }
        return int(rows[0].matches), [found[i] for i in ids]

    def count(self, *, company_ids: Sequence[int], query: SearchQuery | None = None) -> int:
        conditions = list_conditions(None, company_ids, None, query)
        statement = select(func.count()).select_from(Payment).where(*conditions)
        return int(self._session.scalar(statement) or 0)

    def counts_by_status(self, company_id: int) -> dict[PaymentStatus, int]:
        query = (
            select(Payment.status, func.count())
            .where(Payment.company_id == company_id)
            .group_by(Payment.status)
        )
        counts = dict.fromkeys(PaymentStatus, 0)
        counts.update({PaymentStatus(s): n for s, n in self._session.execute(query)})
        return counts

    def flag_counts(self, company_id: int, status: PaymentStatus) -> dict[Flag, int]:
        query = (
            select(Payment.flag, func.count())
            .where(Payment.company_id == company_id, Payment.status == status.value)
            .group_by(Payment.flag)
        )
        counts = dict.fromkeys(Flag, 0)
        counts.update({Flag(flag): count for flag, count in self._session.execute(query)})
        return counts


@lru_cache(maxsize=64)
def _compare_and_set(columns: frozenset[str]) -> Update:
    """The compare-and-set of these columns, built once per set of them: composing a statement
    costs more than running it, and every click writes one."""
    return (
        update(_PAYMENTS)
        .where(
            _PAYMENTS.c.id == bindparam("cas_id"), _PAYMENTS.c.version == bindparam("cas_version")
        )
        .values(
            version=_PAYMENTS.c.version + 1,
            **{
                column: bindparam(f"new_{column}", type_=_PAYMENTS.c[column].type)
                for column in sorted(columns)
            },
        )
    )


# Built once: composing a statement costs more than running it (a click reads several).
# Views are plain rows (payment_search.view_query), not mapped Payments: a view is read-only,
# and rows cost a fraction of ORM instances to load (every Slack click reads a few).
_ONE_VIEW = view_query().where(Payment.id == bindparam("payment_id"))
# NO KEY UPDATE, as an UPDATE of the row takes: an audit event naming the payment (a foreign
# key check) must not wait for it, or a refusal holding the audit lock would wait in a ring.
_LOCKED_VIEW = _ONE_VIEW.with_for_update(of=Payment, key_share=True)
_VIEWS_BY_ID = view_query().where(Payment.id.in_(bindparam("ids", expanding=True)))
