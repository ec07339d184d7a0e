"""What a person is about to sign, before they type a code: the payments they may sign now, the
total per currency, and the ones left out with the reason; for each payment abroad, what the
bank will be told and what it is worth in the company's currency. Read only; `signing.sign`
checks everything again when the code comes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from paybot.core.bank_profiles import GENERIC
from paybot.core.company import CompanyInfo
from paybot.core.errors import MissingRate, ValidationFailed
from paybot.core.payment_types import PaymentType, payment_type
from paybot.core.payments import Flag, PaymentView
from paybot.core.policy import Actor, Role
from paybot.core.signing import (
    SignerLimits,
    in_company_currency,
    only_editors,
    waits_for_approval,
)
from paybot.core.states import Action, PaymentStatus, allowed_actions
from paybot.services.common import ActorRef, company_or_error, roles_of
from paybot.services.payments import load_payment, payment_facts, red_reasons

# A preview offers no more than one code signs; the rest are left out as TOO_MANY.
from paybot.services.signing import MAX_AT_ONCE as MAX_AT_ONCE
from paybot.store.uow import UnitOfWork


class Blocker(StrEnum):
    """Why a person cannot sign anything at all."""

    NO_ROLE = "no_role"  # unknown to paybot, or no signer role in the company
    NOT_ENROLLED = "not_enrolled"  # no confirmed one-time-code device
    LOCKED = "locked"  # too many wrong codes in a row


class Skip(StrEnum):
    """Why one payment is left out of what a person may sign now."""

    NOT_SIGNABLE = "not_signable"  # its state does not allow a signature
    MAY_HAVE_LEFT = "may_have_left"  # no answer from the bank: check the netbank first
    INCOMPLETE = "incomplete"  # red: something is missing
    NEEDS_APPROVAL = "needs_approval"  # the company approves before signing
    SIGNED_ALREADY = "signed_already"  # this person's signature is there; a second one waits
    # This person changed it, and so did everyone who signed it so far: it needs someone who
    # did not change it.
    ONLY_EDITORS = "only_editors"
    ABOVE_LIMIT = "above_limit"  # above the person's per-payment limit
    NO_RATE = "no_rate"  # no exchange rate to check the limit with
    TOO_MANY = "too_many"  # beyond MAX_AT_ONCE; the next round takes it


@dataclass(frozen=True)
class LeftOut:
    payment: PaymentView
    why: Skip


@dataclass(frozen=True)
class DatedRate:
    """Units of the company's currency for one unit of another, as set from `valid_from` on."""

    rate: Decimal
    valid_from: date


@dataclass(frozen=True)
class Abroad:
    """What the Sign modal says of a payment abroad (SEPA or cross-border) beyond its summary;
    the payee's country, BIC, purpose and urgency are its PaymentView's."""

    kind: PaymentType
    # As the payment file will say it: SLEV for SEPA, the payer's choice or SHAR otherwise.
    charge_bearer: str
    # In another currency than the company's: its value there at `rate`, the rate its limit was
    # checked with (both None: there is no rate). In the company's currency: both None.
    in_company: Decimal | None = None
    rate: DatedRate | None = None


@dataclass(frozen=True)
class Preview:
    company: CompanyInfo
    payments: list[PaymentView]  # those the person may sign now
    totals: dict[str, Decimal]  # of those, per currency
    left_out: list[LeftOut] = field(default_factory=list)
    blocker: Blocker | None = None
    locked_until: datetime | None = None
    limits: SignerLimits = SignerLimits()
    total_company: Decimal = Decimal(0)  # of those, in the company's currency
    # What the per-day limit leaves today (None: no per-day limit).
    left_today: Decimal | None = None
    # Of the payments to sign, those abroad by id (domestic ones are not here).
    abroad: dict[int, Abroad] = field(default_factory=dict)

    @property
    def above_day_limit(self) -> bool:
        """Signing all of them would go above what the daily limit leaves: sign() refuses."""
        return self.left_today is not None and self.total_company > self.left_today

    def left_out_for(self, why: Skip) -> list[PaymentView]:
        return [item.payment for item in self.left_out if item.why is why]


def blue_to_sign(
    uow: UnitOfWork, *, actor: ActorRef, company_org_no: str, now: datetime, zone: ZoneInfo
) -> Preview:
    """The company's blue proposals and approved payments that this person may sign with one
    code now, oldest due date first (at most MAX_AT_ONCE); the rest left out, with why."""
    with uow:
        company = company_or_error(uow, company_org_no)
        candidates = [
            payment
            for payment in uow.payments.list(
                company_id=company.id,
                statuses=[PaymentStatus.PROPOSED, PaymentStatus.APPROVED],
            )
            if payment.flag is Flag.BLUE
        ]
        return _preview(uow, actor, company, candidates, now, limit=MAX_AT_ONCE, zone=zone)


def to_sign(
    uow: UnitOfWork, *, actor: ActorRef, payment_ids: Sequence[int], now: datetime, zone: ZoneInfo
) -> Preview:
    """The given payments (of one company) as the Sign modal shows them before the code."""
    ids = list(dict.fromkeys(payment_ids))
    if not ids:
        raise ValidationFailed({"payment": "give at least one payment id"})
    with uow:
        found = [load_payment(uow, payment_id) for payment_id in ids]
        company = found[0][1]
        if any(other.id != company.id for _, other in found):
            raise ValidationFailed(
                {"payment": "one company at a time"},
                "Payments of different companies are signed one company at a time.",
            )
        candidates = [payment for payment, _ in found]
        return _preview(uow, actor, company, candidates, now, limit=MAX_AT_ONCE, zone=zone)


def _preview(
    uow: UnitOfWork,
    actor: ActorRef,
    company: CompanyInfo,
    candidates: Iterable[PaymentView],
    now: datetime,
    *,
    limit: int | None = None,
    zone: ZoneInfo,
) -> Preview:
    candidates = list(candidates)
    who = _person(uow, actor)
    if who is None or Role.SIGNER not in roles_of(uow, who, company.id):
        return Preview(company, [], {}, blocker=Blocker.NO_ROLE)
    assert who.user_id is not None
    device = uow.otp.get(who.user_id)
    if device is None or not device[1].active:
        return Preview(company, [], {}, blocker=Blocker.NOT_ENROLLED)
    if device[1].is_locked(now):
        return Preview(company, [], {}, blocker=Blocker.LOCKED, locked_until=device[1].locked_until)
    limits = uow.limits.get(who.user_id, company.id)
    today = now.astimezone(zone).date()
    rates = _rates_on(uow, candidates, company.currency, today)
    chosen: list[PaymentView] = []
    left_out: list[LeftOut] = []
    abroad: dict[int, Abroad] = {}
    total_company = Decimal(0)
    for payment in candidates:
        why, amount = _why_not(uow, who.user_id, company, payment, limits, rates)
        if why is None and limit is not None and len(chosen) >= limit:
            why = Skip.TOO_MANY
        if why is not None:
            left_out.append(LeftOut(payment, why))
            continue
        chosen.append(payment)
        total_company += amount
        found = _abroad(payment, company, rates.get(payment.currency), amount)
        if found is not None:
            abroad[payment.id] = found
    totals: dict[str, Decimal] = {}
    for payment in chosen:
        totals[payment.currency] = totals.get(payment.currency, Decimal(0)) + payment.amount
    left_today = None
    if limits.per_day is not None:
        start = datetime.combine(today, time(0), tzinfo=zone)
        signed = uow.signatures.total_since(
            who.user_id, company.id, start, start + timedelta(days=1)
        )
        left_today = max(limits.per_day - signed, Decimal(0))
    return Preview(
        company,
        chosen,
        totals,
        left_out=left_out,
        limits=limits,
        total_company=total_company,
        left_today=left_today,
        abroad=abroad,
    )


def _rates_on(
    uow: UnitOfWork, payments: Sequence[PaymentView], company_currency: str, day: date
) -> dict[str, DatedRate | None]:
    """The rate in force on `day` of each other currency of these payments to the company's (the
    rule `signing.sign` checks limits by), with the date it was set from; None where none was
    set by then."""
    found: dict[str, DatedRate | None] = {}
    for currency in {p.currency for p in payments if p.currency != company_currency}:
        dated = uow.rates.dated_on(currency, company_currency, day)
        found[currency] = None if dated is None else DatedRate(*dated)
    return found


def _abroad(
    payment: PaymentView, company: CompanyInfo, rate: DatedRate | None, amount: Decimal
) -> Abroad | None:
    """What the Sign modal says of the payment if it is abroad (`amount`: its value in the
    company's currency, as its limit was checked at `rate`); None for a domestic one."""
    details = payment.payee_details
    kind = payment_type(payment.account, payment.currency, details.country)
    if kind is PaymentType.DOMESTIC:
        return None
    try:  # SEPA and cross-border payments are charged alike at every bank
        bearer = GENERIC.charge_bearer(kind, details.charge_bearer).value
    except ValueError:  # not one a payment abroad takes: shown as it is, refused at dispatch
        bearer = str(details.charge_bearer)
    if payment.currency == company.currency or rate is None:
        return Abroad(kind, bearer)
    return Abroad(kind, bearer, in_company=amount, rate=rate)


def _person(uow: UnitOfWork, ref: ActorRef) -> Actor | None:
    matches = uow.users.find(ref.slack_user_id, ref.slack_team_id)
    if len(matches) != 1:
        return None
    user_id, name = matches[0]
    return Actor(user_id=user_id, label=f"{name} ({ref.slack_user_id})")


def _why_not(
    uow: UnitOfWork,
    user_id: int,
    company: CompanyInfo,
    payment: PaymentView,
    limits: SignerLimits,
    rates: dict[str, DatedRate | None],
) -> tuple[Skip | None, Decimal]:
    """The reason this person may not sign the payment now (None: they may), and its amount in
    the company's currency. The same rules as `signing.sign`, in the order it checks them."""
    if Action.SIGN not in allowed_actions(payment.status):
        return Skip.NOT_SIGNABLE, Decimal(0)
    if payment.failure_kind == "no_return":
        return Skip.MAY_HAVE_LEFT, Decimal(0)
    if red_reasons(payment, payment_facts(payment)):
        return Skip.INCOMPLETE, Decimal(0)
    if waits_for_approval(payment.status, company.approval_required):
        return Skip.NEEDS_APPROVAL, Decimal(0)
    signers = uow.signatures.signers(payment.id, payment.signature_round)
    if user_id in signers:
        return Skip.SIGNED_ALREADY, Decimal(0)
    if only_editors(payment.editors, signers, user_id):
        return Skip.ONLY_EDITORS, Decimal(0)
    rate = rates.get(payment.currency)
    try:
        amount = in_company_currency(
            payment.amount, payment.currency, company.currency, None if rate is None else rate.rate
        )
    except MissingRate:
        return Skip.NO_RATE, Decimal(0)
    if limits.per_payment is not None and amount > limits.per_payment:
        return Skip.ABOVE_LIMIT, amount
    return None, amount
