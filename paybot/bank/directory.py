"""A bank reached through local folders: a mounted share, a folder a bank client syncs, or tests.

Uploads are atomic: the file is written under a hidden temporary name in the outbox itself (a
rename is only atomic within one file system), flushed to disk, then renamed with `os.replace`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from paybot.bank.gateway import PROCESSED, GatewayError, archive_name, check_name, is_waiting

# Copy in large chunks: payment files are small, but a big batch should not be read whole.
_CHUNK = 1024 * 1024
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


class DirectoryGateway:
    """The `BankGateway` on two local folders, created if missing."""

    def __init__(self, outbox: Path, inbox: Path) -> None:
        self.outbox = Path(outbox)
        self.inbox = Path(inbox)
        self.processed = self.inbox / PROCESSED
        for folder in (self.outbox, self.inbox, self.processed):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise GatewayError(
                    f"Cannot create the bank folder {folder}: {_reason(exc)}"
                ) from exc

    def upload(self, name: str, data_path: Path) -> None:
        target = self.outbox / check_name(name)
        # Hidden and ending in .part, so neither the bank nor `incoming` takes it for a real file;
        # unique, so two uploads at once cannot write into the same temporary file.
        temporary = self.outbox / f".{name}.{uuid.uuid4().hex}.part"
        try:
            _write_durably(Path(data_path), temporary)
            os.replace(temporary, target)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise GatewayError(
                f"Could not upload the payment file {data_path} to {target}: {_reason(exc)}"
            ) from exc
        _sync_folder(self.outbox)

    def exists(self, name: str) -> bool:
        return (self.outbox / check_name(name)).is_file()

    def incoming(self) -> list[str]:
        try:
            with os.scandir(self.inbox) as entries:
                return sorted(
                    entry.name
                    for entry in entries
                    if entry.is_file(follow_symlinks=False) and is_waiting(entry.name)
                )
        except OSError as exc:
            raise GatewayError(f"Cannot list the bank inbox {self.inbox}: {_reason(exc)}") from exc

    def fetch(self, name: str) -> bytes:
        path = self.inbox / check_name(name)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise GatewayError(f"The bank file {name} is not in the inbox {self.inbox}.") from exc
        except OSError as exc:
            raise GatewayError(f"Cannot read the bank file {path}: {_reason(exc)}") from exc

    def archive(self, name: str) -> None:
        source = self.inbox / check_name(name)
        if not source.is_file():
            if (self.processed / name).is_file():
                return  # archived already: a retry after a crash between archive and commit
            raise GatewayError(f"Cannot archive {name}: it is not in the inbox {self.inbox}.")
        # Check-then-rename is enough here: only paybot archives, one run at a time.
        target = self.processed / archive_name(name, lambda free: (self.processed / free).exists())
        try:
            self.processed.mkdir(exist_ok=True)
            os.replace(source, target)
        except OSError as exc:
            raise GatewayError(f"Cannot move {source} to {target}: {_reason(exc)}") from exc
        _sync_folder(self.inbox)


def _write_durably(source: Path, temporary: Path) -> None:
    # os.open rather than tempfile: mkstemp's 0600 would hide the file from a bank client that
    # runs as another user; 0666 minus the umask gives the permissions of any other new file.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666)
    with os.fdopen(descriptor, "wb") as out, source.open("rb") as data:
        shutil.copyfileobj(data, out, _CHUNK)
        out.flush()
        # On disk before the rename, or a crash could leave a complete name with empty content.
        os.fsync(out.fileno())


def _sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX); best effort, the file itself is already safe."""
    if os.name != "posix":
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some network file systems refuse to fsync a folder; the rename is still done
    finally:
        os.close(descriptor)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
