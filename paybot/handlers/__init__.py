"""Slack listeners: thin, ack fast, call one service, render a view."""

from __future__ import annotations

from slack_bolt import App

from paybot.handlers import bank_command, home
from paybot.handlers.deps import Deps


def register_all(app: App, deps: Deps) -> None:
    bank_command.register(app, deps)
    home.register(app, deps)
