"""The buttons where a signer says what the netbank shows, on alerts and cards: for a payment with
no return from the bank ("The money left" / "did not leave") and for a payment On hold ("Paid
once, other send stopped" / "Not paid"). The service re-checks role and state; every message
showing the payment is then updated in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from paybot.core.errors import ConcurrentChange, InvalidTransition, PaybotError
from paybot.handlers import cards, replies
from paybot.handlers.actions import actor_of
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Act
from paybot.services import netbank
from paybot.services.common import ActorRef, record_refusal

NOT_A_PAYMENT = "That button does not name a payment; look at the payment again."

# What the signer says, as a call of the service that records it.
Answer = Callable[[Deps, ActorRef, int], object]

ANSWERS: dict[Act, Answer] = {
    Act.MONEY_LEFT: lambda deps, who, pid: netbank.resolve_missing(
        deps.uow(), actor=who, payment_id=pid, money_left=True, now=deps.clock()
    ),
    Act.MONEY_NOT_LEFT: lambda deps, who, pid: netbank.resolve_missing(
        deps.uow(),
        actor=who,
        payment_id=pid,
        money_left=False,
        now=deps.clock(),
        gateways=deps.gateways,
    ),
    Act.HOLD_PAID: lambda deps, who, pid: netbank.resolve_hold(
        deps.uow(), actor=who, payment_id=pid, paid=True, now=deps.clock()
    ),
    Act.HOLD_NOT_PAID: lambda deps, who, pid: netbank.resolve_hold(
        deps.uow(), actor=who, payment_id=pid, paid=False, now=deps.clock()
    ),
}


def register(app: App, deps: Deps) -> None:
    def quick_ack(ack: Ack) -> None:
        ack()

    for act in ANSWERS:
        app.action(act.value)(ack=quick_ack, lazy=[_answering(deps, act)])


def _answering(deps: Deps, act: Act) -> Callable[..., None]:
    def lazy(body: dict[str, Any], client: WebClient) -> None:
        answer(client, deps, body, act)

    return lazy


def answer(client: WebClient, deps: Deps, body: dict[str, Any], act: Act) -> None:
    """Records what the netbank shows, then refreshes; a refusal goes to the clicker alone."""
    who = actor_of(body)
    value = str(((body.get("actions") or [{}])[0]).get("value") or "")
    if not value.isdigit():
        replies.tell(client, body, NOT_A_PAYMENT)
        return
    payment_id = int(value)
    try:
        ANSWERS[act](deps, who, payment_id)
    except PaybotError as error:
        record_refusal(
            deps.uow(),
            actor=who,
            action=act.name.lower(),
            payment_ids=[payment_id],
            error=error,
            now=deps.clock(),
        )
        replies.tell(client, body, error.user_message)
        if isinstance(error, InvalidTransition | ConcurrentChange):
            cards.refresh(client, deps, [payment_id])  # the message showed a state now gone
        return
    cards.refresh(client, deps, [payment_id])
