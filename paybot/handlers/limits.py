"""`/bank limits`: a person's roles, signing limits and code state per company; admins set other
people's limits by command (`/bank limits U0123ABC per-payment 50000 per-day 200000`) or with
a form (`/bank limits set`). The rule "only an admin" is the service's (`admin.set_limits`)."""

from __future__ import annotations

import json
import logging
import re
from decimal import Decimal
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from paybot.core.company import CompanyInfo, Language
from paybot.core.errors import PaybotError, ValidationFailed
from paybot.core.money import AmountError, parse_amount
from paybot.core.policy import Role
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Block, View
from paybot.handlers.views import bank as views
from paybot.handlers.views.blocks import escape
from paybot.services import admin, people
from paybot.services.common import KEEP, ActorRef, Keep
from paybot.services.people import Membership

log = logging.getLogger("paybot.slack")

# A person as Slack sends them in a command's text: <@U123> or <@U123|name> (escaped), or U123.
_PERSON = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|@?([UW][A-Z0-9]{2,})")
_ORG_NO = re.compile(r"[0-9]{9}")
_KEYS = {
    "per-payment": "per_payment",
    "per_payment": "per_payment",
    "payment": "per_payment",
    "per-day": "per_day",
    "per_day": "per_day",
    "day": "per_day",
    "company": "company",
    "org": "company",
}
_NO_LIMIT = ("none", "ingen", "-")

Limit = Decimal | None | Keep


def register(app: App, deps: Deps) -> None:
    def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack(**submitted(deps, _who(body), view))

    app.view(View.LIMITS.value)(on_submit)


def _who(body: dict[str, Any]) -> ActorRef:
    user = body["user"]
    return ActorRef(user["id"], user.get("team_id") or None)


def show(deps: Deps, who: ActorRef, companies: list[Membership]) -> dict[str, Any]:
    """The person's roles, limits and code per company; an admin sees everyone's."""
    now, entries = deps.clock(), []
    for m in companies:
        members = people.list_users(deps.uow(), company_org_no=m.company.org_no, now=now)
        me = next((p for p in members if p.slack_user_id == who.slack_user_id), None)
        everyone = members if Role.ADMIN in m.roles else []
        entries.append(views.CompanyLimits(m.company, m.roles, me, everyone))
    return views.limits_answer(entries)


def administered(companies: list[Membership], org_no: str, language: Language) -> CompanyInfo:
    """The company an admin means: the one named, or the only one they administer."""
    mine = [m.company for m in companies if Role.ADMIN in m.roles]
    chosen = [c for c in mine if c.org_no == org_no] if org_no else mine
    if org_no and not chosen:
        raise PaybotError(views.NOT_ADMIN_OF(language, org_no=escape(org_no)))
    if not chosen:
        raise PaybotError(views.NOT_ADMIN(language))
    if len(chosen) > 1:
        choices = ", ".join(f"{escape(c.name)} ({c.org_no})" for c in mine)
        raise PaybotError(views.WHICH_COMPANY(language, choices=choices))
    return chosen[0]


def set_from_text(
    deps: Deps, who: ActorRef, companies: list[Membership], rest: str
) -> dict[str, Any]:
    """`/bank limits PERSON [ORGNO] per-payment N|none per-day N|none [company ORGNO]`, PERSON
    being <@U123>, <@U123|name> (escaped by Slack) or the member ID U123."""
    language = views.language_of([m.company for m in companies])
    person, org_no, limits = _limits_args(rest, language)
    company = administered(companies, org_no, language)
    member = admin.set_limits(
        deps.uow(),
        actor=who,
        company_org_no=company.org_no,
        user=ActorRef(person, who.slack_team_id),
        max_per_payment=limits.get("per_payment", KEEP),
        max_per_day=limits.get("per_day", KEEP),
        now=deps.clock(),
    )
    return views.limits_set(member, company)


def _limits_args(rest: str, language: Language) -> tuple[str, str, dict[str, Limit]]:
    """(Slack user id, organisation number or "", {"per_payment"/"per_day": amount or None})."""
    words = rest.split()
    match = _PERSON.fullmatch(words[0]) if words else None
    if match is None and words and words[0].startswith("@"):
        raise PaybotError(views.NAME_AS_TEXT(language, name=escape(words[0])))
    if match is None:
        raise PaybotError(views.NAME_PERSON(language))
    person = match.group(1) or match.group(2)
    org_no, key = "", None
    values: dict[str, list[str]] = {}
    for word in words[1:]:
        if word.lower() in _KEYS:
            key = _KEYS[word.lower()]
            values[key] = []
        elif key is None and _ORG_NO.fullmatch(word):
            org_no = word
        elif key is None:
            raise PaybotError(views.NOT_A_WORD(language, word=escape(word)))
        else:
            values[key].append(word)
    limits: dict[str, Limit] = {}
    for name, parts in values.items():
        text = "".join(parts)  # "50 000" arrives as two words
        if name == "company":
            org_no = text
            continue
        problem = _limit(text, limits, name)
        if problem:
            label = name.replace("_", "-")
            raise PaybotError(views.BAD_LIMIT(language, name=label, problem=problem))
    if not limits:
        raise PaybotError(views.GIVE_LIMITS(language))
    return person, org_no, limits


def _limit(text: str, limits: dict[str, Limit], name: str) -> str | None:
    """Reads one limit into `limits`; returns what is wrong with it, if anything."""
    if text.lower() in _NO_LIMIT:
        limits[name] = None
        return None
    try:
        limits[name] = parse_amount(text)
    except AmountError as error:
        return str(error)
    return None


# --- the form -----------------------------------------------------------------------------


def open_form(client: WebClient, deps: Deps, who: ActorRef, trigger_id: str, org_no: str) -> None:
    """Opens the form at once; then tells a non-admin, or speaks the company's language."""
    opened = client.views_open(trigger_id=trigger_id, view=views.limits_modal(Language.EN, org_no))
    companies = people.memberships(deps.uow(), user=who)
    language = views.language_of([m.company for m in companies])
    try:
        administered(companies, org_no, language)
        if language is Language.EN:
            return
        view = views.limits_modal(language, org_no)
    except PaybotError as error:
        view = views.notice_modal(
            View.LIMITS, views.LIMITS_TITLE(language), error.user_message, language
        )
    extra = {"hash": opened["view"]["hash"]} if opened["view"].get("hash") else {}
    try:
        client.views_update(view_id=opened["view"]["id"], view=view, **extra)
    except SlackApiError as error:
        log.info("limits form of %s not updated: %s", who.slack_user_id, error)


def submitted(deps: Deps, who: ActorRef, view: dict[str, Any]) -> dict[str, Any]:
    """The acknowledgement of the form: errors on its fields, or what the limits are now."""
    meta = json.loads(view.get("private_metadata") or "{}")
    language, org_no = Language(meta.get("language", "en")), str(meta.get("org_no", ""))
    values = view["state"]["values"]
    person = ((values.get(Block.LIMIT_USER.value) or {}).get(Block.LIMIT_USER.value) or {}).get(
        "selected_user"
    )
    limits: dict[str, Limit] = {}
    errors: dict[str, str] = {}
    for block, name in ((Block.LIMIT_PER_PAYMENT, "per_payment"), (Block.LIMIT_PER_DAY, "per_day")):
        state = (values.get(block.value) or {}).get(block.value) or {}
        text = "".join(str(state.get("value") or "").split())
        problem = _limit(text, limits, name) if text else None
        if problem:
            errors[block.value] = problem
    if not person:
        errors[Block.LIMIT_USER.value] = views.NAME_PERSON(language)
    if not limits and not errors:
        errors[Block.LIMIT_PER_PAYMENT.value] = views.GIVE_LIMITS(language)
    if errors:
        return {"response_action": "errors", "errors": errors}
    first = Block.LIMIT_PER_PAYMENT if "per_payment" in limits else Block.LIMIT_PER_DAY
    try:
        companies = people.memberships(deps.uow(), user=who)
        company = administered(companies, org_no, language)
        member = admin.set_limits(
            deps.uow(),
            actor=who,
            company_org_no=company.org_no,
            user=ActorRef(str(person), who.slack_team_id),
            max_per_payment=limits.get("per_payment", KEEP),
            max_per_day=limits.get("per_day", KEEP),
            now=deps.clock(),
        )
    except ValidationFailed as error:  # a limit that is not a positive amount
        return {"response_action": "errors", "errors": {first.value: error.user_message}}
    except PaybotError as error:  # not an admin, or a person without a role there
        return {"response_action": "errors", "errors": {Block.LIMIT_USER.value: error.user_message}}
    text = views.limits_set(member, company)["text"]
    return {
        "response_action": "update",
        "view": views.notice_modal(View.LIMITS, views.LIMITS_TITLE(language), text, language),
    }
