"""`/bank`: answers only the person who typed it, at once (the answer is the acknowledgement)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App

from paybot.core.errors import PaybotError
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Command
from paybot.handlers.views import bank as views
from paybot.services import people, proposals, search
from paybot.services.common import ActorRef
from paybot.services.ports import UowFactory

_PAGE = re.compile(r"(?:^|\s)page:(\d+)(?=\s|$)")


def register(app: App, deps: Deps) -> None:
    uow = deps.uow

    def on_bank(ack: Ack, command: dict[str, Any]) -> None:
        who = ActorRef(command["user_id"], command.get("team_id"))
        try:
            ack(**answer(uow, who, (command.get("text") or "").strip()))
        except PaybotError as error:
            ack(**views.answer(error.user_message))

    app.command(Command.BANK.value)(on_bank)


def answer(make_uow: UowFactory, who: ActorRef, text: str) -> dict[str, Any]:
    uow = make_uow()
    word, _, rest = text.partition(" ")
    if word in ("", "help"):
        return views.help_answer()
    companies = people.memberships(uow, user=who)
    if not companies:
        return views.answer("You have no role in any company in paybot yet; ask an admin.")
    if word == "status":
        return views.status_answer(
            [
                (m.company.name, proposals.status_counts(uow, company_org_no=m.company.org_no))
                for m in companies
            ]
        )
    if word == "search":
        page = int(match.group(1)) if (match := _PAGE.search(rest)) else 1
        query = _PAGE.sub(" ", rest).strip()
        found = [
            payment
            for m in companies
            for payment in search.search(uow, query=query, company_org_no=m.company.org_no)
        ]
        return views.search_answer(query, found, max(page, 1))
    return views.answer(f"`/bank {word}` is not something I know. " + views.HELP)
