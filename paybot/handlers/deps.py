"""What the listeners need, handed to each module's `register(app, deps)`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from paybot.handlers.follow_ups import FollowUps
from paybot.services.ports import GatewayFactory, UowFactory
from paybot.services.secrets import SecretBox


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    uow: UowFactory
    # Opens the one-time-code secrets; a callable so a missing key is told at the moment of use.
    box: Callable[[], SecretBox]
    # The business time zone (container().zone, PAYBOT_TIMEZONE): the day a daily limit counts,
    # when the daily post is due, and every time a view shows.
    zone: ZoneInfo
    clock: Callable[[], datetime] = field(default=_utc_now)
    # The app counts the requests it answers here; card updates and Home tabs wait for none.
    follow_ups: FollowUps = field(default_factory=FollowUps)
    # The bank connections: "the money did not leave" looks whether the file still waits there.
    gateways: GatewayFactory | None = None
