"""Builds the gateway a bank account's settings name; the one module that knows every gateway."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from paybot.bank.gateway import GatewayConfig, GatewayError, GatewayKind
from paybot.core.bank_gateway import BankGateway

SandboxFactory = Callable[[GatewayConfig], BankGateway]


def make_gateway(config: GatewayConfig, *, sandbox: SandboxFactory | None = None) -> BankGateway:
    """The gateway `config` names; the sandbox bank's rules live elsewhere, so its factory is
    passed in.

    Raises:
        GatewayError: an unknown kind, missing SFTP settings, or a sandbox without a factory.
    """
    # Imported here so that a directory-only installation never loads paramiko.
    if config.kind == GatewayKind.DIRECTORY:
        from paybot.bank.directory import DirectoryGateway

        return DirectoryGateway(Path(config.outbox), Path(config.inbox))
    if config.kind == GatewayKind.SFTP:
        from paybot.bank.sftp import SftpGateway

        return SftpGateway.from_config(config)
    if config.kind == GatewayKind.SANDBOX:
        if sandbox is None:
            raise GatewayError("The sandbox bank is not available here: no sandbox was set up.")
        return sandbox(config)
    raise GatewayError(
        f"Unknown bank connection {config.kind!r}: use directory, sftp or sandbox.",
    )
