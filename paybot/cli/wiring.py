"""Parts the commands put together: a bank account's gateway, dispatch options."""

from __future__ import annotations

import os
import signal
from datetime import timedelta

from paybot.bank.gateway import BankGateway, GatewayConfig, GatewayKind, make_gateway
from paybot.bank.sandbox import SandboxBank, SandboxRules
from paybot.cli import context as ctx
from paybot.services.dispatching import DispatchOptions
from paybot.store.banking import BankAccountSettings

# Test seam for the crash tests: the dispatcher kills itself at this step (see tests/crash).
CRASH_AT = "PAYBOT_CRASH_AT"


def gateway_for(account: BankAccountSettings) -> BankGateway:
    """The connection an account's settings name; folders default to the files folder."""
    base = ctx.settings().files_dir / "bank" / account.account
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


def dispatch_options() -> DispatchOptions:
    settings = ctx.settings()
    crash_at = os.environ.get(CRASH_AT)

    def checkpoint(step: str) -> None:
        if step == crash_at:
            os.kill(os.getpid(), signal.SIGKILL)

    return DispatchOptions(
        files_dir=settings.files_dir / "sent",
        undo_window=timedelta(seconds=settings.undo_window_seconds),
        schema_folder=settings.schema_dir,
        zone=settings.zone,
        checkpoint=checkpoint,
    )
