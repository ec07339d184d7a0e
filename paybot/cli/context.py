"""What every command needs: settings, an engine on a current schema, the clock, error output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any, NoReturn

import typer

from paybot.config import Settings
from paybot.core.errors import PaybotError, ValidationFailed
from paybot.services.secrets import SecretBox
from paybot.store.db import Engine, ensure_current, make_engine
from paybot.store.uow import UnitOfWork


@cache
def settings() -> Settings:
    return Settings()


@cache
def engine() -> Engine:
    return make_engine(settings().database_url)


def uow() -> UnitOfWork:
    """A unit of work on a database whose schema is current (else a clear refusal)."""
    ensure_current(engine())
    return UnitOfWork(engine())


def secret_box() -> SecretBox:
    """Encryption of one-time-code secrets, with the key(s) of PAYBOT_SECRET_KEY."""
    key = settings().secret_key
    return SecretBox(None if key is None else key.get_secret_value())


def now() -> datetime:
    return datetime.now(UTC)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turns domain errors into one readable line on stderr and a non-zero exit."""
    try:
        yield
    except ValidationFailed as exc:
        if len(exc.errors) > 1:
            lines = [f"  {field}: {text}" for field, text in exc.errors.items()]
            fail("invalid input:\n" + "\n".join(lines))
        fail(exc.user_message)
    except PaybotError as exc:
        fail(exc.user_message)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
