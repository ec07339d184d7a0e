"""The App Home tab, published whenever the person opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from paybot.handlers.deps import Deps
from paybot.handlers.ids import Event
from paybot.handlers.views.home import home_view
from paybot.services import people, proposals
from paybot.services.common import ActorRef


def register(app: App, deps: Deps) -> None:
    uow = deps.uow

    def on_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") not in (None, "home"):
            return
        who = ActorRef(event["user"], body.get("team_id"))
        memberships = people.memberships(uow(), user=who)
        counts = {
            m.company.org_no: proposals.status_counts(uow(), company_org_no=m.company.org_no)
            for m in memberships
        }
        client.views_publish(user_id=event["user"], view=home_view(memberships, counts))

    app.event(Event.APP_HOME_OPENED.value)(on_home_opened)
