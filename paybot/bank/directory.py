"""A bank reached through local folders: a mounted share, a folder a bank client syncs, or tests.

Uploads are atomic: the file is written under a hidden temporary name in the outbox itself (a
rename is only atomic within one file system), flushed to disk, then renamed with `os.replace`.

The inbox is shared with the bank and with people, so anything may turn up there. Only regular
files whose names are plain text are offered; everything else is left alone, and every failure is
a GatewayError naming the folder and the entry, so one odd entry never stops a poll run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import uuid
from pathlib import Path

from paybot.bank.gateway import (
    PROCESSED,
    GatewayError,
    NotSent,
    archive_name,
    check_name,
    is_waiting,
)
from paybot.core.text import text_problem

log = logging.getLogger(__name__)

# Copy in large chunks: payment files are small, but a big batch should not be read whole.
_CHUNK = 1024 * 1024
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
# Reading an inbox file: never through a link, never waiting on a named pipe for its writer.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


class DirectoryGateway:
    """The `BankGateway` on two local folders, created if missing."""

    def __init__(self, outbox: Path, inbox: Path) -> None:
        self.outbox = Path(outbox)
        self.inbox = Path(inbox)
        self.processed = self.inbox / PROCESSED
        for folder in (self.outbox, self.inbox):
            _make_folder(folder)
        # The archive is the inbox's own business: whatever is in its way is reported, saying what
        # to do, when a file is archived; it must not stop uploads or reading the inbox.
        with contextlib.suppress(OSError):
            self.processed.mkdir(exist_ok=True)

    def upload(self, name: str, data_path: Path) -> None:
        """Put `data_path` in the outbox as `name`: a hidden temporary file, then `os.replace`.

        A file already under `name` is an earlier upload of the same batch: kept if it holds the
        same bytes (the upload is done), never replaced otherwise.

        Raises:
            NotSent: nothing was put under `name` (the outbox missing or not writable, the disk
                full, the payment file unreadable, or the rename failing with nothing there).
            GatewayError: a different file is under `name`, or one that could not be compared:
                the bank may take it.
        """
        target = self.outbox / check_name(name)
        try:
            there = _is_there(target)
        except OSError as exc:
            raise NotSent(
                f"Could not upload {name} to the outbox {self.outbox}: cannot look into it: "
                f"{_reason(exc)}. Nothing was put under that name."
            ) from exc
        if there:
            self._keep_earlier(name, target, Path(data_path))
            return
        # Hidden and ending in .part, so neither the bank nor `incoming` takes it for a real file;
        # unique, so two uploads at once cannot write into the same temporary file.
        temporary = self.outbox / f".{name}.{uuid.uuid4().hex}.part"
        try:
            _write_durably(Path(data_path), temporary)
            os.replace(temporary, target)
        except OSError as exc:
            self._after_failure(name, target, temporary, Path(data_path), exc)
        _sync_folder(self.outbox)

    def _after_failure(
        self, name: str, target: Path, temporary: Path, data_path: Path, exc: OSError
    ) -> None:
        """Writing or renaming failed: os.replace is atomic, so whatever is under `name` now
        says what happened. Nothing: NotSent. Our bytes: done after all. Else: unknown."""
        try:
            there = _is_there(target)
        except OSError as look:
            raise GatewayError(
                f"Could not upload the payment file {data_path} to {target}: {_reason(exc)}; "
                f"whether it is there cannot be told ({_reason(look)}): the bank may take it."
            ) from exc
        if there:
            self._keep_earlier(name, target, data_path)
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass  # hidden and .part: neither the bank nor paybot takes it for a file
        if not there:
            raise NotSent(
                f"Could not upload the payment file {data_path} to {target}: {_reason(exc)}. "
                "Nothing was put under that name."
            ) from exc

    def _keep_earlier(self, name: str, target: Path, data_path: Path) -> None:
        """`target` exists: done if it holds our bytes, else unknown (it is never replaced)."""
        try:
            same = target.read_bytes() == data_path.read_bytes()
        except OSError as exc:
            raise GatewayError(
                f"{name} is already in the outbox {self.outbox} but could not be compared with "
                f"{data_path}: {_reason(exc)}. The bank may have it or take it; it was not "
                "replaced."
            ) from exc
        if not same:
            raise GatewayError(
                f"A different file named {name} is already in the outbox {self.outbox}: paybot "
                "does not replace it and the bank may take it. Check with the bank which file it "
                "has before sending again."
            )

    def exists(self, name: str) -> bool:
        return (self.outbox / check_name(name)).is_file()

    def incoming(self) -> list[str]:
        """The finished regular files of the inbox, by name; folders, links, pipes, the archive
        and names that are not plain text are left where they are."""
        try:
            with os.scandir(self.inbox) as entries:
                return sorted(name for entry in entries if (name := self._waiting(entry)))
        except OSError as exc:
            kind = _kind_of(self.inbox)
            reason = _reason(exc) if kind in (None, "a folder") else f"it is {_in_the_way(kind)}"
            raise GatewayError(f"Cannot list the bank inbox {self.inbox}: {reason}") from exc

    def _waiting(self, entry: os.DirEntry[str]) -> str | None:
        name = entry.name
        if name == PROCESSED or not is_waiting(name):
            return None
        try:
            if not entry.is_file(follow_symlinks=False):
                return None
        except OSError as exc:  # e.g. a network share that refuses to say what the entry is
            log.warning("Skipped %s in the bank inbox %s: %s", ascii(name), self.inbox, exc)
            return None
        # A name from outside is shown in Slack and terminals and stored as text: a control
        # character or bytes that are not UTF-8 (a surrogate here) must not get that far.
        if problem := text_problem(name):
            log.warning(
                "Skipped %s in the bank inbox %s: its name is not plain text (%s); rename it "
                "to have it read",
                ascii(name),
                self.inbox,
                problem,
            )
            return None
        return name

    def fetch(self, name: str) -> bytes:
        path = self.inbox / check_name(name)
        where = f"the bank file {name} in the inbox {self.inbox}"
        try:
            descriptor = os.open(path, os.O_RDONLY | _BINARY | _NOFOLLOW | _NONBLOCK)
        except FileNotFoundError as exc:
            raise GatewayError(f"The bank file {name} is not in the inbox {self.inbox}.") from exc
        except OSError as exc:
            kind = _kind_of(path)
            reason = _reason(exc) if kind in (None, "a file") else f"it is {kind}, not a file."
            raise GatewayError(f"Cannot read {where}: {reason}") from exc
        try:
            mode = os.fstat(descriptor).st_mode
            if stat.S_ISDIR(mode):
                raise GatewayError(f"Cannot read {where}: it is a folder, not a file.")
            if not stat.S_ISREG(mode):
                raise GatewayError(f"Cannot read {where}: it is not a regular file.")
            with os.fdopen(descriptor, "rb", closefd=False) as file:
                return file.read()
        except OSError as exc:
            raise GatewayError(f"Cannot read {where}: {_reason(exc)}") from exc
        finally:
            os.close(descriptor)

    def archive(self, name: str) -> None:
        source = self.inbox / check_name(name)
        kind = _kind_of(source)
        if kind != "a file":
            if (self.processed / name).is_file():
                return  # archived already: a retry after a crash between archive and commit
            if kind is None:
                raise GatewayError(f"Cannot archive {name}: it is not in the inbox {self.inbox}.")
            raise GatewayError(
                f"Cannot archive {name}: in the inbox {self.inbox} it is {kind}, not a file."
            )
        if (in_the_way := _kind_of(self.processed)) not in (None, "a folder"):
            raise GatewayError(
                f"Cannot archive {name}: {self.processed} is {_in_the_way(in_the_way)}"
            )
        # Check-then-rename is enough here: only paybot archives, one run at a time.
        target = self.processed / archive_name(name, lambda free: (self.processed / free).exists())
        try:
            self.processed.mkdir(exist_ok=True)
            os.replace(source, target)
        except OSError as exc:
            raise GatewayError(f"Cannot move {source} to {target}: {_reason(exc)}") from exc
        _sync_folder(self.inbox)


def _is_there(path: Path) -> bool:
    """Whether anything is under `path`; an error other than "not found" is raised (unlike
    `Path.exists`, which would take a failing disk for an empty folder)."""
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    return True


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


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        kind = _kind_of(folder)
        if kind in (None, "a folder"):
            raise GatewayError(f"Cannot create the bank folder {folder}: {_reason(exc)}") from exc
        raise GatewayError(
            f"Cannot use the bank folder {folder}: it is {_in_the_way(kind)}"
        ) from exc


def _kind_of(path: Path) -> str | None:
    """What is at `path`, for a sentence ("a file", "a folder", "a link", ...); None if nothing.

    A link to a folder counts as the folder: a link is how some set-ups place their folders.
    """
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISLNK(mode):
        return "a folder" if path.is_dir() else "a link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def _in_the_way(kind: str) -> str:
    return f"{kind}, not a folder: move it away."
