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

    def on_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") not in (None, "home"):
            return
        publish(client, deps, ActorRef(event["user"], body.get("team_id") or None))

    app.event(Event.APP_HOME_OPENED.value)(on_home_opened)


def publish(client: WebClient, deps: Deps, who: ActorRef) -> None:
    """Builds the person's Home tab as things are now and publishes it (after any action)."""
    uow = deps.uow
    memberships = people.memberships(uow(), user=who)
    counts = {
        m.company.org_no: proposals.status_counts(uow(), company_org_no=m.company.org_no)
        for m in memberships
    }
    client.views_publish(user_id=who.slack_user_id, view=home_view(memberships, counts))
