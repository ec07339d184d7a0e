"""Importing one EHF invoice or credit note: a supplier open item, then a proposal, or nothing.

The file was read and validated before (core.ehf); here it meets the company: its buyer must be
the company, its seller becomes (or is) a supplier, and an invoice the company already has (the
same supplier and invoice number, from an EHF or from the ledger's own export) is taken once.
The seller's postal address and its bank's BIC fill the supplier's details where they are empty
(never a value a person set), before the proposal copies them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from paybot.core.company import CompanyInfo
from paybot.core.ehf import EhfDocument, RuleMessage
from paybot.core.errors import ImportRejected, NotFound
from paybot.core.identifiers import domestic_account
from paybot.core.ledger_file import details_filled
from paybot.core.money import format_plain
from paybot.core.payments import NO_PAYEE_DETAILS, ReferenceType
from paybot.core.policy import Actor
from paybot.core.text import length_problem, text_problem
from paybot.services.common import SYSTEM, audit, company_or_error
from paybot.services.ledger import changed_columns, changed_groups, fill_payments, supplier_key
from paybot.services.proposals import propose_new
from paybot.store.uow import UnitOfWork

# open_items.voucher_no is String(40): "EHF-" and 16 hex digits of the invoice's key.
VOUCHER_PREFIX = "EHF-"


@dataclass(frozen=True)
class EhfFile:
    """One file as read and validated: the document, its rule warnings, its bytes."""

    document: EhfDocument
    warnings: Sequence[RuleMessage]
    data: bytes


@dataclass(frozen=True)
class EhfImported:
    source: str
    company_org_no: str
    outcome: Literal["imported", "known"]
    voucher_no: str
    # The proposal made of it (None when the invoice was known already).
    payment_id: int | None = None
    detail: str = ""


def import_ehf(
    uow: UnitOfWork,
    *,
    file: EhfFile,
    now: datetime,
    company_org_no: str | None = None,
    actor: Actor = SYSTEM,
) -> EhfImported:
    """Takes one EHF whole or not at all; taken twice, the second time changes nothing.

    Args:
        company_org_no: the company the file is for; None to find it by the invoice's buyer
            (the inbox folder, where files come without a company).

    Raises:
        ImportRejected: the buyer is not the company, or the invoice was imported before with
            other figures.
        NotFound: no such company (or none is the buyer).
    """
    doc = file.document
    _refuse_bad_text(doc)
    with uow:
        company = _company(uow, doc, company_org_no)
        supplier_id = _supplier(uow, company.id, doc)
        voucher_no = voucher_for(doc)
        credit = doc.payable_amount < 0
        known = [
            (voucher, amount)
            for voucher, amount in uow.ehf.same_invoice(company.id, supplier_id, doc.invoice_no)
            if (amount < 0) == credit  # a credit note may carry its invoice's number
        ]
        for existing_voucher, amount in known:
            if amount == doc.payable_amount:
                return EhfImported(
                    doc.source,
                    company.org_no,
                    "known",
                    existing_voucher,
                    detail=f"invoice {doc.invoice_no} is in the supplier ledger already "
                    f"(voucher {existing_voucher})",
                )
        if known:
            voucher, amount = known[0]
            raise ImportRejected(
                doc.source,
                1,
                "cbc:ID",
                f"invoice {doc.invoice_no} of {doc.seller.name} is in the supplier ledger "
                f"already (voucher {voucher}) with amount {format_plain(amount, doc.currency)}, "
                f"not {format_plain(doc.payable_amount, doc.currency)}; an invoice is never "
                "changed by a new file (the supplier sends a credit note)",
            )
        item_id = uow.ledger.add_item(_open_item(company.id, supplier_id, voucher_no, doc, now))
        if item_id is None:  # another import took the same invoice a moment ago
            return EhfImported(
                doc.source,
                company.org_no,
                "known",
                voucher_no,
                detail=f"invoice {doc.invoice_no} was imported at the same time by another run",
            )
        uow.ehf.add(_document_row(company.id, item_id, file, now))
        filled = _fill_supplier_details(uow, company.id, supplier_id, doc, actor, now)
        propose_new(uow, company.id, supplier_id, actor, now)
        payment_id = uow.payments.id_for_open_item(item_id)
        audit(
            uow,
            actor=actor,
            action="import.ehf",
            now=now,
            company_id=company.id,
            payment_id=payment_id,
            details={
                "source": doc.source,
                "sha256": hashlib.sha256(file.data).hexdigest(),
                "voucher_no": voucher_no,
                "invoice_no": doc.invoice_no,
                "warnings": [w.rule_id for w in file.warnings],
                "supplier_details_filled": filled,
            },
        )
        uow.commit()
    return EhfImported(doc.source, company.org_no, "imported", voucher_no, payment_id)


def _fill_supplier_details(
    uow: UnitOfWork,
    company_id: int,
    supplier_id: int,
    doc: EhfDocument,
    actor: Actor,
    now: datetime,
) -> list[str]:
    """The seller's address and BIC (EhfDocument.seller_details) where the supplier's are empty,
    audited as a supplier import's change is; the supplier's other Proposed and Failed payments
    get them where theirs are empty. Returns the columns filled.

    The BIC goes with the account it was given for: it fills only a supplier without a
    registered account or whose registered account is the one the invoice names."""
    offered = doc.seller_details()
    if offered == NO_PAYEE_DETAILS:
        return []
    # Locked: a supplier import racing this one waits, or is waited for, and is never overwritten.
    stored = uow.ledger.supplier_details(company_id, [supplier_id], lock=True)[supplier_id]
    if offered.bic is not None:
        registered, _ = uow.ledger.known_accounts(company_id, supplier_id)
        paid_to = domestic_account(doc.account) if doc.account else None
        if registered is not None and registered != paid_to:
            offered = replace(offered, bic=None)
    details = details_filled(stored, offered)
    changed = changed_columns(stored, details)
    if not changed:
        return []
    after = {column: getattr(details, column) for column in changed}
    uow.ledger.update_supplier(supplier_id, after)
    audit(
        uow,
        actor=actor,
        action="supplier.update",
        now=now,
        company_id=company_id,
        before={column: getattr(stored, column) for column in changed},
        after=after,
        details={"source": doc.source, "supplier_id": supplier_id, "from": "ehf"},
    )
    offers = {supplier_id: changed_groups(stored, details)}
    fill_payments(uow, company_id, offers, actor=actor, now=now, source=doc.source)
    return changed


def _refuse_bad_text(doc: EhfDocument) -> None:
    """What paybot stores and shows is checked as a ledger file's texts are: it fits its column,
    and holds no control, bidirectional-override or other invisible character (a payee name
    that reads differently in Slack than it is)."""
    checked = (
        ("cac:AccountingSupplierParty", doc.seller.name, 200),
        ("cac:PayeeParty", doc.payee.name if doc.payee else None, 200),
        ("cbc:ID", doc.invoice_no, 60),
        ("cac:PayeeFinancialAccount/cbc:ID", doc.account, 40),
        ("cac:FinancialInstitutionBranch/cbc:ID", doc.bic, 11),
        ("cbc:PaymentID", doc.kid or doc.payment_message, 140),
    )
    for element, value, limit in checked:
        if value is None:
            continue
        problem = text_problem(value) or length_problem(value, limit)
        if problem:
            raise ImportRejected(doc.source, 1, element, problem)


def voucher_for(doc: EhfDocument) -> str:
    """The open item's voucher number: one per seller, invoice number and kind of document, so
    the database itself refuses the same invoice twice (even from two imports at once)."""
    key = "|".join(
        (supplier_key(doc.seller.name, doc.seller.org_no), doc.invoice_no.strip(), doc.kind)
    )
    return VOUCHER_PREFIX + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _company(uow: UnitOfWork, doc: EhfDocument, org_no: str | None) -> CompanyInfo:
    buyer = doc.buyer
    if org_no is None:
        if buyer.org_no is None:
            raise ImportRejected(
                doc.source,
                1,
                "cac:AccountingCustomerParty",
                f"the buyer {buyer.name!r} has no Norwegian organisation number, so paybot "
                "cannot tell which company the invoice is for",
            )
        company = uow.companies.get(buyer.org_no)
        if company is None:
            raise NotFound(
                f"{doc.source}: the invoice is for {buyer.name} (organisation number "
                f"{buyer.org_no}), which is no company in paybot"
            )
        return company
    company = company_or_error(uow, org_no)
    if buyer.org_no != company.org_no:
        said = f"organisation number {buyer.org_no}" if buyer.org_no else "no organisation number"
        raise ImportRejected(
            doc.source,
            1,
            "cac:AccountingCustomerParty",
            f"the invoice is for {buyer.name} ({said}), not for {company.name} ({company.org_no})",
        )
    return company


def _supplier(uow: UnitOfWork, company_id: int, doc: EhfDocument) -> int:
    """The seller as a supplier, added when first met (its account is not registered by an
    invoice: only the supplier ledger's export registers one)."""
    return uow.ledger.supplier_id(
        {
            "company_id": company_id,
            "match_key": supplier_key(doc.seller.name, doc.seller.org_no),
            "name": doc.seller.name,
            "org_no": doc.seller.org_no,
            "registered_account": None,
        }
    )


def _reference(doc: EhfDocument) -> tuple[ReferenceType, str | None]:
    if doc.kid:
        return ReferenceType.KID, doc.kid
    if doc.payment_message:
        return ReferenceType.MESSAGE, doc.payment_message
    return ReferenceType.INVOICE, doc.invoice_no[:140]


def _open_item(
    company_id: int, supplier_id: int, voucher_no: str, doc: EhfDocument, now: datetime
) -> dict[str, Any]:
    reference_type, reference = _reference(doc)
    return {
        "company_id": company_id,
        "supplier_id": supplier_id,
        "voucher_no": voucher_no,
        "invoice_no": doc.invoice_no,
        "account": domestic_account(doc.account) if doc.account else None,
        "amount": doc.payable_amount,
        "currency": doc.currency,
        "invoice_date": doc.issue_date,
        # Without a due date (credit notes, some invoices) the issue date: a person sees it due.
        "due_date": doc.due_date or doc.issue_date,
        "reference_type": reference_type.value,
        "reference": reference,
        "payee_name": doc.payee.name if doc.payee else None,
        "is_open": True,
        "imported_at": now,
    }


def _document_row(company_id: int, item_id: int, file: EhfFile, now: datetime) -> dict[str, Any]:
    doc = file.document
    return {
        "company_id": company_id,
        "open_item_id": item_id,
        "file_name": doc.source[-300:],
        "sha256": hashlib.sha256(file.data).hexdigest(),
        "profile": doc.profile.value,
        "customization_id": doc.customization_id[:300],
        "kind": doc.kind,
        "type_code": doc.type_code[:4],
        "seller_name": doc.seller.name,
        "seller_org_no": doc.seller.org_no,
        "payee_name": doc.payee.name if doc.payee else None,
        "payee_org_no": doc.payee.org_no if doc.payee else None,
        "bic": doc.bic,
        "account_kind": doc.account_kind,
        "summary": summary(doc),
        "warnings": [
            {"rule_id": w.rule_id, "text": w.text, "location": w.location} for w in file.warnings
        ],
        "document": file.data,
        "imported_at": now,
    }


def summary(doc: EhfDocument) -> dict[str, Any]:
    """What the details view shows of the document, as JSON."""
    return {
        "invoice_no": doc.invoice_no,
        "issue_date": doc.issue_date.isoformat(),
        "due_date": doc.due_date.isoformat() if doc.due_date else None,
        "currency": doc.currency,
        "payable_amount": str(doc.payable_amount),
        "account": doc.account,
        "payment_message": doc.payment_message,
        "note": doc.note,
        "lines": [
            {
                "description": line.description,
                "quantity": str(line.quantity) if line.quantity is not None else None,
                "unit": line.unit,
                "amount": str(line.amount),
            }
            for line in doc.lines
        ],
    }
