"""Blue, orange or red: what a payment lacks, and what should make a person look twice."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from paybot.core.company import REPORTING_THRESHOLD_NOK
from paybot.core.identifiers import (
    account_problem,
    compact_account,
    is_bic,
    is_country,
    is_foreign_account,
    kid_problem,
)
from paybot.core.money import is_iso_currency
from paybot.core.payment_types import PaymentType, is_abroad, needs_purpose, payment_type
from paybot.core.payments import NO_PAYEE_DETAILS, PayeeDetails, Reason, ReferenceType

if TYPE_CHECKING:
    from paybot.core.bankfiles.pain001 import WrittenText


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
    # The payee's address, BIC and purpose: the payment's own, or for an open item not yet in
    # the bank module its supplier's (a new payment copies them).
    payee: PayeeDetails = NO_PAYEE_DETAILS
    # The name the payment file names the payee by; None: not known here (not checked).
    payee_name: str | None = None


@dataclass(frozen=True)
class Reporting:
    """What the Currency Register's purpose rule needs besides the payment: the newest rate of
    each currency to NOK, and the company's reporting threshold (NOK)."""

    nok_rates: Mapping[str, Decimal] = field(default_factory=dict)  # currency -> NOK per unit
    threshold: Decimal = REPORTING_THRESHOLD_NOK

    def amount_nok(self, amount: Decimal, currency: str) -> Decimal | None:
        """The amount in NOK; None when no rate to NOK is known for `currency`."""
        if currency == "NOK":
            return amount
        rate = self.nok_rates.get(currency)
        return None if rate is None else amount * rate


@dataclass(frozen=True)
class SupplierFacts:
    registered_account: str | None = None
    last_paid_account: str | None = None
    # Keys of the supplier's open ledger items with a negative amount.
    open_credit_keys: frozenset[int] = frozenset()


def completeness_reasons(
    facts: PaymentFacts,
    *,
    unsupported_tax_accounts: frozenset[str] = frozenset(),
    reporting: Reporting | None = None,
) -> set[Reason]:
    """The red reasons: what must be fixed before the payment can be approved or signed.

    Args:
        facts: The payment, with its payee's details (`facts.payee`).
        unsupported_tax_accounts: The company's tax-withholding accounts (compact numbers) at a
            bank that does not support tax-withholding accounts
            (core.banks.unsupported_tax_accounts).
        reporting: The NOK rates and the company's threshold, for the purpose rule
            (MISSING_PURPOSE). Without them that rule is not checked here: a caller with no
            rates at hand leaves it to the flag stored with them.
    """
    written = _as_written()
    kind = _payment_type(facts.account, facts.currency, facts.payee.country)
    reasons: set[Reason] = set()
    if not facts.account:
        reasons.add(Reason.MISSING_ACCOUNT)
    elif account_problem(facts.account, facts.payee.country):
        reasons.add(Reason.INVALID_ACCOUNT)
    elif unsupported_tax_accounts and compact_account(facts.account) in unsupported_tax_accounts:
        reasons.add(Reason.TAX_ACCOUNT_UNSUPPORTED)
    if facts.amount <= 0:
        reasons.add(Reason.NON_POSITIVE_AMOUNT)
    # A reference with nothing a bank accepts (e.g. "€€€") is as good as none. Texts are judged
    # as the payment file writes them for the payment's type (abroad: SEPA's and SWIFT's set).
    if facts.reference_type is ReferenceType.EMPTY or not written(facts.reference or "", kind).text:
        reasons.add(Reason.MISSING_REFERENCE)
    elif facts.reference_type is ReferenceType.KID and kid_problem(facts.reference or ""):
        reasons.add(Reason.INVALID_KID)
    # A name of only Cyrillic letters, say, leaves nothing to name the payee by in the file.
    if facts.payee_name is not None and not _name_has_words(facts.payee_name, kind):
        reasons.add(Reason.INVALID_NAME)
    if not is_iso_currency(facts.currency):
        # Which kind of payment it is depends on the currency: the rules abroad wait for it.
        reasons.add(Reason.UNSUPPORTED_CURRENCY)
    else:
        _add_abroad_reasons(reasons, facts, kind, reporting)
    return reasons


def _add_abroad_reasons(
    reasons: set[Reason], facts: PaymentFacts, kind: PaymentType, reporting: Reporting | None
) -> None:
    """A payment abroad (not domestic, to an account outside Norway) needs the payee's town and
    country; to a foreign account that is not an IBAN, the payee's bank's BIC; above the
    reporting threshold, or with no rate to NOK, a purpose of Norges Bank's list and a short
    text. A town or purpose text with no letter or digit the payment file keeps is missing."""
    payee = facts.payee
    if kind is PaymentType.DOMESTIC or not is_abroad(facts.account, payee.country):
        return
    if not (payee.country and is_country(payee.country)) or not _has_words(payee.town):
        reasons.add(Reason.MISSING_ADDRESS)
    if (
        facts.account
        and is_foreign_account(facts.account, payee.country)
        and not (payee.bic and is_bic(payee.bic))
    ):
        reasons.add(Reason.MISSING_BIC)
    if reporting is not None:
        amount_nok = reporting.amount_nok(facts.amount, facts.currency)
        if needs_purpose(kind, amount_nok, reporting.threshold) and (
            _purpose_problem()(payee.purpose_code, payee.purpose_text)
            or not _has_words(payee.purpose_text)
        ):
            reasons.add(Reason.MISSING_PURPOSE)


# A ledger has far fewer distinct accounts than items: each (account, currency, country) once.
_payment_type = lru_cache(maxsize=65536)(payment_type)


@lru_cache(maxsize=65536)  # a ledger has far fewer payees than items
def _name_has_words(name: str, kind: PaymentType) -> bool:
    return _as_written()(name, kind).has_words


def _has_words(text: str | None) -> bool:
    """A payee's detail holds a letter or digit a payment abroad carries."""
    return bool(text) and _as_written()(text or "").has_words


@cache
def _purpose_problem() -> Callable[[str | None, str | None], str | None]:
    """core.purpose_codes' check, loaded on first use: its list is read only when a payment
    abroad needs a purpose."""
    from paybot.core.purpose_codes import purpose_problem

    return purpose_problem


@cache
def _as_written() -> Callable[..., WrittenText]:
    """What pain.001 makes of a text (core.bankfiles.pain001.as_written), loaded on first use
    (and then kept: an import statement in a function called per payment costs microseconds a
    call): the pain.001 writer loads lxml, which listing payments does not need."""
    from paybot.core.bankfiles.pain001 import as_written

    return as_written


def account_changed(facts: PaymentFacts, supplier: SupplierFacts) -> bool:
    """The payment goes to another account than the supplier's registered or last paid-to one."""
    if not facts.account:
        return False
    account = compact_account(facts.account)
    return any(other != account for other in _known_accounts(supplier))


def duplicate_groups(facts: PaymentFacts) -> tuple[tuple[object, ...], ...]:
    """The groups of look-alikes a payment falls in: its supplier's invoice no (stripped), and
    its supplier's amount and KID. None for a payment that does not count (deleted) or has no
    positive amount: nothing is a duplicate of it. The one rule of `duplicate_keys` and
    `duplicate_partners`, so a flag and the payments it names always agree."""
    if not facts.counts_for_duplicates or facts.amount <= 0:
        return ()
    invoice_no, reference = facts.invoice_no, facts.reference
    by_kid = reference if facts.reference_type is ReferenceType.KID else None
    if invoice_no and by_kid:
        return (
            ("invoice", facts.supplier_key, invoice_no.strip()),
            ("kid", facts.supplier_key, facts.amount, by_kid),
        )
    if invoice_no:
        return (("invoice", facts.supplier_key, invoice_no.strip()),)
    if by_kid:
        return (("kid", facts.supplier_key, facts.amount, by_kid),)
    return ()


def duplicate_keys(payments: Iterable[PaymentFacts]) -> set[int]:
    """Keys of payments that share a supplier and an invoice no, or an amount and a KID."""
    first: dict[tuple[object, ...], int] = {}  # group -> the key of its first payment
    duplicates: set[int] = set()
    groups_of = duplicate_groups  # a local name: looked up once, not once per payment
    for facts in payments:
        for group in groups_of(facts):
            seen = first.get(group)
            if seen is None:
                first[group] = facts.key
            else:
                duplicates.add(seen)
                duplicates.add(facts.key)
    return duplicates


def duplicate_partners(target: PaymentFacts, candidates: Iterable[PaymentFacts]) -> list[int]:
    """Keys of the candidates `target` looks like (shares a group of `duplicate_groups` with),
    in the candidates' order; `target` itself (by key) is never among them.

    Among a set of payments, a payment is in `duplicate_keys` exactly when its partners there
    are not none: with this, a payment flagged POSSIBLE_DUPLICATE can say which ones it looks
    like.
    """
    groups = set(duplicate_groups(target))
    if not groups:
        return []
    return [
        other.key
        for other in candidates
        if other.key != target.key and not groups.isdisjoint(duplicate_groups(other))
    ]


def assess(
    payments: Iterable[PaymentFacts],
    suppliers: Mapping[int, SupplierFacts],
    *,
    duplicates: set[int] | None = None,
    unsupported_tax_accounts: frozenset[str] = frozenset(),
    reporting: Reporting | None = None,
) -> dict[int, set[Reason]]:
    """Every reason that applies to each payment; `flag_for` turns a set into its colour.

    `duplicates` may be computed over a wider set than `payments` (e.g. including paid ones);
    `unsupported_tax_accounts` and `reporting` as `completeness_reasons` takes them.
    """
    payments = list(payments)
    if duplicates is None:
        duplicates = duplicate_keys(payments)
    result: dict[int, set[Reason]] = {}
    nobody = SupplierFacts()
    # A ledger has far fewer suppliers and accounts than items: each supplier's known accounts
    # and each item account are compacted once, not once per item (as account_changed does).
    known: dict[int, tuple[str, ...]] = {}
    compacted: dict[str, str] = {}
    for facts in payments:
        supplier = suppliers.get(facts.supplier_key, nobody)
        reasons = completeness_reasons(
            facts, unsupported_tax_accounts=unsupported_tax_accounts, reporting=reporting
        )
        credits = supplier.open_credit_keys
        if credits and (len(credits) > 1 or facts.key not in credits):  # credits - {key}, uncopied
            reasons.add(Reason.OPEN_CREDIT_ITEMS)
        if facts.account:
            others = known.get(facts.supplier_key)
            if others is None:
                others = known[facts.supplier_key] = _known_accounts(supplier)
            if others:
                account = compacted.get(facts.account)
                if account is None:
                    account = compacted[facts.account] = compact_account(facts.account)
                if any(other != account for other in others):
                    reasons.add(Reason.ACCOUNT_CHANGED)
        if facts.key in duplicates:
            reasons.add(Reason.POSSIBLE_DUPLICATE)
        result[facts.key] = reasons
    return result


def _known_accounts(supplier: SupplierFacts) -> tuple[str, ...]:
    """The supplier's registered and last paid-to accounts that are set, compacted."""
    known = (supplier.registered_account, supplier.last_paid_account)
    return tuple(compact_account(other) for other in known if other)
