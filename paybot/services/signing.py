"""Signing payments with a one-time code: all or none, within limits, under dual control."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from paybot.core.company import CompanyInfo
from paybot.core.errors import (
    ConcurrentChange,
    InvalidOtp,
    InvalidTransition,
    NotPermitted,
    OtpLocked,
    PaybotError,
    ValidationFailed,
)
from paybot.core.flags import SupplierFacts, account_changed
from paybot.core.payments import PaymentView
from paybot.core.policy import Actor, Role
from paybot.core.signing import (
    SignatureCase,
    SignatureOutcome,
    SignerLimits,
    WhySecond,
    check_seen,
    check_signature,
    in_company_currency,
)
from paybot.core.states import Action, next_status
from paybot.services.common import ActorRef, record_refusal, resolve_actor, roles_of
from paybot.services.otp import use_code
from paybot.services.payments import check_complete, load_payment, payment_facts, write_step
from paybot.services.secrets import SecretBox
from paybot.store.signing import SigningFacts
from paybot.store.uow import UnitOfWork

# Payments one code signs at most. The Sign modal carries the ids (and the version of each it
# showed) in its private_metadata, 3000 characters; and one code should not sign an unbounded
# batch, whatever a submission claims.
MAX_AT_ONCE = 200


@dataclass(frozen=True)
class Signed:
    payment: PaymentView
    signatures: int
    required: int
    # Why a second signer is needed (said to this signer); empty when none is.
    why: WhySecond = WhySecond()

    @property
    def complete(self) -> bool:
        return self.signatures >= self.required


def sign(
    uow: UnitOfWork,
    box: SecretBox,
    *,
    actor: ActorRef,
    payment_ids: Sequence[int],
    code: str,
    now: datetime,
    zone: ZoneInfo,
    versions: Mapping[int, int] | None = None,
) -> list[Signed]:
    """One code signs several payments: all of them, or (with the reason) none.

    `versions`: per payment, the signature round the signer was shown. If any payment is at
    another round now, nothing is signed and the code is not used (ChangedSinceShown). A version
    only narrows what is signed; it never gives a right. Payments without one are not compared.
    """
    ids = list(dict.fromkeys(payment_ids))
    if not ids:
        raise ValidationFailed({"payment": "give at least one payment id"})
    if len(ids) > MAX_AT_ONCE:
        error = ValidationFailed(
            {"payment": f"at most {MAX_AT_ONCE} at once"},
            f"One code signs at most {MAX_AT_ONCE} payments; {len(ids)} were given. Nothing was "
            "signed: sign them in smaller groups.",
        )
        record_refusal(uow, actor=actor, action="sign", payment_ids=[], error=error, now=now)
        raise error
    try:
        return _sign_all(uow, box, actor, ids, code, now, zone, versions or {})
    except (InvalidOtp, OtpLocked):
        raise  # recorded where the code was checked
    except PaybotError as error:
        record_refusal(uow, actor=actor, action="sign", payment_ids=ids, error=error, now=now)
        raise


def _sign_all(
    uow: UnitOfWork,
    box: SecretBox,
    actor: ActorRef,
    ids: list[int],
    code: str,
    now: datetime,
    zone: ZoneInfo,
    versions: Mapping[int, int],
) -> list[Signed]:
    with uow:
        who = resolve_actor(uow, actor)
        # Locked until the commit, in id order (two signers never wait on each other in a
        # ring): a signer racing us waits here, then sees our signature.
        loaded = {pid: load_payment(uow, pid, lock=True) for pid in sorted(ids)}
        roles: dict[int, set[Role]] = {}
        for _, company in loaded.values():  # a person without the role hears that, not about codes
            if company.id not in roles:
                roles[company.id] = roles_of(uow, who, company.id)
            if Role.SIGNER not in roles[company.id]:
                raise NotPermitted(
                    f"{who.label} may not sign payments in {company.name}: that needs the signer "
                    "role."
                )
        for payment_id in ids:  # before the code: a refusal here leaves the code unused
            check_seen(payment_id, versions.get(payment_id), loaded[payment_id][0].signature_round)
        use_code(uow, box, who, code, now)
        assert who.user_id is not None
        start, end = _business_day(now, zone)
        # Each company's limits locked (serializing this signer's signatures there, so a daily
        # limit holds under races) before what they signed today is read with the rest.
        limits: dict[int, SignerLimits] = {}
        for _, company in loaded.values():
            if company.id not in limits:
                limits[company.id] = uow.limits.lock(who.user_id, company.id)
        facts = uow.signatures.facts(who.user_id, ids, start, end)
        signed_today: dict[int, Decimal] = {}
        signed = []
        for payment_id in ids:
            payment, company = loaded[payment_id]
            known = facts[payment_id]
            if company.id not in signed_today:
                signed_today[company.id] = known.signed_in_period
            after, outcome, amount = _sign_one(
                uow,
                who,
                payment,
                company,
                roles[company.id],
                (limits[company.id], signed_today[company.id]),
                known,
                start,
                now,
            )
            signed_today[company.id] += amount
            signed.append(Signed(after, outcome.collected, outcome.required, outcome.why))
        uow.commit()
    return signed


def _sign_one(
    uow: UnitOfWork,
    who: Actor,
    payment: PaymentView,
    company: CompanyInfo,
    roles: set[Role],
    budget: tuple[SignerLimits, Decimal],
    known: SigningFacts,
    day: datetime,
    now: datetime,
) -> tuple[PaymentView, SignatureOutcome, Decimal]:
    """Signs one locked payment; returns it as it is now. `budget`: the signer's limits in the
    company and what they signed there today; `known`: the rest a signature depends on."""
    assert who.user_id is not None
    next_status(payment.status, Action.SIGN, payment_id=payment.id)
    if known.signature_round != payment.signature_round:  # the row is locked: never expected
        raise ConcurrentChange(
            f"Payment {payment.id} was changed by someone else just now; nothing was signed. "
            "Look again and retry."
        )
    if payment.failure_kind == "no_return":
        raise NotPermitted(
            f"Payment {payment.id} got no answer from the bank and may have been paid. Check the "
            "netbank first and record what it shows (`paybot payments resolve-missing`)."
        )
    facts = payment_facts(payment)
    check_complete(payment, facts, "signed")
    rate = (
        None
        if payment.currency == company.currency
        else uow.rates.on(payment.currency, company.currency, day.date())
    )
    amount = in_company_currency(payment.amount, payment.currency, company.currency, rate)
    supplier = SupplierFacts(
        registered_account=known.registered_account, last_paid_account=known.last_paid_account
    )
    case = SignatureCase(
        payment_id=payment.id,
        status=payment.status,
        amount_company=amount,
        company_currency=company.currency,
        approval_required=company.approval_required,
        account_changed=account_changed(facts, supplier),
        dual_control_threshold=company.dual_control_threshold,
        editors=frozenset(payment.editors),
        signers=known.signers,
    )
    outcome = check_signature(
        case,
        signer=who.user_id,
        roles=roles,
        limits=budget[0],
        signed_today=budget[1],
    )
    uow.signatures.add(
        payment_id=payment.id,
        user_id=who.user_id,
        company_id=company.id,
        round_no=payment.signature_round,
        signed_at=now,
        amount_company=amount,
    )
    action = Action.SIGN if outcome.complete else Action.FIRST_SIGNATURE
    new_status = next_status(payment.status, action, payment_id=payment.id)
    details: dict[str, Any] = {
        "signatures": outcome.collected,
        "required": outcome.required,
        "amount_company": str(amount),
        "company_currency": company.currency,
    }
    if outcome.why:  # the card and the history say why a second signer is asked for
        details["second_signer"] = outcome.why.to_details()
    # A payment signed again leaves its old failure behind (the audit keeps it).
    cleared = {"failure_kind": None, "failure_reason": None, "bank_text": None, "bank_status": None}
    write_step(
        uow,
        who,
        payment,
        company,
        Action.SIGN,
        new_status,
        now,
        {"status": new_status.value, **cleared},
        details=details,
        audit_action=action,
    )
    # The row is locked and was just written: what it holds now is known without reading it.
    after = replace(
        payment,
        status=new_status,
        version=payment.version + 1,
        updated_at=now,
        failure_kind=None,
        failure_reason=None,
        bank_text=None,
        bank_status=None,
    )
    return after, outcome, amount


def _business_day(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end of `now`'s day in the business time zone `zone` (the daily limit's day)."""
    start = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    return start, datetime.combine(start.date() + timedelta(days=1), time(0), tzinfo=zone)


def unsign(uow: UnitOfWork, *, actor: ActorRef, payment_id: int, now: datetime) -> PaymentView:
    """Takes a signature back while the payment waits to be sent: Due → Approved, unsigned."""
    with uow:
        who = resolve_actor(uow, actor)
        payment, company = load_payment(uow, payment_id)
        if Role.SIGNER not in roles_of(uow, who, company.id):
            raise NotPermitted(
                f"{who.label} may not take signatures back: that needs the signer role."
            )
        new_status = next_status(payment.status, Action.UNSIGN, payment_id=payment.id)
        if payment.batch_id is not None:
            raise InvalidTransition(
                f"Payment {payment.id} is being sent to the bank already; it cannot be unsigned."
            )
        voided = uow.signatures.void(payment.id, now)
        values = {
            "status": new_status.value,
            "signature_round": payment.signature_round + 1,
            "signed_by_id": None,
            "signed_at": None,
        }
        write_step(
            uow,
            who,
            payment,
            company,
            Action.UNSIGN,
            new_status,
            now,
            values,
            details={"voided_signatures": voided},
        )
        result, _ = load_payment(uow, payment.id)
        uow.commit()
    return result
