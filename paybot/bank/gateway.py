"""What every bank gateway shares: its settings, its errors and the folder conventions.

The gateways (`directory`, `sftp`, `sandbox`) import this module, and `factory.make_gateway` builds
the one an account names, so no gateway module imports another through the factory.

Every gateway shares the same folder conventions:
- outbox: paybot writes `<name>` there, always under a temporary name first and then renamed, so
  the bank never picks up half a file; the bank removes the file once it has taken it. A file
  still there under our name is an earlier upload of the same batch (names come from the batch):
  with our bytes it is kept as it is (the upload is done; replacing it could let the bank take it
  twice), with other bytes it is never overwritten (an error: the bank may take it).
- `upload` raises `UploadNotStarted` (as `NotSent`) only when this upload put nothing under the
  final name: a failure before the rename, or a rename the server refused. Any other error, and
  every failure during or after the rename, leaves it unknown whether the bank has the file.
- inbox: the bank leaves return files there; names that look temporary or hidden are still being
  written and are not offered; a processed file is moved to `inbox/processed/`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath

from paybot.core.bank_gateway import BankGateway, UploadNotStarted
from paybot.core.errors import PaybotError

__all__ = [
    "BankGateway",
    "GatewayConfig",
    "GatewayError",
    "GatewayKind",
    "NotSent",
    "UploadNotStarted",
]

PROCESSED = "processed"
# Suffixes other programs use while a file is still being written (WinSCP: .filepart).
PARTIAL_SUFFIXES = (".part", ".partial", ".filepart", ".tmp")
# Enough for a bank that resends the same return file many times; beyond that something is wrong.
MAX_ARCHIVED_COPIES = 1000


class GatewayError(PaybotError):
    """The bank could not be reached or a file could not be moved; says what failed and where."""

    code = "bank_gateway"


class NotSent(UploadNotStarted, GatewayError):
    """A gateway's upload that certainly did not happen: nothing was put under the file's name.

    Both an `UploadNotStarted` (the batch is tried again later) and a `GatewayError` (it says what
    failed and where, with the gateway's code, e.g. `bank_host_key_mismatch`).
    """


class GatewayKind(StrEnum):
    DIRECTORY = "directory"
    SFTP = "sftp"
    SANDBOX = "sandbox"


@dataclass(frozen=True)
class GatewayConfig:
    """How one bank account reaches its bank (the `company_bank_accounts` gateway columns)."""

    kind: GatewayKind
    outbox: str
    inbox: str
    sftp_host: str | None = None
    sftp_port: int | None = None  # None: 22
    sftp_user: str | None = None
    sftp_key_path: str | None = None  # an unencrypted Ed25519 or RSA private key file
    sftp_host_key: str | None = None  # the pinned key: "ssh-ed25519 AAAA..." or "ssh-rsa AAAA..."


def check_name(name: str) -> str:
    """`name` if it is a plain file name: no folder part, so it cannot leave the outbox or inbox."""
    if (
        not name
        or name in {".", ".."}
        or "\x00" in name
        or PurePosixPath(name).name != name
        or "\\" in name
    ):
        raise GatewayError(f"{name!r} is not a bank file name: it must be a plain file name.")
    return name


def is_waiting(name: str) -> bool:
    """Whether an inbox entry `name` is a finished file, not a hidden or partial one."""
    return not name.startswith(".") and not name.lower().endswith(PARTIAL_SUFFIXES)


def archive_name(name: str, is_taken: Callable[[str], bool]) -> str:
    """A name under `processed/` that is free: `name`, else `stem.2.xml`, `stem.3.xml`, ...

    An archived file is never overwritten: if the bank sends the same name twice, both are kept.
    """
    if not is_taken(name):
        return name
    path = PurePosixPath(name)
    for copy in range(2, MAX_ARCHIVED_COPIES + 1):
        candidate = f"{path.stem}.{copy}{path.suffix}"
        if not is_taken(candidate):
            return candidate
    raise GatewayError(f"Cannot archive {name}: {MAX_ARCHIVED_COPIES} copies are archived already.")


def batch(gateway: BankGateway) -> AbstractContextManager[object]:
    """One connection for several operations on gateways that have connections (SFTP).

    `with batch(gateway): ...` works for every gateway, so services need not know which they have.
    """
    if isinstance(gateway, AbstractContextManager):
        return gateway
    return nullcontext()
