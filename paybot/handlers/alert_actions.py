"""The "did the money leave?" buttons on a payment with no return from the bank: a signer says
what the netbank shows; every message showing the payment is then updated in place."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from paybot.core.errors import PaybotError
from paybot.handlers import cards, replies
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Act
from paybot.services import returns
from paybot.services.common import ActorRef, record_refusal

NOT_A_PAYMENT = "That button does not name a payment; look at the payment again."


def register(app: App, deps: Deps) -> None:
    def quick_ack(ack: Ack) -> None:
        ack()

    def money_left(body: dict[str, Any], client: WebClient) -> None:
        resolve(client, deps, body, money_left=True)

    def money_not_left(body: dict[str, Any], client: WebClient) -> None:
        resolve(client, deps, body, money_left=False)

    app.action(Act.MONEY_LEFT.value)(ack=quick_ack, lazy=[money_left])
    app.action(Act.MONEY_NOT_LEFT.value)(ack=quick_ack, lazy=[money_not_left])


def resolve(client: WebClient, deps: Deps, body: dict[str, Any], *, money_left: bool) -> None:
    """Records what the netbank shows (the service re-checks role and state), then refreshes."""
    user = body.get("user") or {}
    who = ActorRef(str(user.get("id")), user.get("team_id") or None)
    value = str(((body.get("actions") or [{}])[0]).get("value") or "")
    if not value.isdigit():
        replies.tell(client, body, NOT_A_PAYMENT)
        return
    payment_id = int(value)
    try:
        returns.resolve_missing(
            deps.uow(), actor=who, payment_id=payment_id, money_left=money_left, now=deps.clock()
        )
    except PaybotError as error:
        record_refusal(
            deps.uow(),
            actor=who,
            action="money_left" if money_left else "money_not_left",
            payment_ids=[payment_id],
            error=error,
            now=deps.clock(),
        )
        replies.tell(client, body, error.user_message)
        return
    cards.refresh(client, deps, [payment_id])
