"""Buttons and menus on payments: Approve, Delete, Add to bank, and the ones that open a modal
(Sign, Sign again, Fix, Details, the overflow menu, Sign all blue).

A button's value is a payment id (or, for Sign all blue, a company's org no) and nothing else:
each click acts on the payment's state now, re-checked by the service. A click is acknowledged
at once; the work runs lazily after it. A refusal answers only the person who clicked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from paybot.core.company import Language
from paybot.core.errors import ConcurrentChange, InvalidTransition, NotFound, PaybotError
from paybot.core.states import Action, next_status
from paybot.handlers import cards, home, replies
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Act, Overflow, View
from paybot.handlers.views import details_modal, fix_modal, sign_modal
from paybot.handlers.views import modal_parts as views
from paybot.services import companies, payments, sign_preview
from paybot.services.common import ActorRef
from paybot.services.payments import BulkAction

log = logging.getLogger("paybot.slack")

# Context key: the "Loading…" modal opened in the ack, handed to the lazy work that fills it.
MODAL = "paybot_modal"

Builder = Callable[[Deps, ActorRef, str, "Origin"], dict[str, Any]]


@dataclass(frozen=True)
class Origin:
    """Where a click came from: a message (channel, ts) or the Home tab."""

    channel: str | None = None
    ts: str | None = None
    home: bool = False


def register(app: App, deps: Deps) -> None:
    steps: Sequence[tuple[Act, BulkAction]] = (
        (Act.APPROVE, payments.approve),
        (Act.DELETE, payments.delete),
        (Act.RESTORE, payments.restore),
    )
    for act, step in steps:
        app.action(act.value)(ack=_ack, lazy=[_stepper(deps, step)])
    modals: Sequence[tuple[Act, Builder]] = (
        (Act.SIGN, _sign_view),
        (Act.SIGN_AGAIN, _sign_view),
        (Act.SIGN_ALL_BLUE, _blue_view),
        (Act.FIX, _fix_view),
        (Act.DETAILS, _details_view),
        (Act.MORE, _more_view),
    )
    for act, build in modals:
        app.action(act.value)(ack=open_loading, lazy=[_filler(deps, build)])


def _ack(ack: Ack) -> None:
    ack()


def _stepper(deps: Deps, step: BulkAction) -> Callable[..., None]:
    """Lazy work of Approve, Delete, Add to bank: act, then update every message showing the
    payment (and the Home tab if the click came from there). The click was answered already,
    so the step too waits for a moment when no other click is being answered."""

    def act(body: dict[str, Any], client: WebClient) -> None:
        who = actor_of(body)
        try:
            payment_id = payment_id_of(clicked_value(body))
        except PaybotError as error:
            replies.tell(client, body, error.user_message)
            return
        try:
            with deps.follow_ups.when_quiet():
                step(deps.uow(), actor=who, payment_ids=[payment_id], now=deps.clock())
        except PaybotError as error:
            replies.tell(client, body, error.user_message)
            if isinstance(error, InvalidTransition | ConcurrentChange):
                # The message showed a state that is gone: bring it up to date.
                cards.refresh(client, deps, [payment_id])
            return
        cards.refresh(client, deps, [payment_id])
        if origin_of(body).home:
            home.publish(client, deps, who)

    return act


def open_loading(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Acks, and opens a small modal with the trigger id (valid 3 s, once) before any database
    work; the lazy part fills it in with views.update."""
    ack()
    try:
        opened = client.views_open(trigger_id=body.get("trigger_id"), view=views.loading())
    except SlackApiError as error:
        log.warning("could not open a modal for %s: %s", body.get("trigger_id"), error)
        return
    view = opened.get("view") or {}
    context[MODAL] = {"id": view.get("id"), "hash": view.get("hash")}


def _filler(deps: Deps, build: Builder) -> Callable[..., None]:
    def fill(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        modal = context.get(MODAL)
        if not modal:
            return  # the modal did not open; nothing to fill
        try:
            view = build(deps, actor_of(body), clicked_value(body), origin_of(body))
        except PaybotError as error:
            view = views.notice("paybot", error.user_message)
        update_modal(client, modal, view)

    return fill


def update_modal(client: WebClient, modal: dict[str, Any], view: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {"view_id": modal["id"], "view": view}
    if modal.get("hash"):
        kwargs["hash"] = modal["hash"]  # refused if the person changed the view meanwhile
    try:
        client.views_update(**kwargs)
    except SlackApiError as error:
        # Closed by the person already, or changed meanwhile: nothing to show it in.
        log.info("could not fill modal %s: %s", modal["id"], error)


def _sign_view(deps: Deps, who: ActorRef, value: str, origin: Origin) -> dict[str, Any]:
    ids = [payment_id_of(value)]
    preview = sign_preview.to_sign(
        deps.uow(), actor=who, payment_ids=ids, now=deps.clock(), zone=deps.zone
    )
    meta = sign_metadata(preview, origin)
    return sign_modal.sign_modal(preview, callback=View.SIGN, metadata=meta, zone=deps.zone)


def _blue_view(deps: Deps, who: ActorRef, value: str, origin: Origin) -> dict[str, Any]:
    preview = sign_preview.blue_to_sign(
        deps.uow(), actor=who, company_org_no=value, now=deps.clock(), zone=deps.zone
    )
    meta = sign_metadata(preview, origin)
    return sign_modal.sign_modal(
        preview, callback=View.SIGN_ALL_BLUE, metadata=meta, zone=deps.zone
    )


def sign_metadata(preview: sign_preview.Preview, origin: Origin) -> str:
    """The Sign modal's private_metadata: the payments it shows, each with the version of its
    details shown (its signature round), so the code signs what the signer saw or nothing."""
    shown = preview.payments
    versions = [p.signature_round for p in shown]
    return metadata([p.id for p in shown], preview.company.language, origin, versions=versions)


def _fix_view(deps: Deps, who: ActorRef, value: str, origin: Origin) -> dict[str, Any]:
    payment = _shown(deps, who, value, Action.FIX).payment
    next_status(payment.status, Action.FIX, payment_id=payment.id)  # says why not, if not
    language = language_of(deps, payment.company_org_no)
    meta = metadata([payment.id], language, origin)
    return fix_modal.fix_modal(payment, language, metadata=meta)


def _delete_view(deps: Deps, who: ActorRef, value: str, origin: Origin) -> dict[str, Any]:
    payment = _shown(deps, who, value, Action.DELETE).payment
    next_status(payment.status, Action.DELETE, payment_id=payment.id)
    language = language_of(deps, payment.company_org_no)
    meta = metadata([payment.id], language, origin)
    return views.delete_modal(payment, language, metadata=meta)


def _details_view(deps: Deps, who: ActorRef, value: str, origin: Origin) -> dict[str, Any]:
    details = _shown(deps, who, value)
    language = language_of(deps, details.payment.company_org_no)
    today = deps.clock().astimezone(deps.zone).date()
    return details_modal.details_modal(details, language, deps.zone, today)


def _shown(
    deps: Deps, who: ActorRef, value: str, for_action: Action | None = None
) -> payments.PaymentDetails:
    """The clicked payment, if the person who clicked may see it (and do `for_action`): the
    button's value names a payment, it gives no right to see one."""
    return payments.show(
        deps.uow(), payment_id=payment_id_of(value), actor=who, for_action=for_action
    )


_OVERFLOW: dict[Overflow, Builder] = {
    Overflow.DETAILS: _details_view,
    Overflow.FIX: _fix_view,
    Overflow.DELETE: _delete_view,
}


def _more_view(deps: Deps, who: ActorRef, value: str, origin: Origin) -> dict[str, Any]:
    """The overflow menu: "details:<id>", "fix:<id>" or "delete:<id>"."""
    kind, _, rest = value.partition(":")
    try:
        build = _OVERFLOW[Overflow(kind)]
    except ValueError:
        raise NotFound(f"paybot does not know the menu option {value!r}.") from None
    return build(deps, who, rest, origin)


def actor_of(body: dict[str, Any]) -> ActorRef:
    """Who clicked or submitted, as Slack says (never as a button value says)."""
    user = body.get("user") or {}
    team = user.get("team_id") or (body.get("team") or {}).get("id") or None
    return ActorRef(str(user.get("id") or body.get("user_id") or ""), team)


def origin_of(body: dict[str, Any]) -> Origin:
    container = body.get("container") or {}
    if container.get("type") == "view":
        return Origin(home=(body.get("view") or {}).get("type") == "home")
    return Origin(channel=container.get("channel_id"), ts=container.get("message_ts"))


def clicked_value(body: dict[str, Any]) -> str:
    """The value of the button, or of the chosen overflow option."""
    action = (body.get("actions") or [{}])[0]
    chosen = action.get("selected_option") or {}
    return str(chosen.get("value") or action.get("value") or "")


def payment_id_of(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise NotFound(f"{value!r} is not a payment number paybot knows.") from None


def language_of(deps: Deps, org_no: str) -> Language:
    for company in companies.list_companies(deps.uow()):
        if company.org_no == org_no:
            return company.language
    return Language.EN


def metadata(
    ids: Sequence[int],
    language: Language,
    origin: Origin,
    *,
    versions: Sequence[int] | None = None,
) -> str:
    """A modal's private_metadata: the payment ids it acts on and where it was opened — nothing
    that is trusted (the submission re-checks everything); the language only for its answer.
    `versions`, one per id (a list beside the ids: 200 of them fit in Slack's 3000 characters),
    are only compared with the payments as they are, never taken as a right."""
    data: dict[str, Any] = {"ids": list(ids), "lang": language.value}
    if versions is not None:
        data["v"] = list(versions)
    if origin.home:
        data["home"] = True
    elif origin.channel:
        data |= {"channel": origin.channel, "ts": origin.ts}
    return json.dumps(data, separators=(",", ":"))
