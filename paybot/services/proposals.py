"""Proposals: open ledger items become payments, and every payment carries its flag."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from paybot.core.payments import Flag, PaymentView, Reason, flag_for, sorted_reasons
from paybot.core.policy import Actor
from paybot.core.states import PaymentStatus
from paybot.services.common import SYSTEM, audit, company_or_error
from paybot.store.uow import UnitOfWork

if TYPE_CHECKING:
    # The flags' rules and the banks' (with the identifier checks) are imported by the use cases
    # that flag payments, when they run: a list of payments needs neither.
    from paybot.core.flags import PaymentFacts, Reporting, SupplierFacts

# Flags matter while a person can still act on a payment; after signing they are history.
REFLAGGED = frozenset(
    {PaymentStatus.PROPOSED, PaymentStatus.APPROVED, PaymentStatus.FAILED, PaymentStatus.DELETED}
)

# (payment id or None for a new one, status, flag, reason codes, facts)
_Known: TypeAlias = "tuple[int | None, PaymentStatus, str, Sequence[str], PaymentFacts]"


@dataclass(frozen=True)
class RefreshResult:
    created: int
    reflagged: int
    flags: dict[Flag, int]


def refresh(
    uow: UnitOfWork, *, company_org_no: str, now: datetime, actor: Actor = SYSTEM
) -> RefreshResult:
    """Every open item not yet in the bank module becomes a proposal; all flags are renewed."""
    with _collector_paused(), uow:
        company = company_or_error(uow, company_org_no)
        created, reflagged = _propose_and_flag(uow, company.id, actor, now)
        audit(
            uow,
            actor=actor,
            action="proposals.refresh",
            now=now,
            company_id=company.id,
            details={"created": created, "reflagged": reflagged},
        )
        counts = uow.payments.flag_counts(company.id, PaymentStatus.PROPOSED)
        uow.commit()
    return RefreshResult(created=created, reflagged=reflagged, flags=counts)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a refresh runs.

    A refresh makes a few objects per open item (facts, flags, audit events) that all live until
    its commit, and none of them is in a cycle: the collector would walk them all again at each
    of its full passes, a tenth of the time at 100,000 items, more than in proportion. Only the
    caller that found it on turns it back on, so nested or concurrent refreshes leave it on.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _propose_and_flag(
    uow: UnitOfWork,
    company_id: int,
    actor: Actor,
    now: datetime,
    supplier_ids: frozenset[int] | None = None,
) -> tuple[int, int]:
    """Flags are computed before the new payments are written, so each row is written once.
    With `supplier_ids`, only those suppliers' items and payments: every flag is a matter of one
    supplier (its accounts, its credit notes, its duplicates), so theirs come out the same."""
    new_items = uow.ledger.items_without_payment(company_id)
    if supplier_ids is not None:
        new_items = [facts for facts in new_items if facts.supplier_key in supplier_ids]
    known: list[_Known] = list(uow.payments.facts(company_id, supplier_ids))
    known.extend([(None, PaymentStatus.PROPOSED, "", (), facts) for facts in new_items])
    suppliers = uow.ledger.supplier_facts(company_id, supplier_ids)
    flags = _flags(
        known, suppliers, _tax_accounts(uow, company_id), uow.rates.reporting(company_id)
    )
    created = uow.payments.add_proposals(
        company_id, {facts.key: flags[facts.key] for facts in new_items}, now
    )
    del new_items
    # One `after` for every event: it is only read (hashed, then stored), and the store turns a
    # value it meets again into JSON once.
    after = {"status": PaymentStatus.PROPOSED.value, "version": 1}
    uow.audit.add_many(
        [
            {
                "at": now,
                "company_id": company_id,
                "payment_id": payment_id,
                "actor_id": actor.user_id,
                "actor_label": actor.label,
                "action": "payment.propose",
                "before": None,
                "after": after,
                "details": {"open_item_id": item_id},
            }
            for item_id, payment_id in created.items()
        ]
    )
    return len(created), _store_changes(uow, known, flags)


def propose_new(
    uow: UnitOfWork, company_id: int, supplier_id: int, actor: Actor, now: datetime
) -> int:
    """Inside the caller's transaction: the supplier's open items not yet in the bank module
    become proposals, and the supplier's flags are renewed (a new invoice may make another a
    duplicate, a credit note flags the others). Returns how many proposals were made."""
    created, _ = _propose_and_flag(uow, company_id, actor, now, frozenset([supplier_id]))
    return created


def reflag(uow: UnitOfWork, company_id: int, supplier_ids: Iterable[int] | None = None) -> int:
    """Recomputes flags of the company's payments (or some suppliers'); returns how many changed."""
    supplier_ids = None if supplier_ids is None else set(supplier_ids)
    known: list[_Known] = list(uow.payments.facts(company_id, supplier_ids))
    suppliers = uow.ledger.supplier_facts(company_id, supplier_ids)
    flags = _flags(
        known, suppliers, _tax_accounts(uow, company_id), uow.rates.reporting(company_id)
    )
    return _store_changes(uow, known, flags)


def _tax_accounts(uow: UnitOfWork, company_id: int) -> frozenset[str]:
    """The company's tax-withholding accounts at a bank that does not support them (read from
    the bank accounts, not the unit of work's copy of the company: just changed, maybe)."""
    from paybot.core.banks import unsupported_tax_accounts

    return unsupported_tax_accounts(uow.bank.accounts(company_id))


def _flags(
    known: Sequence[_Known],
    suppliers: dict[int, SupplierFacts],
    tax_accounts: frozenset[str] = frozenset(),
    reporting: Reporting | None = None,
) -> dict[int, tuple[str, tuple[str, ...]]]:
    """(flag, reason codes) per open item, for the payments whose flags still matter;
    `tax_accounts`: payments to these accounts are red (TAX_ACCOUNT_UNSUPPORTED); `reporting`:
    the NOK rates and threshold the purpose of a payment abroad depends on (MISSING_PURPOSE)."""
    from paybot.core.flags import assess, duplicate_keys

    duplicates = duplicate_keys(facts for *_, facts in known)
    to_assess = [facts for _, status, _, _, facts in known if status in REFLAGGED]
    # A handful of distinct reason sets: each is turned into its flag and codes once.
    outcomes: dict[frozenset[Reason], tuple[str, tuple[str, ...]]] = {}
    flags: dict[int, tuple[str, tuple[str, ...]]] = {}
    assessed = assess(
        to_assess,
        suppliers,
        duplicates=duplicates,
        unsupported_tax_accounts=tax_accounts,
        reporting=reporting,
    )
    for key, found in assessed.items():
        reasons = frozenset(found)
        outcome = outcomes.get(reasons)
        if outcome is None:
            codes = tuple(reason.value for reason in sorted_reasons(found))
            outcome = outcomes[reasons] = (flag_for(found).value, codes)
        flags[key] = outcome
    return flags


def _store_changes(
    uow: UnitOfWork, known: Sequence[_Known], flags: dict[int, tuple[str, tuple[str, ...]]]
) -> int:
    changes: list[dict[str, Any]] = []
    for payment_id, _, flag, codes, facts in known:
        new = flags.get(facts.key)
        if payment_id is not None and new is not None and new != (flag, tuple(codes)):
            changes.append({"id": payment_id, "flag": new[0], "reasons": list(new[1])})
    uow.payments.set_flags(changes)
    return len(changes)


def list_payments(
    uow: UnitOfWork,
    *,
    company_org_no: str | None = None,
    statuses: Iterable[PaymentStatus] | None = None,
) -> list[PaymentView]:
    with uow:
        company_id = None if company_org_no is None else company_or_error(uow, company_org_no).id
        return uow.payment_lists.list(company_id=company_id, statuses=statuses)


def status_counts(uow: UnitOfWork, *, company_org_no: str) -> dict[PaymentStatus, int]:
    """How many payments the company has in each state."""
    with uow:
        return uow.payments.counts_by_status(company_or_error(uow, company_org_no).id)
