"""The Post buttons (Bokfør): on a paid payment (the Home tab) and on a paid batch's alert.

A click is acknowledged at once; posting runs after it. The button's value names the company and
the payment or batch, nothing more: the service re-checks who may post and what is Paid. Once
posted, every message showing the payment says as which voucher (a batch's alert too); a click on
something posted already tells the clicker alone its voucher number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from paybot.core.errors import ConcurrentChange, InvalidTransition, NotFound, PaybotError
from paybot.core.posting import AlreadyPosted, VoucherRef
from paybot.handlers import cards, home, replies
from paybot.handlers.actions import actor_of, clicked_value, language_of, origin_of
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Act
from paybot.handlers.views import alerts as alert_views
from paybot.handlers.views.blocks import Block
from paybot.handlers.views.i18n import Phrase
from paybot.services import posting

log = logging.getLogger("paybot.slack")

POSTED_BATCH = Phrase(
    "Batch {number} is posted as {vouchers}.", "Bunt {number} er bokført som {vouchers}."
)
POSTED_PAYMENT = Phrase(
    "Payment #{id} is posted as {vouchers}.", "Betaling #{id} er bokført som {vouchers}."
)


def register(app: App, deps: Deps) -> None:
    app.action(Act.POST.value)(ack=_ack, lazy=[_later(deps, post_payment)])
    app.action(Act.POST_BATCH.value)(ack=_ack, lazy=[_later(deps, post_batch)])


def _ack(ack: Ack) -> None:
    ack()


def _later(
    deps: Deps, work: Callable[[WebClient, Deps, dict[str, Any]], None]
) -> Callable[..., None]:
    def lazy(body: dict[str, Any], client: WebClient) -> None:
        work(client, deps, body)

    lazy.__name__ = work.__name__
    return lazy


def post_payment(client: WebClient, deps: Deps, body: dict[str, Any]) -> None:
    """Posts one paid payment; refreshes every message showing it (they then say its voucher)
    and, from the Home tab, the tab, which says at its top as which voucher (the card is gone
    from it), as does a message to the clicker."""
    who = actor_of(body)
    try:
        org_no, payment_id = reference(clicked_value(body))
    except PaybotError as error:
        replies.tell(client, body, error.user_message)
        return
    from_home = origin_of(body).home
    try:
        with deps.follow_ups.when_quiet():
            vouchers = posting.post(
                deps.uow(),
                actor=who,
                company_org_no=org_no,
                payment_ids=[payment_id],
                now=deps.clock(),
                zone=deps.zone,
            )
    except PaybotError as error:
        replies.tell(client, body, error.user_message)
        if isinstance(error, InvalidTransition | ConcurrentChange):
            # The button showed a state that is gone: bring what shows it up to date.
            cards.refresh(client, deps, [payment_id])
            if from_home:
                home.publish(client, deps, who)
        return
    cards.refresh(client, deps, [payment_id])
    if from_home:
        # The card leaves the tab: the tab says where it went, and so does a message.
        refs = [VoucherRef(v.day.year, v.number) for v in vouchers]
        language = language_of(deps, org_no)
        vouchers_text = alert_views.voucher_numbers(refs, language)
        said = POSTED_PAYMENT(language, id=payment_id, vouchers=vouchers_text)
        home.publish(client, deps, who, notice=f"✅ {said}")
        replies.tell(client, body, said)


def post_batch(client: WebClient, deps: Deps, body: dict[str, Any]) -> None:
    """Posts a paid batch from its alert; the alert then says as which vouchers. Posted already:
    the clicker alone is told, and the alert says so too."""
    who = actor_of(body)
    try:
        org_no, number = reference(clicked_value(body))
    except PaybotError as error:
        replies.tell(client, body, error.user_message)
        return
    try:
        with deps.follow_ups.when_quiet():
            vouchers = posting.post(
                deps.uow(),
                actor=who,
                company_org_no=org_no,
                batch=number,
                now=deps.clock(),
                zone=deps.zone,
            )
    except AlreadyPosted as error:
        replies.tell(client, body, error.user_message)
        _show_posted(client, deps, body, org_no, list(error.posted.values()))
        return
    except PaybotError as error:
        replies.tell(client, body, error.user_message)
        return
    refs = [VoucherRef(v.day.year, v.number) for v in vouchers]
    if not _show_posted(client, deps, body, org_no, refs, who=who.slack_user_id):
        language = language_of(deps, org_no)
        said = alert_views.voucher_numbers(refs, language)
        replies.tell(client, body, POSTED_BATCH(language, number=number, vouchers=said))


def _show_posted(
    client: WebClient,
    deps: Deps,
    body: dict[str, Any],
    org_no: str,
    refs: list[VoucherRef],
    *,
    who: str | None = None,
) -> bool:
    """The clicked alert, updated in place: its Post button gone, a line with the vouchers.
    False if the click did not carry the message (Slack sends it with a message's clicks)."""
    where = body.get("container") or {}
    channel, ts = where.get("channel_id"), where.get("message_ts")
    shown = body.get("message") or {}
    blocks: list[Block] = list(shown.get("blocks") or [])
    if not channel or not ts or not blocks:
        return False
    text = str(shown.get("text") or "")
    language = language_of(deps, org_no)
    at = deps.clock() if who else None
    updated = alert_views.posted(blocks, refs, language, zone=deps.zone, who=who, at=at)
    try:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=updated)
    except SlackApiError as error:
        # A deleted message or a channel the bot left: the posting itself is done.
        log.warning("could not update %s/%s: %s", channel, ts, error)
        return False
    return True


def reference(value: str) -> tuple[str, int]:
    """ "<org no>:<number>" → (org no, number): what a Post button names."""
    org_no, _, number = value.partition(":")
    if not org_no or not number.isdigit():
        raise NotFound(f"{value!r} names no payment or batch paybot knows.")
    return org_no, int(number)
