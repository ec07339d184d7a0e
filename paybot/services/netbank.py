"""What a signer saw in the netbank, recorded: for a payment the bank never answered about
(the money left, or it did not), and for a payment On hold (paid once, or not paid).

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
from paybot.services.ports import GatewayFactory
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


def resolve_missing(
    uow: UnitOfWork,
    *,
    actor: ActorRef,
    payment_id: int,
    money_left: bool,
    now: datetime,
    gateways: GatewayFactory | None = None,
) -> PaymentView:
    """A signer records what the netbank shows for a payment with no return: paid, or not.

    Paid: its send counts as booked (a person saw the money leave). Not paid: its send is no
    longer live, so the payment may be fixed and signed again; should the bank book that send
    after all, the booking wins (core.sends). "Not paid" is refused while the send's file still
    waits in the bank's outbox (`gateways` tells): the bank may take it yet."""
    if not money_left and gateways is not None:
        _not_waiting_in_the_outbox(uow, gateways, payment_id)
    with uow:
        who, payment, company = signer_looking(
            uow, actor, payment_id, "record what the netbank shows"
        )
        if payment.status is not PaymentStatus.FAILED or payment.failure_kind != "no_return":
            raise InvalidTransition(
                f"Payment {payment.id} is not waiting for a netbank check (it is "
                f"{payment.status.value})."
            )
        current = [s for s in uow.sends.live_of(payment.id) if s.batch_id == payment.batch_id]
        if money_left:
            new_status = next_status(payment.status, Action.CONFIRM, payment_id=payment.id)
            values: dict[str, Any] = {
                "status": new_status.value,
                "paid_at": now,
                "updated_at": now,
                "failure_kind": None,
                "failure_reason": None,
            }
            send_state = SendState.BOOKED
        else:
            new_status = payment.status
            values = {
                "failure_kind": "checked_not_left",
                "batch_id": None,
                "updated_at": now,
                "failure_reason": "No answer from the bank; the netbank shows the money "
                "did not leave. Fix it if needed and sign again.",
            }
            send_state = SendState.NOT_LEFT
        if not uow.payments.compare_and_set(payment.id, payment.version, values):
            raise ConcurrentChange(f"Payment {payment.id} changed just now; look again.")
        uow.sends.set_states([s.id for s in current], send_state, {"updated_at": now})
        if money_left:
            reflag(uow, company.id, {payment.supplier_id})
        else:
            uow.bank.restart_signing([payment.id], now)
        audit(
            uow,
            actor=who,
            action="payment.resolve_missing",
            now=now,
            company_id=company.id,
            payment_id=payment.id,
            before={"status": payment.status.value, "version": payment.version},
            after={"status": new_status.value, "version": payment.version + 1},
            details={"money_left": money_left, "sends": [s.end_to_end_id for s in current]},
        )
        result, _ = load_payment(uow, payment.id)
        uow.commit()
    return result


def _not_waiting_in_the_outbox(uow: UnitOfWork, gateways: GatewayFactory, payment_id: int) -> None:
    """Refuses while the file of the payment's current send is still in the outbox: the netbank
    rightly shows nothing, yet whoever uploads the outbox (a person, an SFTP sync) sends it."""
    with uow:
        payment = uow.payments.get(payment_id)
        if payment is None or payment.batch_id is None:
            return
        batch = uow.bank.batch(payment.batch_id)
        account = uow.bank.account(batch.bank_account_id)
    name = batch.file_name or f"{batch.message_id}.xml"
    if gateways(account).exists(name):
        raise InvalidTransition(
            f"{name}, the file that pays payment {payment_id}, is still waiting in the bank's "
            f"outbox of account {account.account}: whoever uploads the outbox would still send "
            "it. Take it out of the outbox (and make sure it was not uploaded in the netbank by "
            "hand), then record that the money did not leave."
        )
