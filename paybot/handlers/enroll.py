"""`/bank enroll [ORGNO]`: a modal opens at once; then the person's authenticator is enrolled, the
QR code goes to them as a file in their direct message with paybot, and the modal asks for the
first code, which confirms the device."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlparse

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from paybot.core.company import Language
from paybot.core.errors import PaybotError, ValidationFailed
from paybot.handlers import home
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Block, View
from paybot.handlers.views import enroll as views
from paybot.handlers.views.bank import language_of
from paybot.services import otp, people
from paybot.services.common import ActorRef

log = logging.getLogger("paybot.slack")


def register(app: App, deps: Deps) -> None:
    def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        language = views.language_in(view.get("private_metadata") or "")
        state = view["state"]["values"].get(Block.CODE.value, {}).get("code", {})
        code = "".join(str(state.get("value") or "").split())
        try:
            otp.confirm(deps.uow(), deps.box(), user=_who(body), code=code, now=deps.clock())
        except PaybotError as error:
            ack(response_action="errors", errors={Block.CODE.value: error.user_message})
            return
        ack(response_action="update", view=views.ready(language))

    def show_code_state(body: dict[str, Any], client: WebClient) -> None:
        home.publish(client, deps, _who(body))  # the Home tab tells the code's state

    app.view(View.ENROLL.value)(ack=on_submit, lazy=[show_code_state])


def start(client: WebClient, deps: Deps, who: ActorRef, trigger_id: str, org_no: str) -> None:
    """Opens the modal at once (the trigger lives 3 s), then does the slow work and fills it."""
    opened = client.views_open(trigger_id=trigger_id, view=views.preparing())
    view_id = opened["view"]["id"]
    try:
        view = _enroll(client, deps, who, org_no.replace(" ", ""))
    except PaybotError as error:
        view = views.notice(error.user_message, Language.EN)
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as error:  # closed meanwhile: the code, if sent, is in their DM
        log.info("enroll modal of %s gone: %s", who.slack_user_id, error)


def _enroll(client: WebClient, deps: Deps, who: ActorRef, org_no: str) -> dict[str, Any]:
    memberships = people.memberships(deps.uow(), user=who)
    companies = [m.company for m in memberships]
    language = language_of(companies)
    if not companies:
        return views.no_role(language)
    chosen = [c for c in companies if c.org_no == org_no] if org_no else companies
    if len(chosen) != 1:
        return views.choose(companies, language, org_no)
    company = chosen[0]
    language = company.language
    try:
        enrollment = otp.enroll(
            deps.uow(), deps.box(), company_org_no=company.org_no, user=who, now=deps.clock()
        )
    except ValidationFailed:
        return views.notice(views.ACTIVE(language), language)
    try:
        dm = client.conversations_open(users=who.slack_user_id)["channel"]["id"]
        client.files_upload_v2(
            channel=dm,
            file=views.qr_png(enrollment.uri),
            filename=views.FILENAME,
            title=views.DM_TITLE(language),
            initial_comment=views.DM_TEXT(language),
        )
    except SlackApiError as error:
        log.warning("could not send %s their QR code: %s", who.slack_user_id, error)
        reason = str(error.response.get("error") or "slack error")
        return views.notice(views.NOT_SENT(language, error=reason), language)
    secret = parse_qs(urlparse(enrollment.uri).query)["secret"][0]
    return views.ask_code(language, org_no=company.org_no, setup_key=secret)


def _who(body: dict[str, Any]) -> ActorRef:
    user = body["user"]
    return ActorRef(user["id"], user.get("team_id") or None)
