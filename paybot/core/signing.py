"""The rules of a signature: role, limits, approval, dual control, who changed the payment."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from paybot.core.errors import LimitExceeded, MissingRate, NotPermitted, ValidationFailed
from paybot.core.money import currency_exponent
from paybot.core.policy import Role
from paybot.core.states import PaymentStatus


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
    changed_by: int | None
    signers: frozenset[int]


@dataclass(frozen=True)
class SignatureOutcome:
    required: int
    collected: int

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


def format_money(amount: Decimal, currency: str) -> str:
    """'NOK 250 000,00': the form refusals use."""
    exponent = currency_exponent(currency)
    text = f"{amount:,.{exponent}f}".replace(",", " ").replace(".", ",")
    return f"{currency} {text}"


def required_signatures(case: SignatureCase, signer: int) -> int:
    """Two distinct signers for a changed account, a large amount, or a signer who changed it."""
    above_threshold = (
        case.dual_control_threshold is not None
        and case.amount_company > case.dual_control_threshold
    )
    own_change = case.changed_by == signer
    return 2 if case.account_changed or above_threshold or own_change else 1


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
    if case.approval_required and case.status is PaymentStatus.PROPOSED:
        raise ValidationFailed(
            {"payment": "needs approval first"},
            f"Payment {case.payment_id} must be approved before it is signed.",
        )
    if signer in case.signers:
        raise NotPermitted(
            f"You have signed {who} already; it needs a signature from someone else."
        )
    _check_limits(case, limits, signed_today)
    required = required_signatures(case, signer)
    return SignatureOutcome(required=required, collected=len(case.signers) + 1)


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
