"""A signer settles a payment On hold, after looking at the netbank.

On hold means the bank booked one send of it while another may still leave, or booked another
amount than was sent. Nothing more is sent for it until a signer records what the netbank shows:
- paid: the money left once; any other send of it was stopped in the netbank;
- not paid: none of its money left and none will (every send stopped); it is Failed, to be
  fixed and signed again if it is still to be paid.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from paybot.core.company import CompanyInfo
from paybot.core.errors import ConcurrentChange, InvalidTransition, NotPermitted
from paybot.core.payments import PaymentView
from paybot.core.policy import Actor, Role
from paybot.core.sends import LIVE, SendState
from paybot.core.states import Action, PaymentStatus, next_status
from paybot.services.common import ActorRef, audit, resolve_actor, roles_of
from paybot.services.payments import load_payment
from paybot.services.proposals import reflag
from paybot.store.uow import UnitOfWork

NOT_PAID_REASON = (
    "On hold, then recorded as not paid: no money left and every send of it was stopped in the "
    "netbank. Fix it if needed and sign again."
)


def signer_looking(
    uow: UnitOfWork, actor: ActorRef, payment_id: int, doing: str
) -> tuple[Actor, PaymentView, CompanyInfo]:
    """A signer who records what the netbank shows, and the payment, locked with its company
    (as the bank's answers and the dispatcher lock them): nothing moves it meanwhile."""
    who = resolve_actor(uow, actor)
    payment, company = load_payment(uow, payment_id)
    if Role.SIGNER not in roles_of(uow, who, company.id):
        raise NotPermitted(f"{who.label} may not {doing}: that needs the signer role.")
    uow.bank.lock_company(company.id)
    payment, _ = load_payment(uow, payment_id, lock=True)
    return who, payment, company


def resolve_hold(
    uow: UnitOfWork, *, actor: ActorRef, payment_id: int, paid: bool, now: datetime
) -> PaymentView:
    """Records what the netbank shows for a payment On hold: paid once, or not paid."""
    with uow:
        who, payment, company = signer_looking(uow, actor, payment_id, "settle a payment On hold")
        if payment.status is not PaymentStatus.ON_HOLD:
            raise InvalidTransition(
                f"Payment {payment.id} is not On hold (it is {payment.status.value}); "
                "nothing to settle."
            )
        action = Action.RESOLVE_PAID if paid else Action.RESOLVE_NOT_PAID
        new_status = next_status(payment.status, action, payment_id=payment.id)
        sends = uow.sends.of_payments([payment.id]).get(payment.id, [])
        live = [s for s in sends if s.state in LIVE]
        booked = [s for s in sends if s.state is SendState.BOOKED]
        values: dict[str, Any] = {"status": new_status.value, "updated_at": now}
        if paid:
            values |= {"paid_at": now, "failure_kind": None, "failure_reason": None}
            if booked:
                values["batch_id"] = booked[-1].batch_id
        else:
            values |= {
                "failure_kind": "checked_not_left",
                "failure_reason": NOT_PAID_REASON,
                "batch_id": None,
            }
        if not uow.payments.compare_and_set(payment.id, payment.version, values):
            raise ConcurrentChange(f"Payment {payment.id} changed just now; look again.")
        uow.sends.set_states([s.id for s in live], SendState.STOPPED, {"updated_at": now})
        if not paid:
            # The booking it was held for is not this payment's money, in the signer's words.
            uow.sends.set_states([s.id for s in booked], SendState.NOT_LEFT, {"updated_at": now})
            uow.bank.restart_signing([payment.id], now)
        reflag(uow, company.id, {payment.supplier_id})
        audit(
            uow,
            actor=who,
            action=f"payment.{action.value}",
            now=now,
            company_id=company.id,
            payment_id=payment.id,
            before={"status": payment.status.value, "version": payment.version},
            after={"status": new_status.value, "version": payment.version + 1},
            details={
                "paid": paid,
                "hold": payment.failure_kind,
                "stopped": [s.end_to_end_id for s in live],
                "booked": [s.end_to_end_id for s in booked],
            },
        )
        result, _ = load_payment(uow, payment.id)
        uow.commit()
    return result
