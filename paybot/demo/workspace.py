"""What a person does in the demo's workspace page, turned into the requests Slack would send.

Every click, modal submit, modal close, slash command and Home-tab open becomes the signed HTTP
request Slack sends to an app (payload shapes as Slack's, see the fixtures in shared/fixtures/
slack), posted to paybot's own Slack endpoint; what paybot answers in the acknowledgement
(`response_action` of a modal, the text of a command) is applied as Slack applies it. paybot
cannot tell the page from Slack.

Each load of the page is a client of its own (`client`), as each Slack client is: the modals a
person opens there show there only, and a page loaded again starts with none.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import count
from typing import Any

from paybot.sandbox.slack_api import FakeSlack, ResponseTarget

APP_ID = "A0PAYBOT"
COMMAND = "/bank"  # the one slash command paybot's manifest declares
_event_numbers = count(1)


class ActionRefused(Exception):
    """A request from the page that Slack would not send (an unknown view, a stale message)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Sent:
    """paybot's answer to one request: HTTP status and body."""

    status: int
    body: str

    def json(self) -> dict[str, Any]:
        """The acknowledgement's JSON body, {} when it is empty (or not JSON)."""
        try:
            answer = json.loads(self.body) if self.body.strip() else {}
        except json.JSONDecodeError:
            return {}
        return answer if isinstance(answer, dict) else {}


class Workspace:
    """The demo's Slack: its Web API state (`slack`) and the way to paybot's endpoint."""

    def __init__(
        self, slack: FakeSlack, *, root: str, signing_secret: str, domain: str = "paybot-demo"
    ) -> None:
        self.slack = slack
        self.root = root.rstrip("/")
        self.endpoint = f"{self.root}/slack/events"
        self._secret = signing_secret.encode()
        self.domain = domain

    # --- the requests ---------------------------------------------------------------------------

    def post(self, body: str, content_type: str) -> Sent:
        """A request signed as Slack signs it (v0, HMAC-SHA256 of the timestamp and body)."""
        timestamp = str(int(time.time()))
        digest = hmac.new(
            self._secret, f"v0:{timestamp}:{body}".encode(), hashlib.sha256
        ).hexdigest()
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": f"v0={digest}",
        }
        request = urllib.request.Request(self.endpoint, body.encode(), headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Sent(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Sent(error.code, error.read().decode())

    def _interact(self, payload: dict[str, Any]) -> Sent:
        body = "payload=" + urllib.parse.quote(json.dumps(payload))
        return self.post(body, "application/x-www-form-urlencoded")

    def _user(self, user: str) -> dict[str, Any]:
        person = self.slack.users.get(user)
        if person is None:
            raise ActionRefused(f"there is nobody called {user} in this workspace")
        name = str(person.get("name") or user)
        return {"id": user, "username": name, "name": name, "team_id": self.slack.team_id}

    def _common(self, user: str) -> dict[str, Any]:
        return {
            "user": self._user(user),
            "api_app_id": APP_ID,
            "token": "",
            "team": {"id": self.slack.team_id, "domain": self.domain},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    # --- what a person does ---------------------------------------------------------------------

    def click(
        self,
        user: str,
        container: Mapping[str, Any],
        action: Mapping[str, Any],
        values: Mapping[str, Any] | None = None,
        *,
        client: str = "",
    ) -> Sent:
        """A button, overflow option, select or date picked in a message, the Home tab or a
        modal (of `client`): a block_actions payload as Slack sends it."""
        payload = self._common(user) | {
            "type": "block_actions",
            "trigger_id": self.slack.new_trigger(user, client),
            "actions": [self._action(action)],
        }
        if container.get("type") == "view":
            view = self._view(user, client, str(container.get("view_id") or ""), values)
            payload |= {
                "container": {"type": "view", "view_id": view["id"]},
                "view": view,
            }
        else:
            payload |= self._message_part(user, container)
        return self._interact(payload)

    def _message_part(self, user: str, container: Mapping[str, Any]) -> dict[str, Any]:
        channel, ts = str(container.get("channel") or ""), str(container.get("ts") or "")
        ephemeral = bool(container.get("ephemeral"))
        if ephemeral:
            shown = next((e for e in self.slack.ephemerals if e.ts == ts and e.user == user), None)
            message = None if shown is None else shown.body
        else:
            message = self.slack.messages.get((channel, ts))
        if message is None:
            raise ActionRefused("that message is no longer there")
        target = ResponseTarget(user, channel, ts, ephemeral)
        return {
            "container": {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            },
            "channel": {"id": channel, "name": self.slack.channels.get(channel, channel)},
            "message": {
                "type": "message",
                "user": self.slack.bot_user_id,
                "bot_id": "B0PAYBOT",
                "ts": ts,
                "text": message.get("text", ""),
                "blocks": _json_list(message.get("blocks")),
            },
            "state": {"values": {}},
            "response_url": self.slack.new_response_url(self.root, target),
        }

    @staticmethod
    def _action(action: Mapping[str, Any]) -> dict[str, Any]:
        kind = str(action.get("type") or "button")
        shown = {
            "action_id": str(action.get("action_id") or ""),
            "block_id": str(action.get("block_id") or ""),
            "type": kind,
            "action_ts": f"{time.time():.6f}",
        }
        for key in ("value", "text", "selected_option", "selected_date", "selected_options"):
            if key in action:
                shown[key] = action[key]
        return shown

    def _view(
        self, user: str, client: str, view_id: str, values: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """The view as Slack puts it in a payload: with the state of its inputs. Only a view
        open in the person's `client` (a modal there, or their App Home)."""
        view = self.slack.views.get(view_id)
        modals = self.slack.modal_stack(user, client)
        if view is None or view_id not in [*modals, self.slack.homes.get(user)]:
            raise ActionRefused(f"there is no view {view_id} open")
        stack = modals or [view_id]
        return {
            "team_id": self.slack.team_id,
            "app_id": APP_ID,
            "bot_id": "B0PAYBOT",
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": None,
            "root_view_id": stack[0],
            **view,
            "blocks": _json_list(view.get("blocks")),
            "state": {"values": dict(values or {})},
        }

    def submit(
        self, user: str, view_id: str, values: Mapping[str, Any], *, client: str = ""
    ) -> dict[str, str]:
        """A modal's submit button (in `client`): view_submission, and the acknowledgement
        applied as Slack applies it. Returns the field errors paybot answered ({} when none)."""
        view = self._view(user, client, view_id, values)
        payload = self._common(user) | {
            "type": "view_submission",
            "trigger_id": self.slack.new_trigger(user, client),
            "view": view,
            "response_urls": [],
        }
        sent = self._interact(payload)
        if sent.status != 200:
            raise ActionRefused(f"paybot answered HTTP {sent.status}")
        answer = sent.json()
        action = answer.get("response_action")
        if action == "errors":
            errors = answer.get("errors") or {}
            return {str(k): str(v) for k, v in errors.items()}
        problem = None
        if action == "update":
            problem = self.slack.replace_view(view_id, _json_dict(answer.get("view")))
        elif action == "push":
            problem = self.slack.push_view(user, _json_dict(answer.get("view")), client=client)
        else:  # "clear" closes every view of the stack; no answer closes the one submitted
            self.slack.close_view(user, client=client, all_views=action == "clear")
        if problem:
            raise ActionRefused(f"Slack refused paybot's view ({problem})")
        return {}

    def close(self, user: str, view_id: str, *, client: str = "") -> Sent | None:
        """A modal's close button (or back arrow) in `client`: view_closed if the view asked
        for it."""
        view = self._view(user, client, view_id, None)
        self.slack.close_view(user, client=client)
        if not view.get("notify_on_close"):
            return None
        payload = self._common(user) | {"type": "view_closed", "view": view, "is_cleared": False}
        return self._interact(payload)

    def command(self, user: str, channel: str, line: str, *, client: str = "") -> Sent | None:
        """A slash command typed in the message box (of `client`, where a modal it opens
        shows). Slack answers an unknown one itself."""
        word, _, text = line.strip().partition(" ")
        if word != COMMAND:
            self.slack.say_ephemeral(
                user, channel, {"text": f"`{word}` is not a valid command. Try `{COMMAND} help`."}
            )
            return None
        person = self._user(user)
        form = {
            "token": "",
            "team_id": self.slack.team_id,
            "team_domain": self.domain,
            "channel_id": channel,
            "channel_name": self.slack.channels.get(channel, channel).lstrip("#@"),
            "user_id": user,
            "user_name": person["name"],
            "command": COMMAND,
            "text": text.strip(),
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.slack.new_response_url(self.root, ResponseTarget(user, channel)),
            "trigger_id": self.slack.new_trigger(user, client),
        }
        sent = self.post(urllib.parse.urlencode(form), "application/x-www-form-urlencoded")
        answer = sent.json()
        if sent.status == 200 and (answer.get("text") or answer.get("blocks")):
            if answer.get("response_type") == "in_channel":
                self.slack.answer(
                    "chat.postMessage", {**answer, "channel": channel}, self.slack.token
                )
            else:
                self.slack.say_ephemeral(user, channel, answer)
        elif sent.status != 200:
            self.slack.say_ephemeral(
                user, channel, {"text": f'{COMMAND} failed with the error "http_{sent.status}"'}
            )
        return sent

    def open_home(self, user: str) -> Sent:
        """The App Home tab opened: an app_home_opened event."""
        self._user(user)
        now = time.time()
        event = {
            "token": "",
            "team_id": self.slack.team_id,
            "api_app_id": APP_ID,
            "event": {
                "type": "app_home_opened",
                "user": user,
                "channel": f"D{user}",
                "tab": "home",
                "event_ts": f"{now:.6f}",
                **({"view": {"id": v}} if (v := self.slack.homes.get(user)) else {}),
            },
            "type": "event_callback",
            "event_id": f"Ev{int(now)}{next(_event_numbers):06d}",
            "event_time": int(now),
            "authorizations": [
                {
                    "team_id": self.slack.team_id,
                    "user_id": self.slack.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
        return self.post(json.dumps(event), "application/json")


def _json_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return list(value or [])


def _json_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return dict(value or {})
