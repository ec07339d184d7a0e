"""Keeping posted messages true: after any action, every message showing the payment is updated
in place (chat.update) to its state now, with the buttons that still apply."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from paybot.handlers.deps import Deps
from paybot.handlers.views.cards import payment_entries
from paybot.services import slack_records
from paybot.services.slack_records import ShownMessage

log = logging.getLogger("paybot.slack")

PROPOSALS = "proposals"  # the kind of message the daily post records


def render(message: ShownMessage, zone: ZoneInfo, today: date | None = None) -> dict[str, Any]:
    """The message's blocks as posted above the payments, then each payment as it is now (and,
    given the business `today`, whether it is overdue)."""
    entries = payment_entries(
        message.payments,
        message.steps,
        message.language,
        zone=zone,
        follow_up=message.kind != PROPOSALS,
        today=today,
        vouchers=message.vouchers,
        approval_required=message.company.approval_required,
    )
    blocks = [*message.intro, *entries]
    return {"text": _fallback(message), "blocks": blocks}


def refresh(client: WebClient, deps: Deps, payment_ids: Iterable[int]) -> int:
    """Updates every message showing these payments; returns how many were updated."""
    updated = 0
    today = deps.clock().astimezone(deps.zone).date()
    with deps.follow_ups.when_quiet():
        shown = slack_records.messages_showing(deps.uow(), payment_ids=payment_ids)
    for message in shown:
        try:
            with deps.follow_ups.when_quiet():
                blocks = render(message, deps.zone, today)
            client.chat_update(channel=message.channel, ts=message.ts, **blocks)
            updated += 1
        except SlackApiError as error:
            # A deleted message or a channel the bot left: the payment itself is fine.
            log.warning("could not update %s/%s: %s", message.channel, message.ts, error)
    return updated


def catch_up(
    client: WebClient, deps: Deps, *, channel: str, ts: str, versions: Mapping[int, int]
) -> bool:
    """Brings a message just recorded up to date when a payment on it changed after it was built
    (`versions`: each payment's version as rendered); True when it was updated.

    A click on a message that is posted but not yet recorded finds nothing to update, so the
    poster looks once more after recording: whichever of the two comes last sees the other."""
    message = slack_records.message_at(deps.uow(), channel=channel, ts=ts)
    if message is None or all(versions.get(p.id) == p.version for p in message.payments):
        return False
    today = deps.clock().astimezone(deps.zone).date()
    try:
        client.chat_update(channel=channel, ts=ts, **render(message, deps.zone, today))
    except SlackApiError as error:
        log.warning("could not update %s/%s: %s", channel, ts, error)
        return False
    return True


def _fallback(message: ShownMessage) -> str:
    names = ", ".join(p.payee for p in message.payments[:3])
    more = f" and {len(message.payments) - 3} more" if len(message.payments) > 3 else ""
    return f"{len(message.payments)} payment(s): {names}{more}"
