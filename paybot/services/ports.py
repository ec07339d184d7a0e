"""What the services need from outside, as small interfaces (implemented in paybot.bank)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from paybot.store.banking import BankAccountSettings
from paybot.store.uow import UnitOfWork

# How the Slack listeners get a unit of work without knowing the store.
UowFactory = Callable[[], UnitOfWork]


class BankGateway(Protocol):
    """Files to the bank (outbox) and from it (inbox)."""

    def upload(self, name: str, data_path: Path) -> None: ...

    def exists(self, name: str) -> bool: ...

    def incoming(self) -> list[str]: ...

    def fetch(self, name: str) -> bytes: ...

    def archive(self, name: str) -> None: ...


GatewayFactory = Callable[[BankAccountSettings], BankGateway]
