"""What every command needs: settings, an engine on a current schema, the clock, error output.

Light at import: `paybot --help` and typer's parsing load only typer and the command modules;
the settings, the database and the services are loaded by the command that runs.
"""

from __future__ import annotations

import copy
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from paybot.container import container
from paybot.core.errors import PaybotError, ValidationFailed

if TYPE_CHECKING:
    from paybot.config import SettingsFields
    from paybot.services.dispatching import DispatchOptions
    from paybot.services.ports import BankGateway
    from paybot.services.secrets import SecretBox
    from paybot.store.banking import BankAccountSettings
    from paybot.store.db import Engine
    from paybot.store.uow import UnitOfWork


AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
OnlyCompany = Annotated[str | None, typer.Option(metavar="ORG_NO", help="Only this company.")]
NowOption = Annotated[
    str | None,
    typer.Option(
        "--now", metavar="TIME", help="Act as if it were this time (ISO 8601), for catching up."
    ),
]


class Paybot(typer.Typer):
    """The `paybot` command, which starts with Python's cyclic garbage collector paused, and
    makes only the group or command its command line names.

    Starting a command makes a few hundred thousand objects that live as long as it does (the
    modules of typer, pydantic and SQLAlchemy, the settings, the engine). The collector would pass
    over them again and again while they are made, and free nothing: about a tenth of a quick
    command's time. It runs again once the command has its settings or its unit of work (an
    accessor below resumes it), with the objects made until then left out of its passes.

    typer makes the click command of every command at each start (their parameters, read from
    their signatures): 15 ms for paybot's fifty-odd, of which one runs. A command line whose first
    word names a group or a command (`paybot company list`, `paybot search ...`) is run by a copy
    of the app that has only that one; `paybot` alone, `--help` and a word that names nothing see
    them all, as does shell completion (its words are not on the command line).
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with _collector_paused():
            return typer.Typer.__call__(self._naming(args, kwargs), *args, **kwargs)

    def _naming(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> typer.Typer:
        """This app, or a copy with only the group or command the command line names first."""
        words = kwargs.get("args", args[0] if args else sys.argv[1:])
        first = next(iter(words or ()), None)
        if not isinstance(first, str) or first.startswith("-") or not self.registered_callback:
            return self  # (without its callback, an app of one command would be that command)
        groups = [group for group in self.registered_groups if group.name == first]
        commands = [command for command in self.registered_commands if command.name == first]
        if not groups and not commands:
            return self
        named = copy.copy(self)
        named.registered_groups, named.registered_commands = groups, commands
        return named


_paused = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    global _paused
    if not gc.isenabled():  # paused by whoever called us: theirs to resume
        yield
        return
    gc.disable()
    _paused = True
    try:
        yield
    finally:
        resume_collector()


def resume_collector() -> None:
    """The command has what it starts with: collect garbage again, as usual from here on (a
    long-running or bulk command among them), passing over what was made so far no more."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def group(text: str) -> typer.Typer:
    """A group of commands. Plain help: a value's name (`--company ORG_NO`), a flag alone."""
    return typer.Typer(help=text, no_args_is_help=True, rich_markup_mode=None)


def one_of(kind: type[StrEnum]) -> str:
    """The values an option of `kind` takes, for its help."""
    return ", ".join(member.value for member in kind)


def settings() -> SettingsFields:
    found = container().settings
    resume_collector()
    return found


def engine() -> Engine:
    made = container().engine
    resume_collector()
    return made


def uow() -> UnitOfWork:
    """A unit of work on a database whose schema is current (else a clear refusal): checked by
    the command's first unit of work (`proposals list` has a second, for the company's
    language)."""
    made = container().checked_uow(once=True)
    resume_collector()
    return made


def secret_box() -> SecretBox:
    """Encryption of one-time-code secrets, with the key(s) of PAYBOT_SECRET_KEY."""
    made = container().secret_box()
    resume_collector()
    return made


def gateway_for(account: BankAccountSettings) -> BankGateway:
    made = container().gateway_for(account)
    resume_collector()
    return made


def dispatch_options() -> DispatchOptions:
    made = container().dispatch_options()
    resume_collector()
    return made


def now() -> datetime:
    return datetime.now(UTC)


def when(text: str | None) -> datetime:
    """The time a `--now` option gives (in the business time zone unless it names one), else
    now."""
    if text is None:
        return now()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed({"now": f"{text!r} is not a time like 2026-11-23T10:00"}) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=settings().zone)


def local(moment: datetime) -> str:
    """A moment as people read it: in the business time zone, to the minute."""
    return moment.astimezone(settings().zone).strftime("%Y-%m-%d %H:%M %Z")


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
    except Exception as exc:
        problems = _settings_problems(exc)
        if problems is None:
            raise
        fail(f"a setting is wrong: {problems}")


def _settings_problems(exc: Exception) -> str | None:
    """What is wrong with the settings, when `exc` is pydantic's refusal of them, else None."""
    # pydantic is loaded with the settings: a command that never read them cannot see its error.
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not isinstance(exc, pydantic.ValidationError):
        return None
    return "; ".join(
        f"PAYBOT_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
        for error in exc.errors()
    )


def print_json(data: Any) -> None:
    import json

    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=_json_value)
    sys.stdout.write("\n")


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
