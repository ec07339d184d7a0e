"""Slack listeners: thin, ack fast, call one service, render a view."""

from __future__ import annotations

from slack_bolt import App

from paybot.handlers import (
    actions,
    alert_actions,
    bank_command,
    enroll,
    home,
    incoming,
    limits,
    modals,
    posting,
)
from paybot.handlers.deps import Deps


def register_all(app: App, deps: Deps) -> None:
    bank_command.register(app, deps)
    home.register(app, deps)
    enroll.register(app, deps)
    limits.register(app, deps)
    alert_actions.register(app, deps)
    posting.register(app, deps)
    incoming.register(app, deps)
    actions.register(app, deps)
    modals.register(app, deps)
