"""The manifest and the code name the same commands and events, and only the scopes used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from paybot.handlers.ids import Command, Event

MANIFEST = Path(__file__).parents[2] / "manifests" / "slack-app.yaml"


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return data


def test_every_command_in_the_code_is_in_the_manifest_and_back() -> None:
    listed = {command["command"] for command in manifest()["features"]["slash_commands"]}
    assert listed == {command.value for command in Command}


def test_every_event_in_the_code_is_in_the_manifest_and_back() -> None:
    listed = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert listed == {event.value for event in Event}


def test_the_bot_asks_for_exactly_the_scopes_it_uses() -> None:
    # /bank answers in its acknowledgement (commands); views.publish needs no scope.
    assert manifest()["oauth_config"]["scopes"]["bot"] == ["commands"]


def test_the_app_home_tab_is_on() -> None:
    assert manifest()["features"]["app_home"]["home_tab_enabled"] is True
