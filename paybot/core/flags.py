"""Blue, orange or red: what a payment lacks, and what should make a person look twice."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from paybot.core.bankfiles.pain001 import clean_text
from paybot.core.identifiers import account_problem, compact_account, kid_problem
from paybot.core.money import is_iso_currency
from paybot.core.payments import Reason, ReferenceType


@dataclass(frozen=True)
class PaymentFacts:
    """What a flag depends on, for one payment (or ledger item) of a supplier."""

    key: int
    supplier_key: int
    account: str | None
    amount: Decimal
    currency: str
    reference_type: ReferenceType
    reference: str | None
    invoice_no: str | None
    # Duplicates are looked for among active and paid payments, not deleted ones.
    counts_for_duplicates: bool = True


@dataclass(frozen=True)
class SupplierFacts:
    registered_account: str | None = None
    last_paid_account: str | None = None
    # Keys of the supplier's open ledger items with a negative amount.
    open_credit_keys: frozenset[int] = frozenset()


def completeness_reasons(facts: PaymentFacts) -> set[Reason]:
    """The red reasons: what must be fixed before the payment can be approved or signed."""
    reasons: set[Reason] = set()
    if not facts.account:
        reasons.add(Reason.MISSING_ACCOUNT)
    elif account_problem(facts.account):
        reasons.add(Reason.INVALID_ACCOUNT)
    if facts.amount <= 0:
        reasons.add(Reason.NON_POSITIVE_AMOUNT)
    # A reference with nothing a bank accepts (e.g. "€€€") is as good as none.
    if facts.reference_type is ReferenceType.EMPTY or not clean_text(facts.reference or "", 140):
        reasons.add(Reason.MISSING_REFERENCE)
    elif facts.reference_type is ReferenceType.KID and kid_problem(facts.reference or ""):
        reasons.add(Reason.INVALID_KID)
    if not is_iso_currency(facts.currency):
        reasons.add(Reason.UNSUPPORTED_CURRENCY)
    return reasons


def account_changed(facts: PaymentFacts, supplier: SupplierFacts) -> bool:
    if not facts.account:
        return False
    account = compact_account(facts.account)
    known = (supplier.registered_account, supplier.last_paid_account)
    return any(other and compact_account(other) != account for other in known)


def duplicate_keys(payments: Iterable[PaymentFacts]) -> set[int]:
    """Keys of payments that share a supplier and an invoice no, or an amount and a KID."""
    groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for facts in payments:
        if not facts.counts_for_duplicates or facts.amount <= 0:
            continue
        if facts.invoice_no:
            groups[("invoice", facts.supplier_key, facts.invoice_no.strip())].append(facts.key)
        if facts.reference_type is ReferenceType.KID and facts.reference:
            groups[("kid", facts.supplier_key, facts.amount, facts.reference)].append(facts.key)
    return {key for keys in groups.values() if len(keys) > 1 for key in keys}


def assess(
    payments: Iterable[PaymentFacts],
    suppliers: Mapping[int, SupplierFacts],
    *,
    duplicates: set[int] | None = None,
) -> dict[int, set[Reason]]:
    """Every reason that applies to each payment; `flag_for` turns a set into its colour.

    `duplicates` may be computed over a wider set than `payments` (e.g. including paid ones).
    """
    payments = list(payments)
    if duplicates is None:
        duplicates = duplicate_keys(payments)
    result: dict[int, set[Reason]] = {}
    for facts in payments:
        supplier = suppliers.get(facts.supplier_key, SupplierFacts())
        reasons = completeness_reasons(facts)
        if supplier.open_credit_keys - {facts.key}:
            reasons.add(Reason.OPEN_CREDIT_ITEMS)
        if account_changed(facts, supplier):
            reasons.add(Reason.ACCOUNT_CHANGED)
        if facts.key in duplicates:
            reasons.add(Reason.POSSIBLE_DUPLICATE)
        result[facts.key] = reasons
    return result
