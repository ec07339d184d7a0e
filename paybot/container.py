"""Where paybot is put together: settings, clock, business time zone, database, bank gateways and
the Slack client, each built once. The CLI, the Slack app and the jobs take what they need from
here; nothing else reads the environment or makes an engine.

Heavy libraries (SQLAlchemy, Slack, the bank connections) are imported when first asked for, so
that a command that needs none of them starts quickly.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache, cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from slack_sdk import WebClient

    from paybot.config import SettingsFields
    from paybot.core.ehf import EhfValidator
    from paybot.handlers.deps import Deps
    from paybot.services.dispatching import DispatchOptions
    from paybot.services.ports import BankGateway
    from paybot.services.secrets import SecretBox
    from paybot.store.banking import BankAccountSettings
    from paybot.store.db import Engine
    from paybot.store.uow import UnitOfWork

# Test seam for the crash tests: the dispatcher kills itself at this step (see tests/crash).
CRASH_AT = "PAYBOT_CRASH_AT"


def utc_now() -> datetime:
    return datetime.now(UTC)


class Container:
    """paybot's parts for one process, built on first use from `settings`."""

    def __init__(
        self, settings: SettingsFields, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.settings = settings
        self.clock = clock
        # Whether `checked_uow(once=True)` found the schema current.
        self._schema_current = False

    @property
    def zone(self) -> ZoneInfo:
        """The business time zone (PAYBOT_TIMEZONE): business dates, limits, times shown."""
        return self.settings.zone

    @cached_property
    def engine(self) -> Engine:
        from paybot.store.db import make_engine

        return make_engine(self.settings.database_url)

    def uow(self) -> UnitOfWork:
        """A unit of work on paybot's database (the schema is checked by `checked_uow`)."""
        from paybot.store.uow import UnitOfWork

        return UnitOfWork(self.engine)

    def checked_uow(self, *, once: bool = False) -> UnitOfWork:
        """A unit of work on a database whose schema is current (else a clear refusal). `once`:
        the schema is taken as current once it was found so (a command, over in seconds, which
        may open several units of work); else it is checked each time (a long-running process's
        jobs, which outlive an upgrade or a restore of the database)."""
        if not (once and self._schema_current):
            from paybot.store.db import ensure_current

            ensure_current(self.engine)
            self._schema_current = True
        return self.uow()

    def secret_box(self) -> SecretBox:
        """Encryption of one-time-code secrets, with the key(s) of PAYBOT_SECRET_KEY."""
        from paybot.services.secrets import SecretBox

        key = self.settings.secret_key
        return SecretBox(None if key is None else key.get_secret_value())

    def gateway_for(self, account: BankAccountSettings) -> BankGateway:
        """The connection an account's settings name; folders default to the files folder."""
        from paybot.bank.factory import make_gateway
        from paybot.bank.gateway import GatewayConfig, GatewayKind
        from paybot.bank.sandbox import SandboxBank, SandboxRules

        base = self.settings.files_dir / "bank" / account.account
        config = GatewayConfig(
            kind=GatewayKind(account.gateway),
            outbox=account.outbox or str(base / "outbox"),
            inbox=account.inbox or str(base / "inbox"),
            sftp_host=account.sftp.get("host"),
            sftp_port=account.sftp.get("port"),
            sftp_user=account.sftp.get("user"),
            sftp_key_path=account.sftp.get("key_path"),
            sftp_host_key=account.sftp.get("host_key"),
        )
        rules = SandboxRules.from_settings(account.sandbox)
        return make_gateway(config, sandbox=lambda c: SandboxBank(c.outbox, c.inbox, rules))

    def dispatch_options(self) -> DispatchOptions:
        from paybot.services.dispatching import DispatchOptions

        crash_at = os.environ.get(CRASH_AT)

        def checkpoint(step: str) -> None:
            if step == crash_at:
                os.kill(os.getpid(), signal.SIGKILL)

        return DispatchOptions(
            files_dir=self.settings.files_dir / "sent",
            undo_window=timedelta(seconds=self.settings.undo_window_seconds),
            schema_folder=self.settings.schema_dir,
            zone=self.zone,
            checkpoint=checkpoint,
        )

    @cached_property
    def ehf_validator(self) -> EhfValidator | None:
        """The checks of every EHF (the UBL 2.1 schema, the EN 16931 and PEPPOL rules), compiled
        once per process; None while PAYBOT_UBL_SCHEMA_DIR is not set."""
        folder = self.settings.ubl_schema_dir
        if folder is None:
            return None
        from paybot.core.ehf import EhfValidator

        return EhfValidator(folder)

    @cached_property
    def slack_client(self) -> WebClient | None:
        """The Web API client with the bot token; None when SLACK_BOT_TOKEN is not set."""
        token = self.settings.slack_bot_token
        if token is None or not token.get_secret_value().strip():
            return None
        from paybot.app import web_client

        return web_client(token.get_secret_value(), self.settings.slack_api_url)

    @cached_property
    def deps(self) -> Deps:
        """What the Slack listeners need (also the jobs that post to Slack)."""
        from paybot.handlers.deps import Deps
        from paybot.store.uow import load_repositories

        # The listeners use every repository: loaded before a server forks and answers anyone.
        load_repositories()

        return Deps(
            uow=self.uow,
            box=self.secret_box,
            clock=self.clock,
            zone=self.zone,
            gateways=self.gateway_for,
        )


@cache
def container() -> Container:
    """The process's container, from the environment (PAYBOT_*) and `.env`."""
    from paybot.config import read_settings

    return Container(read_settings())


def reset() -> None:
    """Forget the process's container (tests that change the environment), closing its pool."""
    if container.cache_info().currsize:
        built = container()
        if "engine" in built.__dict__:
            built.engine.dispose()
    container.cache_clear()
