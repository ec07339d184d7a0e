"""Incoming payments in Slack: the daily summary in each company's alerts channel, and the
"Post to account" and "Match to invoice" buttons of an unmatched payment (on the summary, the
Home tab and `/bank search direction:in`), and "Undo" on one posted or matched by hand.

A click is acknowledged at once; then the payment is checked (the clicker's role now, the payment
still unmatched, at the version the button showed) and the modal opens, or the clicker alone is
told what became of it. A submission runs the service before its acknowledgement (it is quick),
so a bad GL account or an unknown invoice is an error on its field in the modal still open; the
summary's line (or the Home tab) is updated after it. "Undo" (after Slack's confirm dialog)
runs `incoming.undo` after the acknowledgement and updates the summary; a refusal is told to the
clicker alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from paybot.core.errors import (
    ConcurrentChange,
    InvalidTransition,
    NotFound,
    PaybotError,
    ValidationFailed,
)
from paybot.handlers import home, replies
from paybot.handlers.actions import actor_of, clicked_value, language_of, origin_of
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Act, Block, View
from paybot.handlers.proposal_posts import PACER, Pacer
from paybot.handlers.views import incoming as views
from paybot.handlers.views.modal_parts import notice
from paybot.services import incoming, incoming_summary
from paybot.services.incoming_summary import Line

log = logging.getLogger("paybot.slack")

CHANGED = "paybot_incoming_changed"  # context key: the submission's metadata, for the lazy part
NOT_A_PAYMENT = "That button does not name an incoming payment; look at the list again."
# ValidationFailed field names of services.incoming → the input block that shows the error.
POST_FIELDS = {"account": Block.GL_ACCOUNT, "text": Block.POST_TEXT, "customer": Block.CUSTOMER}


def register(app: App, deps: Deps) -> None:
    app.action(Act.INCOMING_POST.value)(ack=_ack, lazy=[_opener(deps, Act.INCOMING_POST)])
    app.action(Act.INCOMING_MATCH.value)(ack=_ack, lazy=[_opener(deps, Act.INCOMING_MATCH)])
    app.view(View.INCOMING_POST.value)(ack=_poster(deps), lazy=[_after(deps)])
    app.view(View.INCOMING_MATCH.value)(ack=_matcher(deps), lazy=[_after(deps)])
    app.action(Act.INCOMING_UNDO.value)(ack=_ack, lazy=[_undoer(deps)])


def _ack(ack: Ack) -> None:
    ack()


def reference(value: str) -> tuple[str, int, int]:
    """ "<org no>:<payment id>:<version>" → its parts: what the two buttons name."""
    org_no, payment_id, version = (value.split(":") + ["", "", ""])[:3]
    if not org_no or not payment_id.isdigit() or not version.isdigit():
        raise NotFound(NOT_A_PAYMENT)
    return org_no, int(payment_id), int(version)


def _opener(deps: Deps, act: Act) -> Callable[..., None]:
    doing = "post" if act is Act.INCOMING_POST else "match"

    def lazy(body: dict[str, Any], client: WebClient) -> None:
        who = actor_of(body)
        origin = origin_of(body)
        try:
            org_no, payment_id, version = reference(clicked_value(body))
            payment = incoming.check(
                deps.uow(), payment_id=payment_id, actor=who, version=version, doing=doing
            )
        except PaybotError as error:
            # Handled already (what became of it), changed since shown, or not this person's.
            replies.tell(client, body, error.user_message)
            if isinstance(error, InvalidTransition | ConcurrentChange):
                refresh(client, deps, origin.channel, origin.ts)
                if origin.home:
                    home.publish(client, deps, who)
            return
        meta = views.Meta(
            org_no=payment.company_org_no,
            payment_id=payment.id,
            version=payment.version,
            language=language_of(deps, payment.company_org_no),
            channel=origin.channel,
            ts=origin.ts,
            home=origin.home,
        )
        build = views.post_modal if act is Act.INCOMING_POST else views.match_modal
        try:
            client.views_open(trigger_id=body.get("trigger_id"), view=build(Line(payment), meta))
        except SlackApiError as error:
            log.warning("could not open the %s modal: %s", doing, error)

    lazy.__name__ = f"open_{doing}"
    return lazy


def _undoer(deps: Deps) -> Callable[..., None]:
    def undo(body: dict[str, Any], client: WebClient) -> None:
        """Undoes the hand step at the version the button showed; the summary shows the payment
        unmatched again (elsewhere, the clicker is told)."""
        who = actor_of(body)
        origin = origin_of(body)
        try:
            _, payment_id, version = reference(clicked_value(body))
            now = deps.clock()
            with deps.follow_ups.when_quiet():
                undone = incoming.undo(
                    deps.uow(),
                    payment_id=payment_id,
                    actor=who,
                    now=now,
                    today=now.astimezone(deps.zone).date(),
                    version=version,
                )
        except PaybotError as error:
            # Unmatched already (undone twice), changed since shown, or not this person's.
            replies.tell(client, body, error.user_message)
            if isinstance(error, InvalidTransition | ConcurrentChange):
                refresh(client, deps, origin.channel, origin.ts)
                if origin.home:
                    home.publish(client, deps, who)
            return
        if not refresh(client, deps, origin.channel, origin.ts):
            language = language_of(deps, undone.payment.company_org_no)
            said = views.undone_text(payment_id, undone.voucher, undone.reversal, language)
            replies.tell(client, body, said)
        if origin.home:
            home.publish(client, deps, who)

    return undo


def _value(body: dict[str, Any], block: Block) -> str:
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    return str(((values.get(block.value) or {}).get(block.value) or {}).get("value") or "")


def _poster(deps: Deps) -> Callable[..., None]:
    def submitted(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        meta = views.Meta.load((body.get("view") or {}).get("private_metadata") or "")
        if meta is None:
            ack(response_action="update", view=notice("paybot", NOT_A_PAYMENT))
            return
        try:
            incoming.post_by_hand(
                deps.uow(),
                payment_id=meta.payment_id,
                account=_value(body, Block.GL_ACCOUNT),
                text=_value(body, Block.POST_TEXT),
                customer=_value(body, Block.CUSTOMER) or None,
                actor=actor_of(body),
                now=deps.clock(),
                version=meta.version,
            )
        except ValidationFailed as error:
            errors = {
                POST_FIELDS.get(name, Block.GL_ACCOUNT).value: text[:2000]
                for name, text in error.errors.items()
            }
            ack(response_action="errors", errors=errors)
            return
        except PaybotError as error:
            _refused(ack, context, meta, error)
            return
        context[CHANGED] = meta
        ack()

    return submitted


def _matcher(deps: Deps) -> Callable[..., None]:
    def submitted(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        meta = views.Meta.load((body.get("view") or {}).get("private_metadata") or "")
        if meta is None:
            ack(response_action="update", view=notice("paybot", NOT_A_PAYMENT))
            return
        invoice = _value(body, Block.INVOICE).strip()
        try:
            incoming.match_by_hand(
                deps.uow(),
                payment_id=meta.payment_id,
                invoice_no=invoice,
                actor=actor_of(body),
                now=deps.clock(),
                version=meta.version,
            )
        except ValidationFailed as error:
            said = "; ".join(error.errors.values())
            ack(response_action="errors", errors={Block.INVOICE.value: said[:2000]})
            return
        except NotFound as error:  # no such invoice (the payment was found at the click)
            ack(response_action="errors", errors={Block.INVOICE.value: error.user_message[:2000]})
            return
        except PaybotError as error:
            _refused(ack, context, meta, error)
            return
        context[CHANGED] = meta
        ack()

    return submitted


def _refused(ack: Ack, context: BoltContext, meta: views.Meta, error: PaybotError) -> None:
    """Not a field's fault (changed meanwhile, handled by someone else, a role, a rate): the
    modal says why; the message that showed the payment is brought up to date."""
    ack(response_action="update", view=notice("paybot", error.user_message, meta.language))
    if isinstance(error, InvalidTransition | ConcurrentChange):
        context[CHANGED] = meta


def _after(deps: Deps) -> Callable[..., None]:
    def lazy(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        meta = context.get(CHANGED)
        if not isinstance(meta, views.Meta):
            return
        refresh(client, deps, meta.channel, meta.ts)
        if meta.home:
            home.publish(client, deps, actor_of(body))

    lazy.__name__ = "after_incoming"
    return lazy


def refresh(client: WebClient, deps: Deps, channel: str | None, ts: str | None) -> bool:
    """The summary posted as (channel, ts), its lines as the payments are now; anything else
    (a search answer, no message) is left as it is. Whether it was a summary."""
    if not channel or not ts:
        return False
    with deps.follow_ups.when_quiet():
        shown = incoming_summary.shown(deps.uow(), channel=channel, ts=ts)
    if shown is None:
        return False
    _show(client, channel, ts, shown)
    return True


def _show(client: WebClient, channel: str, ts: str, shown: incoming_summary.Shown) -> None:
    message = views.summary_message(
        shown.company, shown.summary, shown.lines, shown.company.language
    )
    try:
        client.chat_update(channel=channel, ts=ts, **message)
    except SlackApiError as error:
        log.warning("could not update the incoming summary %s/%s: %s", channel, ts, error)


# --- the daily summary ------------------------------------------------------------------------


def post_summary(
    client: WebClient,
    deps: Deps,
    *,
    company_org_no: str,
    now: datetime,
    pacer: Pacer | None = None,
) -> str | None:
    """Posts the company's summary of incoming payments for today; its ts, or None when it is
    someone else's to make, made already, or has nothing to say."""
    post = incoming_summary.begin(
        deps.uow(), company_org_no=company_org_no, now=now, zone=deps.zone
    )
    if post is None:
        return None
    message = views.summary_message(post.company, post.summary, post.lines, post.company.language)
    with (pacer or PACER).turn(post.channel):
        answer = client.chat_postMessage(channel=post.channel, **message)
    ts = str(answer["ts"])
    incoming_summary.record_posted(deps.uow(), post, ts=ts, now=now)
    # A line handled between the post and its record found no message to update (cards.catch_up).
    now_shown = incoming_summary.shown(deps.uow(), channel=post.channel, ts=ts)
    if now_shown is not None and now_shown.lines != post.lines:
        _show(client, post.channel, ts, now_shown)
    return ts


def post_due(
    client: WebClient, deps: Deps, now: datetime, *, pacer: Pacer | None = None
) -> list[str]:
    """Posts the summary of every company whose time has come; one company's failure is logged
    and does not stop the others (its unfinished claim is taken over by a later run)."""
    posted = []
    for company in incoming_summary.due_companies(deps.uow(), now=now, zone=deps.zone):
        try:
            ts = post_summary(client, deps, company_org_no=company.org_no, now=now, pacer=pacer)
        except (SlackApiError, PaybotError) as error:
            log.error("could not post the incoming summary of %s: %s", company.org_no, error)
            continue
        if ts is not None:
            posted.append(company.org_no)
    return posted
