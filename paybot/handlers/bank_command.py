"""`/bank`: answers only the person who typed it. Text answers are the acknowledgement itself;
`/bank` alone, `/bank enroll` and `/bank limits set` open a modal at once (after the ack, with
the trigger id)."""

from __future__ import annotations

import logging
import re
import shlex
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from paybot.core.company import Language
from paybot.core.errors import PaybotError, QueryError
from paybot.core.search_query import parse_query
from paybot.handlers import enroll, limits
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Block, Command, View
from paybot.handlers.views import bank as views
from paybot.handlers.views import incoming as incoming_views
from paybot.services import people, proposals, search
from paybot.services.common import ActorRef

log = logging.getLogger("paybot.slack")

# A page term, taken out of the query where it is shown as the title of its matches.
_PAGE_TERM = re.compile(r"(?:^|(?<=\s))page:\S*(?:\s+|$)", re.IGNORECASE)


def register(app: App, deps: Deps) -> None:
    def on_bank(ack: Ack, command: dict[str, Any]) -> None:
        word, rest = _split(command)
        if _in_a_modal(word, rest):
            ack()  # the modal opens right after, from the lazy listener
            return
        try:
            ack(**answer(deps, _who(command), word, rest))
        except PaybotError as error:
            ack(**views.answer(error.user_message))

    def open_modal(command: dict[str, Any], client: WebClient) -> None:
        word, rest = _split(command)
        if word == "":
            open_search(client, deps, _who(command), command["trigger_id"])
        elif word == "enroll":
            enroll.start(client, deps, _who(command), command["trigger_id"], rest)
        elif _in_a_modal(word, rest):
            org_no = rest.split(maxsplit=1)[1:]
            limits.open_form(client, deps, _who(command), command["trigger_id"], "".join(org_no))

    def on_search(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        terms, errors = search_terms(view["state"]["values"])
        if errors:
            ack(response_action="errors", errors=errors)
            return
        user = body["user"]
        who = ActorRef(user["id"], user.get("team_id") or None)
        ack(response_action="update", view=search_results(deps, who, " ".join(terms)))

    app.command(Command.BANK.value)(ack=on_bank, lazy=[open_modal])
    app.view(View.SEARCH.value)(on_search)


def _who(command: dict[str, Any]) -> ActorRef:
    return ActorRef(command["user_id"], command.get("team_id") or None)


def _in_a_modal(word: str, rest: str) -> bool:
    """`/bank`, `/bank enroll [ORGNO]` and `/bank limits set [ORGNO]` answer with a modal."""
    return word in ("", "enroll") or (word == "limits" and rest.lower().split()[:1] == ["set"])


def _split(command: dict[str, Any]) -> tuple[str, str]:
    word, _, rest = (command.get("text") or "").strip().partition(" ")
    return word.lower(), rest.strip()


def answer(deps: Deps, who: ActorRef, word: str, rest: str) -> dict[str, Any]:
    """The ephemeral answer to `/bank WORD REST`."""
    if word == "search":
        return _search_answer(deps, who, rest)
    companies = people.memberships(deps.uow(), user=who)
    language = views.language_of([m.company for m in companies])
    if word == "help":
        return views.help_answer(language)
    if not companies:
        return views.no_role(language)
    if word == "status":
        counts = [
            (m.company.name, proposals.status_counts(deps.uow(), company_org_no=m.company.org_no))
            for m in companies
        ]
        return views.status_answer(counts, language)
    if word == "limits":
        if rest:
            return limits.set_from_text(deps, who, companies, rest)
        return limits.show(deps, who, companies)
    return views.unknown(word, language)


def _search_answer(deps: Deps, who: ActorRef, rest: str) -> dict[str, Any]:
    try:
        incoming = parse_query(rest).incoming
    except QueryError as error:  # said in the person's language (the fields by their names)
        companies = [m.company for m in people.memberships(deps.uow(), user=who)]
        return views.refusal_answer(error, views.language_of(companies))
    if incoming:
        return _incoming_answer(deps, who, rest)
    found = search.person_matches(deps.uow(), user=who, query=rest, limit=views.PAGE)
    language = views.language_of(found.companies)
    if not found.companies:
        return views.no_role(language)
    title = _PAGE_TERM.sub("", rest).strip()
    return views.search_answer(title, found.payments, found.total, found.page, language)


def _incoming_answer(deps: Deps, who: ActorRef, rest: str) -> dict[str, Any]:
    """`/bank search direction:in ...`: incoming payments, unmatched ones with their buttons."""
    per_page = incoming_views.PAGE
    found = search.incoming_matches(deps.uow(), user=who, query=rest, limit=per_page)
    language = views.language_of(found.companies)
    if not found.companies:
        return views.no_role(language)
    title = _PAGE_TERM.sub("", rest).strip()
    return incoming_views.search_answer(
        title, found.lines, found.total, found.page, per_page, language
    )


def open_search(client: WebClient, deps: Deps, who: ActorRef, trigger_id: str) -> None:
    """The search form, opened before anything is read; then put in the person's language."""
    opened = client.views_open(trigger_id=trigger_id, view=views.search_modal(Language.EN))
    companies = [m.company for m in people.memberships(deps.uow(), user=who)]
    language = views.language_of(companies)
    if companies and language is Language.EN:
        return
    if companies:
        view = views.search_modal(language)
    else:
        view = views.notice_modal(
            View.SEARCH, views.SEARCH(language), views.NO_ROLE(language), language
        )
    # The hash makes Slack refuse the update if the person has already searched meanwhile.
    extra = {"hash": opened["view"]["hash"]} if opened["view"].get("hash") else {}
    try:
        client.views_update(view_id=opened["view"]["id"], view=view, **extra)
    except SlackApiError as error:
        log.info("search modal of %s not updated: %s", who.slack_user_id, error)


def search_terms(values: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The search form as the CLI's query terms, and an error per field that cannot be read."""

    def state(block: Block) -> dict[str, Any]:
        found: dict[str, Any] = (values.get(block.value) or {}).get(block.value) or {}
        return found

    def text(block: Block, *, spaces: bool = True) -> str:
        value = str(state(block).get("value") or "").strip()
        return value if spaces else "".join(value.split())

    terms: list[tuple[Block, str]] = []
    for block, name, value in (
        (Block.SEARCH_TO, "to", text(Block.SEARCH_TO)),
        (Block.SEARCH_COMPANY, "company", text(Block.SEARCH_COMPANY)),
        (Block.SEARCH_AMOUNT, "amount", text(Block.SEARCH_AMOUNT, spaces=False)),
        (Block.SEARCH_CURRENCY, "currency", text(Block.SEARCH_CURRENCY, spaces=False)),
    ):
        if value:
            terms.append((block, f"{name}:{shlex.quote(value)}"))
    start = state(Block.SEARCH_DUE).get("selected_date") or ""
    end = state(Block.SEARCH_DUE_TO).get("selected_date") or ""
    if start or end:
        terms.append((Block.SEARCH_DUE_TO if end else Block.SEARCH_DUE, f"due:{start}..{end}"))
    statuses = [o["value"] for o in state(Block.SEARCH_STATUS).get("selected_options") or []]
    if statuses:
        terms.append((Block.SEARCH_STATUS, "status:" + ",".join(statuses)))
    errors: dict[str, str] = {}
    for block, term in terms:
        try:
            parse_query(term)
        except QueryError as error:
            errors[block.value] = error.user_message
    return [term for _, term in terms], errors


def search_results(deps: Deps, who: ActorRef, query: str) -> dict[str, Any]:
    """The modal after a search: only companies the person has a role in are searched."""
    companies = [m.company for m in people.memberships(deps.uow(), user=who)]
    language = views.language_of(companies)
    if not companies:
        return views.notice_modal(
            View.SEARCH, views.SEARCH(language), views.NO_ROLE(language), language
        )
    found = []
    for company in companies:
        page = search.matches(
            deps.uow(), query=query, company_org_nos=[company.org_no], limit=views.MAX_VIEW_BLOCKS
        )
        found.append(views.Found(company, page.payments, page.total))
    return views.search_results(query, found, language)
