"""The buttons on a payment On hold: a signer says what the netbank shows (paid once, with any
other send stopped; or not paid); every message showing the payment is then updated in place."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from paybot.core.errors import ConcurrentChange, InvalidTransition, PaybotError
from paybot.handlers import cards, replies
from paybot.handlers.actions import actor_of, clicked_value, payment_id_of
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Act
from paybot.services import holds
from paybot.services.common import record_refusal


def register(app: App, deps: Deps) -> None:
    def quick_ack(ack: Ack) -> None:
        ack()

    def paid(body: dict[str, Any], client: WebClient) -> None:
        settle(client, deps, body, paid=True)

    def not_paid(body: dict[str, Any], client: WebClient) -> None:
        settle(client, deps, body, paid=False)

    app.action(Act.HOLD_PAID.value)(ack=quick_ack, lazy=[paid])
    app.action(Act.HOLD_NOT_PAID.value)(ack=quick_ack, lazy=[not_paid])


def settle(client: WebClient, deps: Deps, body: dict[str, Any], *, paid: bool) -> None:
    """Records the signer's word (the service re-checks role and state), then refreshes."""
    who = actor_of(body)
    try:
        payment_id = payment_id_of(clicked_value(body))
    except PaybotError as error:
        replies.tell(client, body, error.user_message)
        return
    try:
        holds.resolve_hold(
            deps.uow(), actor=who, payment_id=payment_id, paid=paid, now=deps.clock()
        )
    except PaybotError as error:
        record_refusal(
            deps.uow(),
            actor=who,
            action="hold_paid" if paid else "hold_not_paid",
            payment_ids=[payment_id],
            error=error,
            now=deps.clock(),
        )
        replies.tell(client, body, error.user_message)
        if isinstance(error, InvalidTransition | ConcurrentChange):
            cards.refresh(client, deps, [payment_id])  # the message showed a state now gone
        return
    cards.refresh(client, deps, [payment_id])
