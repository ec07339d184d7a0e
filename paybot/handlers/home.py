"""The App Home tab: published when the person opens it, when they press Refresh, and by any
listener after an action (`publish`)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from paybot.core.posting import POSTING_ROLES
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Act, Event
from paybot.handlers.views.home import PER_STATUS, SHOWN, CompanyHome, home_view
from paybot.services import incoming_summary, people, proposals, search, slack_records
from paybot.services.common import ActorRef

log = logging.getLogger("paybot.slack")


def register(app: App, deps: Deps) -> None:
    def on_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") not in (None, "home"):
            return
        publish(client, deps, ActorRef(event["user"], body.get("team_id") or None))

    def on_refresh(body: dict[str, Any], client: WebClient) -> None:
        user = body["user"]
        publish(client, deps, ActorRef(user["id"], user.get("team_id") or None))

    # Building the tab reads the database: after the acknowledgement, not before it.
    app.event(Event.APP_HOME_OPENED.value)(ack=_ack, lazy=[on_home_opened])
    app.action(Act.HOME_REFRESH.value)(ack=_ack, lazy=[on_refresh])


def _ack(ack: Ack) -> None:
    ack()


def publish(client: WebClient, deps: Deps, who: ActorRef, *, notice: str | None = None) -> None:
    """Builds the person's Home tab as things are now and publishes it (after any action);
    `notice`, what their click on the tab did, at its top (in this publish only)."""
    with deps.follow_ups.when_quiet():
        now = deps.clock()
        view = home_view(_homes(deps, who, now), now, deps.zone, notice)
    try:
        client.views_publish(user_id=who.slack_user_id, view=view)
    except SlackApiError as error:
        # The person's tab stays as it was; nothing else depends on it.
        log.warning("could not publish the Home tab of %s: %s", who.slack_user_id, error)


def _homes(deps: Deps, who: ActorRef, now: datetime) -> list[CompanyHome]:
    uow = deps.uow
    homes = []
    for membership in people.memberships(uow(), user=who):
        org_no = membership.company.org_no
        counts = proposals.status_counts(uow(), company_org_no=org_no)
        members = people.list_users(uow(), company_org_no=org_no, now=now)
        lists = {
            status: search.search(
                uow(), query=f"status:{status.value}", company_org_no=org_no, limit=PER_STATUS
            )
            for status in SHOWN
            if counts.get(status)
        }
        listed = [payment.id for payments in lists.values() for payment in payments]
        # Unmatched incoming payments only for those who may post them.
        waiting, first = (
            incoming_summary.unmatched(uow(), company_org_no=org_no, limit=PER_STATUS)
            if not POSTING_ROLES.isdisjoint(membership.roles)
            else (0, [])
        )
        homes.append(
            CompanyHome(
                company=membership.company,
                roles=membership.roles,
                me=next((m for m in members if m.slack_user_id == who.slack_user_id), None),
                counts=counts,
                lists=lists,
                steps=slack_records.last_steps(uow(), payment_ids=listed) if listed else {},
                incoming_count=waiting,
                incoming=first,
            )
        )
    return homes
