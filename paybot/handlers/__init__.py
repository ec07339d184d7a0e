"""Slack listeners: thin, ack fast, call one service, render a view."""

from __future__ import annotations

from slack_bolt import App

from paybot.handlers import bank_command, home
from paybot.services.ports import UowFactory


def register_all(app: App, uow: UowFactory) -> None:
    bank_command.register(app, uow)
    home.register(app, uow)
