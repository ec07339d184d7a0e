"""A real SFTP server for the tests: paramiko's server classes serving one local folder.

It listens on 127.0.0.1 on a free port, accepts only one public key (no passwords), and keeps a
journal of the writes, renames and removals it served, so a test can check *how* a file arrived,
not only that it did. Options imitate servers paybot must cope with: one without OpenSSH's
posix-rename extension, one whose disk fills up after some bytes, and `faults`: an operation
refused, or the connection dropped or stalled around it (see `Fault`).
"""

from __future__ import annotations

import errno
import os
import posixpath
import select
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

import paramiko
from paramiko import SFTPAttributes, SFTPHandle, SFTPServer
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
)
from paramiko.sftp import SFTP_FAILURE, SFTP_OK, SFTP_OP_UNSUPPORTED, SFTP_PERMISSION_DENIED


class Fault(StrEnum):
    """What goes wrong when a client asks for an operation."""

    REFUSE = "refuse"  # answered "permission denied"; nothing is done
    DROP_BEFORE = "drop-before"  # the server hangs up without doing it
    DROP_AFTER = "drop-after"  # done, then the server hangs up before answering
    STALL_AFTER = "stall-after"  # done, then no answer until the server stops


@dataclass(frozen=True)
class FaultAt:
    """`fault` when a client asks for `operation` on a path ending in `suffix`.

    Operations: "open" (a file, to read or write), "read", "write" (data of an open file),
    "stat", "remove", "rename", "posix_rename".
    """

    operation: str
    fault: Fault
    suffix: str = ""


@dataclass
class ServerState:
    """What the server serves and what it saw; shared by every connection."""

    root: Path
    user: str
    client_key: paramiko.PKey
    posix_rename: bool = True  # False: answer posix-rename@openssh.com with "unsupported"
    disk_space: int | None = None  # bytes a single file may take before writes fail
    faults: list[FaultAt] = field(default_factory=list)  # the first that matches applies
    journal: list[tuple[str, ...]] = field(default_factory=list)
    connections: int = 0
    passwords_tried: int = 0
    # Set when the server stops: lets a stalled operation end, so no thread outlives a test.
    released: threading.Event = field(default_factory=threading.Event)


class KeyOnlyServer(paramiko.ServerInterface):
    """Public-key authentication for one user and one key; sessions for the SFTP subsystem."""

    def __init__(self, state: ServerState, transport: paramiko.Transport | None = None) -> None:
        self.state = state
        self.transport = transport

    def hang_up(self) -> None:
        """Drop the connection, as a crashed server or a broken network would."""
        if self.transport is not None:
            self.transport.close()

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_password(self, username: str, password: str) -> int:
        self.state.passwords_tried += 1
        return AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        allowed = username == self.state.user and key == self.state.client_key
        return AUTH_SUCCESSFUL if allowed else AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return OPEN_SUCCEEDED
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


# Runs one operation unless a fault says otherwise: (operation, paths, action) -> result or status.
Guard = Callable[[str, tuple[str, ...], Callable[[], Any]], Any]


class LocalHandle(SFTPHandle):
    """An open file; `stat` is needed by paramiko's put (size check) and prefetch."""

    def __init__(self, flags: int, file: Any, space: int | None, path: str, guard: Guard) -> None:
        super().__init__(flags)
        self.readfile = file
        self.writefile = file
        self.space = space
        self.path = path
        self.guard = guard

    def stat(self) -> SFTPAttributes | int:
        try:
            return SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))
        except OSError as exc:
            return _status(exc)

    def read(self, offset: int, length: int) -> bytes | int:
        result: bytes | int = self.guard(
            "read", (self.path,), lambda: super(LocalHandle, self).read(offset, length)
        )
        return result

    def write(self, offset: int, data: Any) -> int:
        if self.space is not None and offset + len(data) > self.space:
            return SFTP_FAILURE  # the disk is full
        result: int = self.guard(
            "write", (self.path,), lambda: super(LocalHandle, self).write(offset, data)
        )
        return result


class LocalFolderSftp(paramiko.SFTPServerInterface):
    """The SFTP operations on `state.root`; paths outside it are refused."""

    def __init__(self, server: KeyOnlyServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(server, *args, **kwargs)
        self.state = server.state
        self.server = server

    def _guard(self, operation: str, paths: tuple[str, ...], action: Callable[[], Any]) -> Any:
        """`action()`, or what the first matching fault makes of it (journalled as the fault)."""
        names = tuple(posixpath.normpath(path.lstrip("/")) for path in paths)
        fault = next(
            (
                rule.fault
                for rule in self.state.faults
                if rule.operation == operation and any(n.endswith(rule.suffix) for n in names)
            ),
            None,
        )
        if fault is None:
            return action()
        self.state.journal.append((fault.value, operation, *names))
        if fault is Fault.REFUSE:
            return SFTP_PERMISSION_DENIED
        if fault is Fault.DROP_BEFORE:
            self.server.hang_up()
            return SFTP_FAILURE  # never arrives
        result = action()
        if fault is Fault.DROP_AFTER:
            self.server.hang_up()
        else:
            self.state.released.wait()
        return result

    def _local(self, path: str) -> Path:
        local = (self.state.root / path.lstrip("/")).resolve()
        if not local.is_relative_to(self.state.root.resolve()):
            raise PermissionError(errno.EACCES, "outside the served folder")
        return local

    def _name(self, path: str) -> str:
        return self._local(path).relative_to(self.state.root.resolve()).as_posix()

    def open(self, path: str, flags: int, attr: SFTPAttributes) -> SFTPHandle | int:
        result: SFTPHandle | int = self._guard("open", (path,), lambda: self._open(path, flags))
        return result

    def _open(self, path: str, flags: int) -> SFTPHandle | int:
        writing = bool(flags & (os.O_WRONLY | os.O_RDWR))
        try:
            descriptor = os.open(self._local(path), flags | getattr(os, "O_BINARY", 0), 0o666)
        except OSError as exc:
            return _status(exc)
        if writing:
            self.state.journal.append(("write", self._name(path)))
        mode = ("r+b" if flags & os.O_RDWR else "wb") if writing else "rb"
        space = self.state.disk_space if writing else None
        return LocalHandle(flags, os.fdopen(descriptor, mode), space, path, self._guard)

    def list_folder(self, path: str) -> list[SFTPAttributes] | int:
        try:
            folder = self._local(path)
            return [
                SFTPAttributes.from_stat(os.lstat(folder / name), name)
                for name in os.listdir(folder)
            ]
        except OSError as exc:
            return _status(exc)

    def stat(self, path: str) -> SFTPAttributes | int:
        result: SFTPAttributes | int = self._guard("stat", (path,), lambda: self._stat(path))
        return result

    def _stat(self, path: str) -> SFTPAttributes | int:
        try:
            return SFTPAttributes.from_stat(os.stat(self._local(path)))
        except OSError as exc:
            return _status(exc)

    def lstat(self, path: str) -> SFTPAttributes | int:
        try:
            return SFTPAttributes.from_stat(os.lstat(self._local(path)))
        except OSError as exc:
            return _status(exc)

    def remove(self, path: str) -> int:
        result: int = self._guard("remove", (path,), lambda: self._do("remove", os.remove, path))
        return result

    def rename(self, oldpath: str, newpath: str) -> int:
        result: int = self._guard(
            "rename", (oldpath, newpath), lambda: self._rename(oldpath, newpath)
        )
        return result

    def _rename(self, oldpath: str, newpath: str) -> int:
        # SFTP v3 (and OpenSSH) rename never replaces an existing file.
        try:
            if os.path.lexists(self._local(newpath)):
                return SFTP_FAILURE
        except OSError:
            return SFTP_PERMISSION_DENIED
        return self._do("rename", os.rename, oldpath, newpath)

    def posix_rename(self, oldpath: str, newpath: str) -> int:
        if not self.state.posix_rename:
            return SFTP_OP_UNSUPPORTED
        result: int = self._guard(
            "posix_rename",
            (oldpath, newpath),
            lambda: self._do("posix_rename", os.replace, oldpath, newpath),
        )
        return result

    def mkdir(self, path: str, attr: SFTPAttributes) -> int:
        return self._do("mkdir", os.mkdir, path)

    def rmdir(self, path: str) -> int:
        return self._do("rmdir", os.rmdir, path)

    def _do(self, operation: str, action: Any, *paths: str) -> int:
        try:
            action(*(self._local(path) for path in paths))
        except OSError as exc:
            return _status(exc)
        self.state.journal.append((operation, *(self._name(path) for path in paths)))
        return SFTP_OK


def _status(exc: OSError) -> int:
    return SFTPServer.convert_errno(exc.errno or errno.EIO)


class SftpTestServer:
    """The server on 127.0.0.1:<free port>, in a background thread; a context manager."""

    def __init__(self, state: ServerState, host_key: paramiko.PKey) -> None:
        self.state = state
        self.host_key = host_key
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._transports: list[paramiko.Transport] = []
        self._thread = threading.Thread(target=self._serve, name="sftp-test-server", daemon=True)

    def __enter__(self) -> SftpTestServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self.state.released.set()
        self._stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()
        for transport in self._transports:
            transport.close()
            transport.join(timeout=5)

    def _serve(self) -> None:
        while not self._stopping.is_set():
            # A short select instead of a blocking accept, so stop() is noticed quickly.
            ready, _, _ = select.select([self._listener], [], [], 0.05)
            if ready:
                connection, _ = self._listener.accept()
                self._start_session(connection)

    def _start_session(self, connection: socket.socket) -> None:
        self.state.connections += 1
        transport = paramiko.Transport(connection)
        self._transports.append(transport)
        transport.add_server_key(self.host_key)
        transport.set_subsystem_handler("sftp", SFTPServer, LocalFolderSftp)
        try:
            transport.start_server(server=KeyOnlyServer(self.state, transport))
        except (paramiko.SSHException, EOFError, OSError):
            transport.close()  # the client gave up during the handshake (e.g. a refused host key)
