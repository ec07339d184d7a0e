"""The EHF documents open items came from: kept whole, with what the details view shows."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from paybot.store.bulk import id_chunks
from paybot.store.models import EhfDocumentRow, OpenItem, Payment


class EhfRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, row: dict[str, Any]) -> int:
        """Stores one document (the columns of ehf_documents); returns its id."""
        return int(
            self._session.execute(
                insert(EhfDocumentRow).returning(EhfDocumentRow.id), row
            ).scalar_one()
        )

    def same_invoice(
        self, company_id: int, supplier_id: int, invoice_no: str
    ) -> list[tuple[str, Decimal]]:
        """(voucher no, amount) of the supplier's open items with this invoice number, from any
        source (an EHF, or the supplier ledger's own export)."""
        query = select(OpenItem.voucher_no, OpenItem.amount).where(
            OpenItem.company_id == company_id,
            OpenItem.supplier_id == supplier_id,
            OpenItem.invoice_no == invoice_no,
        )
        return [(voucher_no, amount) for voucher_no, amount in self._session.execute(query)]

    def for_payment(self, payment_id: int) -> dict[str, Any] | None:
        """What the details view shows of the EHF a payment's open item came from, if any (the
        document's bytes stay in the database)."""
        query = (
            select(
                EhfDocumentRow.file_name,
                EhfDocumentRow.profile,
                EhfDocumentRow.kind,
                EhfDocumentRow.type_code,
                EhfDocumentRow.seller_name,
                EhfDocumentRow.seller_org_no,
                EhfDocumentRow.payee_name,
                EhfDocumentRow.payee_org_no,
                EhfDocumentRow.bic,
                EhfDocumentRow.account_kind,
                EhfDocumentRow.summary,
                EhfDocumentRow.warnings,
                EhfDocumentRow.imported_at,
            )
            .join(Payment, Payment.open_item_id == EhfDocumentRow.open_item_id)
            .where(Payment.id == payment_id)
        )
        row = self._session.execute(query).first()
        return None if row is None else row._asdict()

    def count_for_payments(self, payment_ids: Iterable[int]) -> int:
        """How many of these payments came from an EHF document."""
        total = 0
        for ids in id_chunks(list(payment_ids)):
            query = (
                select(func.count())
                .select_from(EhfDocumentRow)
                .join(Payment, Payment.open_item_id == EhfDocumentRow.open_item_id)
                .where(Payment.id.in_(ids))
            )
            total += int(self._session.execute(query).scalar_one())
        return total
