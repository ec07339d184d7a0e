"""The manifest and the code agree: the command and events the app listens to, exactly the bot
scopes of the Web API methods the code calls, and every action and view callback id in ids.py
has a listener (the manifest names no action ids, so ids.py is their one list)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk import WebClient

import paybot.app
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Act, Command, Event, View
from paybot.sandbox.slack_http import FakeSlackServer
from tests.builders import BOX, OSLO

ROOT = Path(__file__).parents[2]
MANIFEST = ROOT / "manifests" / "slack-app.yaml"

# The bot scope each Web API method needs (None: none). A method the code calls that is not
# here fails the scope test: look its scope up at docs.slack.dev/reference/methods and add it.
SCOPES: dict[str, str | None] = {
    "auth_test": None,
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "chat_delete": "chat:write",
    "conversations_open": "im:write",
    "files_upload_v2": "files:write",
    "files_getUploadURLExternal": "files:write",
    "files_completeUploadExternal": "files:write",
    "users_info": "users:read",
    "views_open": None,
    "views_update": None,
    "views_push": None,
    "views_publish": None,
}
_CALL = re.compile(r"\.([a-z]+_[A-Za-z0-9_]+)\(")
_SAY = re.compile(r"\bsay\(")  # Bolt's say() is chat.postMessage


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return data


def web_api_calls() -> set[str]:
    """Every slack_sdk WebClient method called somewhere in paybot (the local fake excluded)."""
    found: set[str] = set()
    for path in (ROOT / "paybot").rglob("*.py"):
        if "sandbox" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        found |= {
            name for name in _CALL.findall(source) if callable(getattr(WebClient, name, None))
        }
        if _SAY.search(source):
            found.add("chat_postMessage")
    return found


class _Recording(paybot.app.PaybotApp):
    """A Bolt App that remembers the id each listener is registered for, by kind."""

    seen: dict[str, set[str | re.Pattern[str]]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen = defaultdict(set)

    def _note(self, kind: str, constraints: Any, key: str) -> None:
        self.seen[kind].add(constraints.get(key) if isinstance(constraints, dict) else constraints)

    def command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("command", command, "")
        return super().command(command, *args, **kwargs)

    def event(self, event: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("event", event, "type")
        return super().event(event, *args, **kwargs)

    def action(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("action", constraints, "action_id")
        return super().action(constraints, *args, **kwargs)

    def block_action(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("action", constraints, "action_id")
        return super().block_action(constraints, *args, **kwargs)

    def view(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("view", constraints, "callback_id")
        return super().view(constraints, *args, **kwargs)

    def view_submission(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("view", constraints, "callback_id")
        return super().view_submission(constraints, *args, **kwargs)

    def view_closed(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("view", constraints, "callback_id")
        return super().view_closed(constraints, *args, **kwargs)

    # Listeners the manifest would need more for (shortcuts, options URL, message events).
    def shortcut(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("unsupported", constraints, "callback_id")
        return super().shortcut(constraints, *args, **kwargs)

    def options(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("unsupported", constraints, "action_id")
        return super().options(constraints, *args, **kwargs)

    def message(self, keyword: Any = "", *args: Any, **kwargs: Any) -> Any:
        self._note("unsupported", f"message {keyword}", "")
        return super().message(keyword, *args, **kwargs)


def _no_database() -> Any:
    raise AssertionError("registering listeners must not touch the database")


@pytest.fixture(scope="module")
def listeners() -> Iterator[dict[str, set[str | re.Pattern[str]]]]:
    """The ids of the listeners of the app `create_app` builds, as it builds it."""
    with FakeSlackServer() as fake, pytest.MonkeyPatch.context() as patch:
        patch.setattr(paybot.app, "PaybotApp", _Recording)
        app = paybot.app.create_app(
            token=fake.slack.token,
            signing_secret="secret",
            api_url=fake.url,
            deps=Deps(uow=_no_database, box=lambda: BOX, zone=OSLO),
        )
        assert isinstance(app, _Recording)
        yield app.seen


def covered(registered: set[str | re.Pattern[str]], known: set[str]) -> tuple[set[str], set[Any]]:
    """(known ids with a listener, registered ids or patterns matching no known id)."""
    matched: set[str] = set()
    strays: set[Any] = set()
    for item in registered:
        hits = {
            k for k in known if (item.fullmatch(k) if isinstance(item, re.Pattern) else item == k)
        }
        matched |= hits
        if not hits:
            strays.add(item)
    return matched, strays


def test_the_command_in_the_manifest_is_the_one_the_app_listens_to(
    listeners: dict[str, set[Any]],
) -> None:
    listed = {command["command"] for command in manifest()["features"]["slash_commands"]}
    assert listed == {command.value for command in Command}
    assert listeners["command"] == listed


def test_the_events_in_the_manifest_are_the_ones_the_app_listens_to(
    listeners: dict[str, set[Any]],
) -> None:
    listed = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert listed == {event.value for event in Event}
    assert listeners["event"] == listed


def test_every_action_id_has_a_listener_and_every_action_listener_a_known_id(
    listeners: dict[str, set[Any]],
) -> None:
    matched, strays = covered(listeners["action"], {act.value for act in Act})
    assert strays == set(), "action listeners for ids not in ids.Act"
    assert {act.value for act in Act} - matched == set(), "ids.Act ids nobody listens to"


def test_every_view_callback_has_a_listener_and_every_view_listener_a_known_id(
    listeners: dict[str, set[Any]],
) -> None:
    matched, strays = covered(listeners["view"], {view.value for view in View})
    assert strays == set(), "view listeners for callback ids not in ids.View"
    assert {view.value for view in View} - matched == set(), "ids.View callbacks nobody handles"


def test_no_listener_needs_what_the_manifest_does_not_set_up(
    listeners: dict[str, set[Any]],
) -> None:
    # Shortcuts, external select options and message events each need manifest entries.
    assert listeners["unsupported"] == set()


def test_the_bot_asks_for_exactly_the_scopes_it_uses() -> None:
    calls = web_api_calls()
    unknown = calls - SCOPES.keys()
    assert unknown == set(), f"add the scope of {sorted(unknown)} to SCOPES"
    needed = {SCOPES[method] for method in calls} - {None}
    if list(Command):
        needed.add("commands")
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == needed


def test_the_scan_finds_the_calls_it_is_meant_to() -> None:
    # A guard on the scan itself: these calls are in paybot today.
    assert {"views_open", "views_publish", "chat_update", "files_upload_v2"} <= web_api_calls()


def test_the_manifest_has_a_bot_user_both_tabs_interactivity_and_slacks_limits() -> None:
    data = manifest()
    features, info = data["features"], data["display_information"]
    assert features["bot_user"]["display_name"] == "paybot"
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert len(info["name"]) <= 35 and len(info["description"]) <= 140
    assert 174 <= len(info["long_description"]) <= 4000
    for command in features["slash_commands"]:
        assert len(command["command"]) <= 32 and len(command["usage_hint"]) <= 1000
        assert command["description"] and len(command["description"]) <= 2000
        assert command["should_escape"] is False  # /bank limits reads mentions either way
