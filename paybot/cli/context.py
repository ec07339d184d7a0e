"""What every command needs: settings, an engine on a current schema, the clock, error output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, NoReturn

import pydantic
import typer

from paybot.config import Settings
from paybot.container import container
from paybot.core.errors import PaybotError, ValidationFailed
from paybot.services.dispatching import DispatchOptions
from paybot.services.ports import BankGateway
from paybot.services.secrets import SecretBox
from paybot.store.banking import BankAccountSettings
from paybot.store.db import Engine
from paybot.store.uow import UnitOfWork


def settings() -> Settings:
    return container().settings


def engine() -> Engine:
    return container().engine


def uow() -> UnitOfWork:
    """A unit of work on a database whose schema is current (else a clear refusal)."""
    return container().checked_uow()


def secret_box() -> SecretBox:
    """Encryption of one-time-code secrets, with the key(s) of PAYBOT_SECRET_KEY."""
    return container().secret_box()


def gateway_for(account: BankAccountSettings) -> BankGateway:
    return container().gateway_for(account)


def dispatch_options() -> DispatchOptions:
    return container().dispatch_options()


def now() -> datetime:
    return datetime.now(UTC)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def user_errors(*, note: str | None = None) -> Iterator[None]:
    """Turns domain errors into readable lines on stderr and a non-zero exit; `note` follows."""
    after = f"\n{note}" if note else ""
    try:
        yield
    except ValidationFailed as exc:
        if len(exc.errors) > 1:
            lines = [f"  {field}: {text}" for field, text in exc.errors.items()]
            fail("invalid input:\n" + "\n".join(lines) + after)
        fail(exc.user_message + after)
    except PaybotError as exc:
        fail(exc.user_message + after)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"PAYBOT_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        fail(f"a setting is wrong: {problems}")


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=_json_value)
    sys.stdout.write("\n")


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
