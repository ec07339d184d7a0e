"""Modal submissions: Sign (one payment, or every blue one), Fix (with the payee's name when a
bank cannot take it and the payee's details of a payment abroad, each refusal on its field in
the user's language), and the confirm step of Delete.

The service runs before the acknowledgement (it is quick), so a wrong code or an invalid account
is an error on its field, in the modal still open. Updating the messages that show the payments
(and the Home tab) is slower and runs lazily after the ack; so does signing a large batch, whose
modal says "Signing…" and then shows the outcome (or the form again, with the refusal).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from paybot.core.company import Language
from paybot.core.errors import PaybotError, ValidationFailed
from paybot.core.payments import ReferenceType
from paybot.core.signing import ChangedSinceShown
from paybot.handlers import cards, home
from paybot.handlers.actions import Origin, actor_of, sign_metadata, update_modal
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Block, View
from paybot.handlers.views import fix_modal, sign_modal
from paybot.handlers.views import modal_parts as views
from paybot.handlers.views.i18n_bank import code_refusal
from paybot.services import payments, sign_preview, signing

# Context keys: what a submission changed, handed to the lazy work that updates the messages;
# and that the signing itself is left to the lazy work.
CHANGED = "paybot_changed"
LATER = "paybot_sign_later"
# More payments than this are signed after the ack: ~30 ms each on PostgreSQL (one audit event
# and one compare-and-set per payment), and the ack must come within 3 seconds.
QUICK_SIGN = 20


@dataclass(frozen=True)
class Meta:
    """A modal's private_metadata, as `actions.metadata` wrote it."""

    ids: list[int]
    language: Language
    home: bool
    channel: str | None = None
    ts: str | None = None
    # Per payment, the version of its details the Sign modal showed (compared, never trusted).
    versions: dict[int, int] = field(default_factory=dict)

    @property
    def origin(self) -> Origin:
        return Origin(channel=self.channel, ts=self.ts, home=self.home)

    @classmethod
    def of(cls, body: dict[str, Any]) -> Meta:
        try:
            data = json.loads((body.get("view") or {}).get("private_metadata") or "{}")
            ids = [int(i) for i in data.get("ids") or []]
            language = Language(data.get("lang") or Language.EN.value)
            shown = [int(v) for v in data.get("v") or []]
        except (ValueError, TypeError, AttributeError):
            data, ids, language, shown = {}, [], Language.EN, []
        where = {key: str(data[key]) for key in ("channel", "ts") if data.get(key)}
        versions = dict(zip(ids, shown, strict=False))
        home = bool(data.get("home"))
        return cls(ids=ids, language=language, home=home, versions=versions, **where)


def register(app: App, deps: Deps) -> None:
    for callback in (View.SIGN, View.SIGN_ALL_BLUE):
        app.view(callback.value)(ack=_signer(deps, callback), lazy=[_sign_later(deps, callback)])
    app.view(View.FIX.value)(ack=_fixer(deps), lazy=[_after(deps)])
    app.view(View.DELETE.value)(ack=_deleter(deps), lazy=[_after(deps)])
    app.view(View.DETAILS.value)(_close)  # it has no submit button; a submission just closes


def _close(ack: Ack) -> None:
    ack()


def _signer(deps: Deps, callback: View) -> Callable[..., None]:
    """One code signs the listed payments, all or none."""

    def submitted(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        meta = Meta.of(body)
        if QUICK_SIGN < len(meta.ids) <= signing.MAX_AT_ONCE:
            # Too many to sign within Slack's 3 seconds: say so now, sign right after. (More
            # than one code may sign is refused by the service at once, below.)
            context[LATER] = True
            ack(
                response_action="update", view=sign_modal.signing_view(len(meta.ids), meta.language)
            )
            return
        try:
            signed = _sign(deps, body, meta)
        except ChangedSinceShown as error:
            # The signer saw something else: show the form as things are now, with why.
            ack(response_action="update", view=_form_again(deps, body, meta, callback, error))
            return
        except PaybotError as error:
            # Wrong or used code, locked, a limit, a role, a state changed meanwhile: all read
            # best next to the code, with the modal still open.
            errors = {Block.CODE.value: _sentence(error, meta.language)}
            ack(response_action="errors", errors=errors)
            return
        context[CHANGED] = {"ids": meta.ids, "home": meta.home}
        ack(
            response_action="update",
            view=sign_modal.signed_view(signed, meta.language, callback=callback),
        )

    return submitted


def _sign(deps: Deps, body: dict[str, Any], meta: Meta) -> list[signing.Signed]:
    return signing.sign(
        deps.uow(),
        deps.box(),
        actor=actor_of(body),
        payment_ids=meta.ids,
        code=_value(body, Block.CODE) or "",
        now=deps.clock(),
        zone=deps.zone,
        versions=meta.versions,
    )


def _sign_later(deps: Deps, callback: View) -> Callable[..., None]:
    """After the ack: a large batch is signed now, its modal showing the outcome (or the form
    again with the refusal); then the messages and the Home tab are updated."""
    after = _after(deps)

    def sign_now(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if context.get(LATER):
            meta = Meta.of(body)
            submitted = body.get("view") or {}
            modal = {"id": submitted.get("id")}
            try:
                signed = _sign(deps, body, meta)
            except PaybotError as error:
                update_modal(client, modal, _form_again(deps, body, meta, callback, error))
                return
            update_modal(
                client, modal, sign_modal.signed_view(signed, meta.language, callback=callback)
            )
            context[CHANGED] = {"ids": meta.ids, "home": meta.home}
        after(body=body, client=client, context=context)

    return sign_now


def _form_again(
    deps: Deps, body: dict[str, Any], meta: Meta, callback: View, error: PaybotError
) -> dict[str, Any]:
    """The sign form as things are now, with why the code was refused above the code field."""
    try:
        preview = sign_preview.to_sign(
            deps.uow(),
            actor=actor_of(body),
            payment_ids=meta.ids,
            now=deps.clock(),
            zone=deps.zone,
        )
    except PaybotError as other:
        return views.notice("paybot", other.user_message, meta.language)
    form = sign_modal.sign_modal(
        preview, callback=callback, metadata=sign_metadata(preview, meta.origin), zone=deps.zone
    )
    return sign_modal.with_error(form, _sentence(error, meta.language))


def _fixer(deps: Deps) -> Callable[..., None]:
    def submitted(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        meta = Meta.of(body)
        kind = _value(body, Block.REFERENCE_TYPE)
        shown = _state(body)
        try:
            fixed = payments.fix(
                deps.uow(),
                actor=actor_of(body),
                payment_id=meta.ids[0] if meta.ids else 0,
                account=_value(body, Block.ACCOUNT) or "",
                reference_type=ReferenceType(kind) if kind else None,
                reference=_value(body, Block.REFERENCE) or "",
                **_payee_details(body, shown),
                urgent=_urgent(body) if fix_modal.URGENT_BLOCK in shown else None,
                payee=_payee_name(body, shown),
                now=deps.clock(),
            )
        except ValidationFailed as error:
            ack(response_action="errors", errors=fix_modal.fix_errors(error, meta.language, shown))
            return
        except PaybotError as error:
            title = fix_modal.FIX_TITLE(meta.language)
            ack(
                response_action="update",
                view=views.notice(title, error.user_message, meta.language),
            )
            return
        context[CHANGED] = {"ids": [fixed.id], "home": meta.home}
        ack(response_action="update", view=fix_modal.fixed_view(fixed, meta.language))

    return submitted


def _payee_details(body: dict[str, Any], shown: dict[str, Any]) -> dict[str, str]:
    """The payee's details the Fix modal showed, as typed or chosen: an emptied field, or the
    option that clears one, is "" (cleared); a modal without them gives none (left as they are)."""
    given: dict[str, str] = {}
    for name in fix_modal.PAYEE_BLOCKS:
        if name in shown:
            value = _value(body, name)
            given[name] = "" if value is None or value == fix_modal.CLEAR_OPTION else value
    return given


def _payee_name(body: dict[str, Any], shown: dict[str, Any]) -> str | None:
    """The payee's name, where the Fix modal asked for it (emptied: "", which is refused)."""
    if fix_modal.PAYEE_NAME_BLOCK not in shown:
        return None
    return _value(body, fix_modal.PAYEE_NAME_BLOCK) or ""


def _urgent(body: dict[str, Any]) -> bool:
    state = (_state(body).get(fix_modal.URGENT_BLOCK) or {}).get(fix_modal.URGENT_BLOCK) or {}
    return any(
        isinstance(option, dict) and option.get("value") == fix_modal.URGENT_BLOCK
        for option in state.get("selected_options") or []
    )


def _deleter(deps: Deps) -> Callable[..., None]:
    def submitted(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        meta = Meta.of(body)
        try:
            payments.delete(
                deps.uow(), actor=actor_of(body), payment_ids=meta.ids, now=deps.clock()
            )
        except PaybotError as error:
            title = views.DELETE_TITLE(meta.language)
            ack(
                response_action="update",
                view=views.notice(title, error.user_message, meta.language),
            )
            return
        context[CHANGED] = {"ids": meta.ids, "home": meta.home}
        ack()  # closes the modal; the message shows the payment deleted, with Add to bank

    return submitted


def _after(deps: Deps) -> Callable[..., None]:
    """After a change: every message showing the payments, and the Home tab it came from."""

    def update(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        changed = context.get(CHANGED)
        if not changed:
            return  # refused: nothing changed
        cards.refresh(client, deps, changed["ids"])
        if changed.get("home"):
            home.publish(client, deps, actor_of(body))

    return update


def _state(body: dict[str, Any]) -> dict[str, Any]:
    """The submitted view's input blocks by block id, with what each holds."""
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    return values if isinstance(values, dict) else {}


def _value(body: dict[str, Any], block: str) -> str | None:
    """What was typed or chosen in an input block (its action id is the block id)."""
    block = str(block)
    state = (_state(body).get(block) or {}).get(block) or {}
    chosen = state.get("selected_option")
    if chosen:
        return str(chosen.get("value") or "") or None
    value = state.get("value")
    return None if value is None else str(value)


def _sentence(error: PaybotError, language: Language) -> str:
    """Why the signature was refused, next to the code: a refused code in the signer's language
    (from the refusal's kind and values), anything else as the service said it."""
    said = code_refusal(error, language) or error.user_message
    return _capital(said)[:2000]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
