"""The port every bank connection implements (paybot.bank), declared below both bank and services.

It lives in core so that the gateways and the use cases meet here without either importing the
other, and a gateway never loads the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from paybot.core.errors import PaybotError


class UploadNotStarted(PaybotError):
    """An upload that certainly did not happen: the bank cannot have the file (the connection
    was refused, the login failed, the host key was wrong, nothing was written under the file's
    name). The batch is tried again later; any other error from `upload` means the bank may
    have the file, and it is never sent again."""

    code = "upload_not_started"


class BankGateway(Protocol):
    """Files to the bank (outbox) and from it (inbox)."""

    def upload(self, name: str, data_path: Path) -> None:
        """Put `data_path` into the outbox as `name`, whole or not at all; repeating is harmless.

        Raises `UploadNotStarted` when the bank certainly does not have the file; any other
        exception leaves it unknown whether it does."""

    def exists(self, name: str) -> bool:
        """Whether our file `name` is still waiting in the outbox (not yet taken by the bank)."""

    def incoming(self) -> list[str]:
        """Names of the complete files waiting in the inbox, sorted."""

    def fetch(self, name: str) -> bytes:
        """The content of the inbox file `name`."""

    def archive(self, name: str) -> None:
        """Move the inbox file `name` into `inbox/processed/`; archiving it again does nothing."""
