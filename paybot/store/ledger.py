"""The supplier ledger: suppliers and their open items."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    ColumnExpressionArgument,
    ScalarSelect,
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from paybot.core.flags import PaymentFacts, SupplierFacts
from paybot.core.payments import NO_PAYEE_DETAILS, PayeeDetails, ReferenceType, payee_details
from paybot.core.states import PaymentStatus
from paybot.store import tables
from paybot.store.bulk import chunks, insert_rows
from paybot.store.models import OpenItem, Payment, Supplier
from paybot.store.tables import payee_columns

# Core table for bulk statements: the ORM's bulk paths cost several times more per row.
_OPEN_ITEMS = cast(Table, OpenItem.__table__)
_REFERENCE_TYPE_BY_VALUE = {kind.value: kind for kind in ReferenceType}


@dataclass(frozen=True)
class FillablePayment:
    """A Proposed or Failed payment whose empty details its supplier's may fill."""

    payment_id: int
    supplier_id: int
    version: int
    signature_round: int
    approved: bool
    details: PayeeDetails


class LedgerRepository:
    """Suppliers and their open items."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def suppliers(self, company_id: int) -> dict[str, tuple[int, str, str | None, str | None]]:
        """match_key -> (id, name, org_no, registered_account)."""
        query = select(
            Supplier.match_key,
            Supplier.id,
            Supplier.name,
            Supplier.org_no,
            Supplier.registered_account,
        ).where(Supplier.company_id == company_id)
        return {row[0]: (row[1], row[2], row[3], row[4]) for row in self._session.execute(query)}

    def add_suppliers(self, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
        """Inserts suppliers; returns match_key -> new id."""
        ids: dict[str, int] = {}
        for chunk in chunks(rows):
            result = self._session.execute(
                insert(Supplier).returning(
                    Supplier.match_key, Supplier.id, sort_by_parameter_order=True
                ),
                list(chunk),
            )
            ids.update({key: supplier_id for key, supplier_id in result})
        return ids

    def update_supplier(self, supplier_id: int, values: Mapping[str, Any]) -> None:
        self._session.execute(update(Supplier).where(Supplier.id == supplier_id).values(**values))

    def supplier_details(
        self, company_id: int, supplier_ids: Iterable[int] | None = None, *, lock: bool = False
    ) -> dict[int, PayeeDetails]:
        """Supplier id -> its details for payments abroad (NO_PAYEE_DETAILS where it has none).

        `lock` holds the rows until the transaction ends (PostgreSQL; FOR NO KEY UPDATE, so new
        payments and items may still refer to the supplier): a fill that read them empty cannot
        overwrite what a racing import sets meanwhile.
        """
        query = select(Supplier.id, *payee_columns(tables.suppliers)).where(
            Supplier.company_id == company_id
        )
        if supplier_ids is not None:
            query = query.where(Supplier.id.in_(set(supplier_ids)))
        if lock:
            query = query.order_by(Supplier.id).with_for_update(key_share=True)
        return {
            supplier_id: payee_details(details)
            for supplier_id, *details in self._session.execute(query)
        }

    def payments_to_fill(self, supplier_ids: Iterable[int]) -> list[FillablePayment]:
        """The suppliers' Proposed and Failed payments with their details, in id order, locked
        until the transaction ends (PostgreSQL): what a change of the supplier's details may
        fill in, without a click racing it."""
        ids = set(supplier_ids)
        if not ids:
            return []
        query = (
            select(
                Payment.id,
                Payment.supplier_id,
                Payment.version,
                Payment.signature_round,
                Payment.approved_by_id,
                *payee_columns(tables.payments),
            )
            .where(
                Payment.supplier_id.in_(ids),
                Payment.status.in_([PaymentStatus.PROPOSED.value, PaymentStatus.FAILED.value]),
            )
            .order_by(Payment.id)
            .with_for_update(key_share=True)
        )
        return [
            FillablePayment(
                payment_id,
                supplier_id,
                version,
                signature_round,
                approver is not None,
                payee_details(details),
            )
            for payment_id, supplier_id, version, signature_round, approver, *details in (
                self._session.execute(query)
            )
        ]

    def items_by_voucher(self, company_id: int) -> dict[str, dict[str, Any]]:
        columns = (
            OpenItem.voucher_no,
            OpenItem.invoice_no,
            OpenItem.supplier_id,
            OpenItem.account,
            OpenItem.amount,
            OpenItem.currency,
            OpenItem.invoice_date,
            OpenItem.due_date,
            OpenItem.reference_type,
            OpenItem.reference,
        )
        query = select(*columns).where(OpenItem.company_id == company_id)
        return {row.voucher_no: row._asdict() for row in self._session.execute(query)}

    def supplier_id(self, row: dict[str, Any]) -> int:
        """The id of the company's supplier with the row's match key, added from the row when
        missing (a racing import that adds the same supplier makes this one wait, then read)."""
        query = select(Supplier.id).where(
            Supplier.company_id == row["company_id"], Supplier.match_key == row["match_key"]
        )
        found = self._session.execute(query).scalar_one_or_none()
        if found is not None:
            return found
        try:
            with self._session.begin_nested():
                return int(
                    self._session.execute(insert(Supplier).returning(Supplier.id), row).scalar_one()
                )
        except IntegrityError:
            return self._session.execute(query).scalar_one()

    def add_item(self, row: dict[str, Any]) -> int | None:
        """Inserts one open item; returns its id, or None when the company has its voucher
        number already (the unique voucher makes a second, racing import wait, then back off)."""
        try:
            with self._session.begin_nested():
                return int(
                    self._session.execute(
                        insert(_OPEN_ITEMS).returning(_OPEN_ITEMS.c.id), row
                    ).scalar_one()
                )
        except IntegrityError:
            return None

    def add_items(self, rows: Sequence[dict[str, Any]]) -> None:
        """Inserts open items (rows with the same keys, the columns they give)."""
        if rows:
            insert_rows(self._session, _OPEN_ITEMS, list(rows[0]), rows)

    def items_without_payment(self, company_id: int) -> list[PaymentFacts]:
        """What flags open items not yet in the bank module, keyed by open item, in item order."""
        query = (
            select(
                OpenItem.id,
                OpenItem.supplier_id,
                OpenItem.account,
                OpenItem.amount,
                OpenItem.currency,
                OpenItem.reference_type,
                OpenItem.reference,
                OpenItem.invoice_no,
                # The payee a new payment names (payments._PROPOSE): a factor, or the seller.
                func.coalesce(OpenItem.payee_name, Supplier.name),
            )
            .join(Supplier, Supplier.id == OpenItem.supplier_id)
            .outerjoin(Payment, Payment.open_item_id == OpenItem.id)
            .where(OpenItem.company_id == company_id, OpenItem.is_open, Payment.id.is_(None))
            .order_by(OpenItem.id)
        )
        references, payees = _REFERENCE_TYPE_BY_VALUE, self.supplier_details(company_id)
        rows = self._session.execute(query)
        # A new payment takes its supplier's details (payments._PROPOSE): so are its facts.
        return [
            PaymentFacts(
                key,
                supplier,
                account,
                amount,
                currency,
                references[kind],
                ref,
                invoice,
                True,
                payees.get(supplier, NO_PAYEE_DETAILS),
                payee,
            )
            for key, supplier, account, amount, currency, kind, ref, invoice, payee in rows
        ]

    def open_credit_items(self, supplier_id: int) -> list[dict[str, Any]]:
        """The supplier's open credit notes and earlier payments (negative open items)."""
        query = (
            select(
                OpenItem.voucher_no,
                OpenItem.invoice_no,
                OpenItem.amount,
                OpenItem.currency,
                OpenItem.invoice_date,
            )
            .where(OpenItem.supplier_id == supplier_id, OpenItem.is_open, OpenItem.amount < 0)
            .order_by(OpenItem.invoice_date, OpenItem.voucher_no)
        )
        return [row._asdict() for row in self._session.execute(query)]

    def supplier_facts(
        self, company_id: int, supplier_ids: Iterable[int] | None = None
    ) -> dict[int, SupplierFacts]:
        """Registered account, last paid-to account and open credit items per supplier."""
        only = None if supplier_ids is None else set(supplier_ids)
        facts: dict[int, dict[str, Any]] = {}
        query = select(Supplier.id, Supplier.registered_account).where(
            Supplier.company_id == company_id
        )
        if only is not None:
            query = query.where(Supplier.id.in_(only))
        for supplier_id, registered in self._session.execute(query):
            facts[supplier_id] = {"registered_account": registered, "open_credit_keys": set()}
        credits = select(OpenItem.supplier_id, OpenItem.id).where(
            OpenItem.company_id == company_id, OpenItem.is_open, OpenItem.amount < 0
        )
        if only is not None:
            credits = credits.where(OpenItem.supplier_id.in_(only))
        for supplier_id, item_id in self._session.execute(credits):
            if supplier_id in facts:
                facts[supplier_id]["open_credit_keys"].add(item_id)
        paid = (
            select(Payment.supplier_id, Payment.account)
            .where(
                Payment.company_id == company_id,
                Payment.status.in_([PaymentStatus.PAID.value, PaymentStatus.POSTED.value]),
            )
            .order_by(Payment.paid_at, Payment.id)
        )
        if only is not None:
            paid = paid.where(Payment.supplier_id.in_(only))
        for supplier_id, account in self._session.execute(paid):
            if supplier_id in facts:
                facts[supplier_id]["last_paid_account"] = account  # the latest wins
        return {
            supplier_id: SupplierFacts(
                registered_account=values["registered_account"],
                last_paid_account=values.get("last_paid_account"),
                open_credit_keys=frozenset(values["open_credit_keys"]),
            )
            for supplier_id, values in facts.items()
        }

    def known_accounts(self, company_id: int, supplier_id: int) -> tuple[str | None, str | None]:
        """The supplier's registered account and the account it was last paid to, in one read."""
        row = self._session.execute(
            _KNOWN_ACCOUNTS, {"company_id": company_id, "supplier_id": supplier_id}
        ).first()
        return (None, None) if row is None else (row[0], row[1])


def last_paid_account(
    company_id: ColumnExpressionArgument[int], supplier_id: ColumnExpressionArgument[int]
) -> ScalarSelect[str | None]:
    """The account a supplier was last paid to (its newest paid or posted payment's), as a
    scalar subquery: a signature compares the payment's account with it (account_changed)."""
    paid = aliased(Payment)
    return (
        select(paid.account)
        .where(
            paid.company_id == company_id,
            paid.supplier_id == supplier_id,
            paid.status.in_([PaymentStatus.PAID.value, PaymentStatus.POSTED.value]),
        )
        .order_by(paid.paid_at.desc(), paid.id.desc())
        .limit(1)
        .scalar_subquery()
    )


_LAST_PAID_ACCOUNT = last_paid_account(bindparam("company_id"), bindparam("supplier_id"))
_KNOWN_ACCOUNTS = select(Supplier.registered_account, _LAST_PAID_ACCOUNT).where(
    Supplier.company_id == bindparam("company_id"), Supplier.id == bindparam("supplier_id")
)
