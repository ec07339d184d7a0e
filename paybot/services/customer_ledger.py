"""Importing the customer ledger's open invoices, whole or not at all: what incoming payments are
matched to (by KID)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from paybot.core.errors import ImportRejected
from paybot.core.ledger_file import CustomerItemRow
from paybot.core.policy import Actor
from paybot.services.common import SYSTEM, audit, company_or_error
from paybot.services.ledger import ImportResult, shown_value
from paybot.store.uow import UnitOfWork

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
