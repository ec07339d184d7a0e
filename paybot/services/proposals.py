"""Proposals: open ledger items become payments, and every payment carries its flag."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from paybot.core.flags import PaymentFacts, SupplierFacts, assess, duplicate_keys
from paybot.core.payments import Flag, PaymentView, flag_for, sorted_reasons
from paybot.core.policy import Actor
from paybot.core.states import PaymentStatus
from paybot.services.common import SYSTEM, audit, company_or_error
from paybot.store.uow import UnitOfWork

# Flags matter while a person can still act on a payment; after signing they are history.
REFLAGGED = frozenset(
    {PaymentStatus.PROPOSED, PaymentStatus.APPROVED, PaymentStatus.FAILED, PaymentStatus.DELETED}
)


@dataclass(frozen=True)
class RefreshResult:
    created: int
    reflagged: int
    flags: dict[Flag, int]


def refresh(
    uow: UnitOfWork, *, company_org_no: str, now: datetime, actor: Actor = SYSTEM
) -> RefreshResult:
    """Every open item not yet in the bank module becomes a proposal; all flags are renewed."""
    with uow:
        company = company_or_error(uow, company_org_no)
        new_items = uow.ledger.items_without_payment(company.id)
        new_rows = [
            {
                **item,
                "company_id": company.id,
                "status": PaymentStatus.PROPOSED.value,
                "flag": Flag.BLUE.value,
                "reasons": [],
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for item in new_items
        ]
        for row in new_rows:
            del row["invoice_no"]
        created = uow.payments.add_many(new_rows)
        audit_rows = [
            {
                "at": now,
                "company_id": company.id,
                "payment_id": payment_id,
                "actor_id": actor.user_id,
                "actor_label": actor.label,
                "action": "payment.propose",
                "before": None,
                "after": {"status": PaymentStatus.PROPOSED.value, "version": 1},
                "details": {"open_item_id": item_id},
            }
            for item_id, payment_id in created.items()
        ]
        uow.audit.add_many(audit_rows)
        reflagged = reflag(uow, company.id)
        counts = uow.payments.flag_counts(company.id, PaymentStatus.PROPOSED)
        audit(
            uow,
            actor=actor,
            action="proposals.refresh",
            now=now,
            company_id=company.id,
            details={"created": len(created), "reflagged": reflagged},
        )
        uow.commit()
    return RefreshResult(created=len(created), reflagged=reflagged, flags=counts)


def reflag(uow: UnitOfWork, company_id: int, supplier_ids: Iterable[int] | None = None) -> int:
    """Recomputes flags of the company's payments (or some suppliers'); returns how many changed."""
    supplier_ids = None if supplier_ids is None else set(supplier_ids)
    payments = uow.payments.facts(company_id, supplier_ids)
    suppliers: dict[int, SupplierFacts] = uow.ledger.supplier_facts(company_id, supplier_ids)
    duplicates = duplicate_keys(facts for *_, facts in payments)
    to_assess: list[PaymentFacts] = [
        facts for _, status, _, _, facts in payments if status in REFLAGGED
    ]
    reasons = assess(to_assess, suppliers, duplicates=duplicates)
    changes: list[dict[str, Any]] = []
    for payment_id, status, flag, codes, facts in payments:
        if status not in REFLAGGED:
            continue
        found = reasons[facts.key]
        new_codes = [reason.value for reason in sorted_reasons(found)]
        new_flag = flag_for(found).value
        if new_flag != flag or new_codes != codes:
            changes.append({"id": payment_id, "flag": new_flag, "reasons": new_codes})
    uow.payments.set_flags(changes)
    return len(changes)


def list_payments(
    uow: UnitOfWork,
    *,
    company_org_no: str | None = None,
    statuses: Iterable[PaymentStatus] | None = None,
) -> list[PaymentView]:
    with uow:
        company_id = None
        if company_org_no is not None:
            company_id = company_or_error(uow, company_org_no).id
        return uow.payments.list(company_id=company_id, statuses=statuses)
