"""How paybot's long-running processes log: one line per record, always with its level name, as
text or (PAYBOT_LOG_FORMAT=json) as one JSON object per line; each record made while a Slack
request is handled, or by the work it started on other threads, carries that request's id."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

from pythonjsonlogger.json import JsonFormatter

# The request id lives with the Slack edge (the app hands work to threads with it); the log
# records take it from there.
from paybot.handlers.request_context import REQUEST_ID, context_executor, new_request_id

__all__ = [
    "REQUEST_ID",
    "JsonLineFormatter",
    "RequestIdFilter",
    "TextFormatter",
    "configure",
    "context_executor",
    "formatter",
    "gunicorn_logconfig",
    "new_request_id",
]

LogFormat = Literal["text", "json"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on each record (`record.request_id`), when there is one."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


class TextFormatter(logging.Formatter):
    """`time LEVEL logger message`, and ` request_id=…` at the end when there is one."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None)
        return text if request_id is None else f"{text} request_id={request_id}"


class JsonLineFormatter(JsonFormatter):
    """{"time", "level", "logger", "message"}, then `request_id` and any `extra` fields."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        # The time first, in UTC and ISO 8601: what log collectors parse without being told how.
        log_data["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"
        )
        super().add_fields(log_data, record, message_dict)


def formatter(log_format: LogFormat) -> logging.Formatter:
    return JsonLineFormatter() if log_format == "json" else TextFormatter()


# Libraries that say at INFO what paybot says better itself: each scheduled run (paybot's jobs log
# their outcome) and alembic's set-up at every start.
QUIET_LIBRARIES = {"apscheduler": "WARNING", "alembic": "WARNING"}


def configure(log_format: str = "text", level: str = "INFO") -> None:
    """Logging for `paybot serve` and `paybot jobs` (a command that prints logs nothing): one
    handler on the root logger, to stderr, adding the request id to every record it writes."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter("json" if log_format == "json" else "text"))
    handler.addFilter(RequestIdFilter())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    for name, quiet in QUIET_LIBRARIES.items():
        logging.getLogger(name).setLevel(quiet)


def gunicorn_logconfig(log_format: str = "text", level: str = "INFO") -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: its error log, its access log and paybot's own records all
    through one handler (stderr) with paybot's formatter and request id."""
    kind = "json" if log_format == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "paybot": {"()": JsonLineFormatter if kind == "json" else TextFormatter},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "paybot",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            },
        },
        "root": {"level": level.upper(), "handlers": ["console"]},
        "loggers": {
            # gunicorn adds handlers of its own unless these are named here; they log through
            # the root's handler only (propagate), so each line is written once.
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
            **{name: {"level": quiet} for name, quiet in QUIET_LIBRARIES.items()},
        },
    }
