"""Every id Slack knows paybot by: commands and events (the manifest lists exactly these)."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    BANK = "/bank"


class Event(StrEnum):
    APP_HOME_OPENED = "app_home_opened"
