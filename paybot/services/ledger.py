"""Importing the supplier ledger: suppliers and their open items, whole or not at all.

A supplier's details for payments abroad (address, BIC, charge bearer, purpose) are its defaults:
a proposal copies them. When they change (a file gives them, an EHF invoice fills them), the
supplier's Proposed and Failed payments get the new values where theirs are empty
(`fill_payments`): a value fixed on a payment wins.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from paybot.core.errors import ConcurrentChange, ImportRejected
from paybot.core.ledger_file import (
    DETAIL_GROUPS,
    PAYEE_COLUMNS,
    OpenItemRow,
    SupplierRow,
    details_filled,
    details_given,
)
from paybot.core.money import format_plain
from paybot.core.payments import NO_PAYEE_DETAILS, PayeeDetails
from paybot.core.policy import Actor
from paybot.services.common import SYSTEM, audit, company_or_error
from paybot.services.proposals import reflag
from paybot.store.uow import UnitOfWork

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ImportResult:
    new: int
    unchanged: int
    updated: int = 0
    new_suppliers: int = 0
    # Proposed or Failed payments whose empty details the suppliers' new ones filled.
    payments_filled: int = 0


# suppliers.match_key is String(200); tests/core/test_text.py holds the two equal.
MATCH_KEY_LENGTH = 200
# A key too long for its column keeps this much of the name, then '#' and a digest of all of it.
_DIGEST_LENGTH = 16


def supplier_key(name: str, org_no: str | None) -> str:
    """How a ledger row finds its supplier: the org no when known, else the name.

    The name's key is the name lower-cased with its spaces collapsed. A name may fill its whole
    column (200 characters), and lower-casing may even lengthen it ('İ' becomes two characters),
    so a key too long for the match_key column ends in a digest of the whole key instead: still
    one key per name, and every shorter name keeps the key it always had.
    """
    if org_no:
        return f"org:{org_no}"
    key = f"name:{' '.join(name.lower().split())}"
    if len(key) <= MATCH_KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:_DIGEST_LENGTH]
    return f"{key[: MATCH_KEY_LENGTH - _DIGEST_LENGTH - 1]}#{digest}"


def import_suppliers(
    uow: UnitOfWork,
    *,
    company_org_no: str,
    source: str,
    rows: Sequence[SupplierRow],
    now: datetime,
    actor: Actor = SYSTEM,
) -> ImportResult:
    """Adds the suppliers not known, updates the known ones (by org no, else name).

    A row's name and account replace the supplier's. Of its details, each group a row gives (the
    address, the BIC, the charge bearer, the purpose: ledger_file.DETAIL_GROUPS) replaces the
    supplier's whole; a group the row leaves empty keeps what paybot has (from an EHF invoice,
    say). Changed details fill the supplier's Proposed and Failed payments where empty, and
    their flags are renewed. The same file again changes nothing.
    """
    with uow:
        company = company_or_error(uow, company_org_no)
        known = uow.ledger.suppliers(company.id)
        stored = uow.ledger.supplier_details(company.id)
        new_rows: list[dict[str, Any]] = []
        unchanged = 0
        new_account: set[int] = set()
        offers: dict[int, PayeeDetails] = {}
        for row in rows:
            key = supplier_key(row.name, row.org_no)
            existing = known.get(key)
            if existing is None:
                new_rows.append(
                    {
                        "company_id": company.id,
                        "match_key": key,
                        "name": row.name,
                        "org_no": row.org_no,
                        "registered_account": row.account,
                        **asdict(row.details),
                    }
                )
                continue
            supplier_id, _, _, account = existing
            offer = _update_supplier(
                uow,
                company.id,
                row,
                existing,
                stored.get(supplier_id, NO_PAYEE_DETAILS),
                actor=actor,
                now=now,
                source=source,
            )
            if offer is None:
                unchanged += 1
                continue
            if account != row.account:
                new_account.add(supplier_id)
            if offer != NO_PAYEE_DETAILS:
                offers[supplier_id] = offer
        uow.ledger.add_suppliers(new_rows)
        filled = fill_payments(uow, company.id, offers, actor=actor, now=now, source=source)
        if new_account or offers:
            # Signing compares a payment's account with the registered one, and a payment
            # abroad needs the details just filled: the flag a person sees says the same, from
            # this import on.
            reflag(uow, company.id, new_account | set(offers))
        updated = len(rows) - len(new_rows) - unchanged
        result = ImportResult(
            new=len(new_rows), unchanged=unchanged, updated=updated, payments_filled=filled
        )
        audit(
            uow,
            actor=actor,
            action="import.suppliers",
            now=now,
            company_id=company.id,
            details={
                "source": source,
                "new": result.new,
                "updated": updated,
                "unchanged": unchanged,
                "payments_filled": filled,
            },
        )
        uow.commit()
    return result


def _update_supplier(
    uow: UnitOfWork,
    company_id: int,
    row: SupplierRow,
    existing: tuple[int, str, str | None, str | None],
    stored: PayeeDetails,
    *,
    actor: Actor,
    now: datetime,
    source: str,
) -> PayeeDetails | None:
    """Writes and audits what the row changes of a known supplier; returns None when it changes
    nothing, else the details its payments are offered (the changed groups, NO_PAYEE_DETAILS
    when only the name or account changed)."""
    supplier_id, name, _, account = existing
    details = details_given(stored, row.details)
    changed = changed_columns(stored, details)
    if (name, account) == (row.name, row.account) and not changed:
        return None
    before: dict[str, Any] = {"name": name, "registered_account": account}
    after: dict[str, Any] = {"name": row.name, "registered_account": row.account}
    before.update({column: getattr(stored, column) for column in changed})
    after.update({column: getattr(details, column) for column in changed})
    uow.ledger.update_supplier(supplier_id, after)
    audit(
        uow,
        actor=actor,
        action="supplier.update",
        now=now,
        company_id=company_id,
        before=before,
        after=after,
        details={"source": source, "line": row.line, "supplier_id": supplier_id},
    )
    return changed_groups(stored, details)


def changed_columns(before: PayeeDetails, after: PayeeDetails) -> list[str]:
    """The details' names whose values differ."""
    return [c for c in PAYEE_COLUMNS if getattr(before, c) != getattr(after, c)]


def changed_groups(before: PayeeDetails, after: PayeeDetails) -> PayeeDetails:
    """`after`'s values of the groups (DETAIL_GROUPS) that differ from `before`; None elsewhere."""
    values: dict[str, str | None] = {}
    for group in DETAIL_GROUPS:
        if any(getattr(before, c) != getattr(after, c) for c in group):
            values.update({c: getattr(after, c) for c in group})
    return PayeeDetails(**values) if values else NO_PAYEE_DETAILS


def fill_payments(
    uow: UnitOfWork,
    company_id: int,
    offers: Mapping[int, PayeeDetails],
    *,
    actor: Actor,
    now: datetime,
    source: str,
) -> int:
    """Inside the caller's transaction: each supplier's Proposed and Failed payments take the
    details offered (supplier id -> the changed ones) where their own are empty, group by group
    (ledger_file.details_filled): a value fixed on a payment wins. A payment so changed is a
    new version: its signatures and approval, given to the old details, are void. Returns how
    many payments changed; their flags are the caller's to renew."""
    filled = 0
    for payment in uow.ledger.payments_to_fill(offers):
        details = details_filled(payment.details, offers[payment.supplier_id])
        changed = changed_columns(payment.details, details)
        if not changed:
            continue
        values: dict[str, Any] = {column: getattr(details, column) for column in changed}
        before = {column: getattr(payment.details, column) for column in changed}
        voided = uow.signatures.void(payment.payment_id, now)
        after = {**values, "signature_round": payment.signature_round + 1, "updated_at": now}
        if payment.approved:
            after.update(approved_by_id=None, approved_at=None)
        if not uow.payments.compare_and_set(payment.payment_id, payment.version, after):
            # The row is locked since it was read: never expected.
            raise ConcurrentChange(
                f"Payment {payment.payment_id} was changed by someone else just now; nothing "
                "was taken. Try again."
            )
        audit(
            uow,
            actor=actor,
            action="payment.fill_details",
            now=now,
            company_id=company_id,
            payment_id=payment.payment_id,
            before={**before, "version": payment.version},
            after={**values, "version": payment.version + 1},
            details={
                "source": source,
                "supplier_id": payment.supplier_id,
                "voided_signatures": voided,
                "voided_approval": payment.approved,
            },
        )
        filled += 1
    return filled


_COMPARED = (
    "invoice_no",
    "account",
    "amount",
    "currency",
    "invoice_date",
    "due_date",
    "reference_type",
    "reference",
)


def import_open_items(
    uow: UnitOfWork,
    *,
    company_org_no: str,
    source: str,
    rows: Sequence[OpenItemRow],
    now: datetime,
    actor: Actor = SYSTEM,
    progress: Progress | None = None,
) -> ImportResult:
    """Adds the items not seen before (by voucher no); an item seen with other values is refused."""
    with uow:
        company = company_or_error(uow, company_org_no)
        suppliers = {key: values[0] for key, values in uow.ledger.suppliers(company.id).items()}
        existing = uow.ledger.items_by_voucher(company.id)
        new_suppliers = _add_missing_suppliers(uow, company.id, rows, suppliers)
        new_items: list[dict[str, Any]] = []
        unchanged = 0
        for row in rows:
            supplier_id = suppliers[supplier_key(row.supplier_name, row.supplier_org_no)]
            values = _item_values(row)
            before = existing.get(row.voucher_no)
            if before is None:
                new_items.append(
                    {
                        **values,
                        "company_id": company.id,
                        "supplier_id": supplier_id,
                        "voucher_no": row.voucher_no,
                        "is_open": True,
                        "imported_at": now,
                    }
                )
            else:
                _refuse_changed_item(source, row, values, before, supplier_id)
                unchanged += 1
            if progress is not None:
                progress(1)
        uow.ledger.add_items(new_items)
        result = ImportResult(new=len(new_items), unchanged=unchanged, new_suppliers=new_suppliers)
        audit(
            uow,
            actor=actor,
            action="import.open_items",
            now=now,
            company_id=company.id,
            details={"source": source, "new": result.new, "unchanged": unchanged},
        )
        uow.commit()
    return result


def _item_values(row: OpenItemRow) -> dict[str, Any]:
    return {
        "invoice_no": row.invoice_no,
        "account": row.account,
        "amount": row.amount,
        "currency": row.currency,
        "invoice_date": row.invoice_date,
        "due_date": row.due_date,
        "reference_type": row.reference_type.value,
        "reference": row.reference,
    }


def _refuse_changed_item(
    source: str, row: OpenItemRow, values: dict[str, Any], before: dict[str, Any], supplier_id: int
) -> None:
    if before["supplier_id"] != supplier_id:
        raise ImportRejected(
            source,
            row.line,
            "supplier_name",
            f"voucher {row.voucher_no} was imported before for another supplier",
        )
    for column in _COMPARED:
        if values[column] != before[column]:
            was, now = (
                shown_value(column, value, row.currency)
                for value in (before[column], values[column])
            )
            raise ImportRejected(
                source,
                row.line,
                column,
                f"voucher {row.voucher_no} was imported before with {column} {was}, not {now}; "
                "a voucher is never changed by a new import (correct it in the ledger with a "
                "new voucher)",
            )


def shown_value(column: str, value: Any, currency: str) -> str:
    """A ledger value as a refusal shows it ("empty", an amount in plain figures)."""
    if value is None or value == "":
        return "empty"
    if column == "amount":
        return format_plain(value, currency)
    return str(value)


def _add_missing_suppliers(
    uow: UnitOfWork, company_id: int, rows: Sequence[OpenItemRow], suppliers: dict[str, int]
) -> int:
    """Suppliers first met in the open items; their account is not registered by an invoice."""
    missing: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = supplier_key(row.supplier_name, row.supplier_org_no)
        if key not in suppliers and key not in missing:
            missing[key] = {
                "company_id": company_id,
                "match_key": key,
                "name": row.supplier_name,
                "org_no": row.supplier_org_no,
                "registered_account": None,
            }
    suppliers.update(uow.ledger.add_suppliers(list(missing.values())))
    return len(missing)
