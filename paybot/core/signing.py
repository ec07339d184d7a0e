"""The rules of a signature: role, limits, approval, dual control, who changed the payment.

Dual control, as a finance team expects it:

- An *editor* is whoever changed a payment's account or reference since the last approval by
  someone else. A fix adds the fixer; an approval by someone who is not an editor clears the list
  (that person checked the change); an approval by an editor does not.
- Two different signers are needed when the account differs from the supplier's registered (or
  last paid-to) account, when the amount is above the company's dual-control threshold, or when
  the signer is an editor: no editor signs alone.
- The signatures must include someone who is not an editor. Two editors signing are not two
  independent people (each may have put in the change the other let through), so an editor may
  not add a signature when everyone who signed so far is an editor too; a third person, who did
  not change the payment, completes it.
- So a payment never becomes Due unless someone other than each of its editors signed it.

A signature belongs to the version of the payment its signer was shown: the signature round,
bumped by every fix, unsign and voided round (not by other people's signatures). A signer who
was shown an older round is told to look again (`check_seen`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from paybot.core.errors import (
    ConcurrentChange,
    LimitExceeded,
    MissingRate,
    NotPermitted,
    ValidationFailed,
)
from paybot.core.money import currency_exponent
from paybot.core.money import format_money as format_money  # English, as refusals are
from paybot.core.policy import Role
from paybot.core.states import PaymentStatus


class SecondSigner(StrEnum):
    """A rule that asks for a second signer, in the order they are named."""

    ACCOUNT_CHANGED = "account_changed"  # not the supplier's registered or last paid-to account
    ABOVE_THRESHOLD = "above_threshold"  # above the company's dual-control threshold
    OWN_CHANGE = "own_change"  # the signer changed the account or reference (an editor)


@dataclass(frozen=True)
class WhySecond:
    """Why a payment needs a second signer; no reasons: it does not."""

    reasons: tuple[SecondSigner, ...] = ()
    threshold: Decimal | None = None  # the company's, when ABOVE_THRESHOLD is a reason
    currency: str = ""

    def __bool__(self) -> bool:
        return bool(self.reasons)

    def sentence(self) -> str:
        """ "the account differs ...; and you changed the account or reference" (to the signer)."""
        parts = [self._part(reason) for reason in self.reasons]
        if len(parts) > 1:
            parts[-1] = f"and {parts[-1]}"
        return "; ".join(parts)

    def _part(self, reason: SecondSigner) -> str:
        if reason is SecondSigner.ABOVE_THRESHOLD and self.threshold is not None:
            limit = format_money(self.threshold, self.currency)
            return f"the amount is above the company's dual-control threshold of {limit}"
        return _REASON_TEXT[reason]

    def to_details(self) -> dict[str, Any]:
        """As an audit event keeps it."""
        return {
            "reasons": [reason.value for reason in self.reasons],
            "threshold": None if self.threshold is None else str(self.threshold),
            "currency": self.currency,
        }

    @classmethod
    def from_details(cls, details: object) -> WhySecond:
        """Read back from an audit event; whatever is not understood is left out."""
        if not isinstance(details, Mapping):
            return cls()
        known = {reason.value: reason for reason in SecondSigner}
        raw = details.get("reasons")
        reasons = tuple(known[r] for r in raw if r in known) if isinstance(raw, list) else ()
        try:
            threshold = Decimal(str(details["threshold"])) if details.get("threshold") else None
        except ArithmeticError:
            threshold = None
        return cls(reasons, threshold, str(details.get("currency") or ""))


_REASON_TEXT = {
    SecondSigner.ACCOUNT_CHANGED: (
        "the account differs from the supplier's registered account or the account it was last "
        "paid to"
    ),
    SecondSigner.ABOVE_THRESHOLD: "the amount is above the company's dual-control threshold",
    SecondSigner.OWN_CHANGE: "you changed the account or reference",
}


class ChangedSinceShown(ConcurrentChange):
    """The payment is not the version the signer was shown: nothing is signed."""

    code = "changed_since_shown"


@dataclass(frozen=True)
class SignerLimits:
    """None means no limit of that kind."""

    per_payment: Decimal | None = None
    per_day: Decimal | None = None


@dataclass(frozen=True)
class SignatureCase:
    """What a signature on one payment depends on, read inside the signing transaction."""

    payment_id: int
    status: PaymentStatus
    amount_company: Decimal
    company_currency: str
    approval_required: bool
    account_changed: bool
    dual_control_threshold: Decimal | None
    # Who changed the account or reference since the last approval by someone else.
    editors: frozenset[int]
    # Who signed the current round so far (standing signatures).
    signers: frozenset[int]


@dataclass(frozen=True)
class SignatureOutcome:
    required: int
    collected: int
    why: WhySecond = WhySecond()

    @property
    def complete(self) -> bool:
        return self.collected >= self.required


def in_company_currency(
    amount: Decimal, currency: str, company_currency: str, rate: Decimal | None
) -> Decimal:
    """The amount in the company's currency; never a guess when the rate is unknown."""
    exponent = currency_exponent(company_currency)
    step = Decimal(1).scaleb(-exponent)
    if currency == company_currency:
        return amount.quantize(step)
    if rate is None:
        raise MissingRate(
            f"There is no exchange rate for {currency} to {company_currency}; an admin sets one "
            f"with `paybot rates set {currency} RATE`. Nothing was signed."
        )
    return (amount * rate).quantize(step)


def second_signer(case: SignatureCase, signer: int) -> WhySecond:
    """The rules that ask for a second signer when `signer` signs; none: one signature does."""
    reasons: list[SecondSigner] = []
    if case.account_changed:
        reasons.append(SecondSigner.ACCOUNT_CHANGED)
    threshold = case.dual_control_threshold
    if threshold is not None and case.amount_company > threshold:
        reasons.append(SecondSigner.ABOVE_THRESHOLD)
    if signer in case.editors:
        reasons.append(SecondSigner.OWN_CHANGE)
    shown = None
    if threshold is not None and SecondSigner.ABOVE_THRESHOLD in reasons:
        shown = threshold.quantize(Decimal(1).scaleb(-currency_exponent(case.company_currency)))
    return WhySecond(tuple(reasons), shown, case.company_currency)


def required_signatures(case: SignatureCase, signer: int) -> int:
    """Two distinct signers for a changed account, a large amount, a signer who changed the
    payment, or a payment an editor has signed already; otherwise one."""
    editor_signed = not case.signers.isdisjoint(case.editors)
    return 2 if second_signer(case, signer) or editor_signed else 1


def only_editors(editors: Collection[int], signers: Collection[int], signer: int) -> bool:
    """True when `signer` would join a round signed so far only by editors, being one too: the
    signatures would not include anyone who did not change the payment."""
    return signer in editors and bool(signers) and all(s in editors for s in signers)


def editors_after_fix(editors: Iterable[int], fixer: int | None) -> tuple[int, ...]:
    """A fix adds the fixer (once, in the order people first changed it)."""
    kept = tuple(editors)
    return kept if fixer is None or fixer in kept else (*kept, fixer)


def editors_after_approval(editors: Iterable[int], approver: int | None) -> tuple[int, ...]:
    """An approval by someone who is not an editor clears the editors: they checked the change.
    An editor's approval checks nothing."""
    kept = tuple(editors)
    return kept if approver is None or approver in kept else ()


def check_seen(payment_id: int, shown: int | None, current: int) -> None:
    """`shown`: the signature round the signer was shown (None: not said, nothing to compare);
    `current`: the payment's round now."""
    if shown is not None and shown != current:
        raise ChangedSinceShown(f"Payment {payment_id} changed since you opened this — look again.")


def waits_for_approval(status: PaymentStatus, approval_required: bool) -> bool:
    """A proposal of a company that approves before signing: it cannot be signed yet."""
    return approval_required and status is PaymentStatus.PROPOSED


def check_signature(
    case: SignatureCase,
    *,
    signer: int,
    roles: Collection[Role],
    limits: SignerLimits,
    signed_today: Decimal,
) -> SignatureOutcome:
    """Raises the refusal a person understands, or says how many signatures the payment has."""
    who = f"payment {case.payment_id}"
    if Role.SIGNER not in roles:
        raise NotPermitted(f"You may not sign {who}: that needs the signer role.")
    if waits_for_approval(case.status, case.approval_required):
        raise ValidationFailed(
            {"payment": "needs approval first"},
            f"Payment {case.payment_id} must be approved before it is signed.",
        )
    why = second_signer(case, signer)
    if signer in case.signers:
        because = f" because {why.sentence()}" if why else ""
        raise NotPermitted(f"You have signed {who} already; it needs a second signer{because}.")
    if only_editors(case.editors, case.signers, signer):
        raise NotPermitted(
            f"Payment {case.payment_id} needs a signature from someone who did not change its "
            "account or reference: you changed it, and so did everyone who has signed it so far."
        )
    _check_limits(case, limits, signed_today)
    required = required_signatures(case, signer)
    return SignatureOutcome(required=required, collected=len(case.signers) + 1, why=why)


def _check_limits(case: SignatureCase, limits: SignerLimits, signed_today: Decimal) -> None:
    currency, amount = case.company_currency, case.amount_company
    if limits.per_payment is not None and amount > limits.per_payment:
        raise LimitExceeded(
            f"{format_money(amount, currency)} is above your limit of "
            f"{format_money(limits.per_payment, currency)} per payment (payment {case.payment_id})."
        )
    if limits.per_day is not None and signed_today + amount > limits.per_day:
        left = max(limits.per_day - signed_today, Decimal(0))
        raise LimitExceeded(
            f"Signing {format_money(amount, currency)} (payment {case.payment_id}) would take you "
            f"above your limit of {format_money(limits.per_day, currency)} per day; "
            f"{format_money(left, currency)} is left today."
        )
