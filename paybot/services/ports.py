"""What the services need from outside, as small interfaces (the bank's implemented in paybot.bank).

The store's types are named for the type checker only: importing the ports (as the Slack listeners
do) loads no database code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

from paybot.core.bank_gateway import BankGateway, UploadNotStarted

if TYPE_CHECKING:
    from paybot.store.banking import BankAccountSettings
    from paybot.store.uow import UnitOfWork

__all__ = ["BankGateway", "GatewayFactory", "UowFactory", "UploadNotStarted"]

# How the Slack listeners get a unit of work without knowing the store.
UowFactory: TypeAlias = Callable[[], "UnitOfWork"]

# The gateway a bank account's settings name (the composition root's `gateway_for`).
GatewayFactory: TypeAlias = Callable[["BankAccountSettings"], BankGateway]
