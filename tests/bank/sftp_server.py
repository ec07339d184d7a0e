"""A real SFTP server for the tests: paramiko's server classes serving one local folder.

It listens on 127.0.0.1 on a free port, accepts only one public key (no passwords), and keeps a
journal of the writes, renames and removals it served, so a test can check *how* a file arrived,
not only that it did. Options imitate servers paybot must cope with: one without OpenSSH's
posix-rename extension, and one whose disk fills up after some bytes.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import threading
from dataclasses import dataclass, field
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


@dataclass
class ServerState:
    """What the server serves and what it saw; shared by every connection."""

    root: Path
    user: str
    client_key: paramiko.PKey
    posix_rename: bool = True  # False: answer posix-rename@openssh.com with "unsupported"
    disk_space: int | None = None  # bytes a single file may take before writes fail
    journal: list[tuple[str, ...]] = field(default_factory=list)
    connections: int = 0
    passwords_tried: int = 0


class KeyOnlyServer(paramiko.ServerInterface):
    """Public-key authentication for one user and one key; sessions for the SFTP subsystem."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

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


class LocalHandle(SFTPHandle):
    """An open file; `stat` is needed by paramiko's put (size check) and prefetch."""

    def __init__(self, flags: int, file: Any, space: int | None) -> None:
        super().__init__(flags)
        self.readfile = file
        self.writefile = file
        self.space = space

    def stat(self) -> SFTPAttributes | int:
        try:
            return SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))
        except OSError as exc:
            return _status(exc)

    def write(self, offset: int, data: Any) -> int:
        if self.space is not None and offset + len(data) > self.space:
            return SFTP_FAILURE  # the disk is full
        result: int = super().write(offset, data)
        return result


class LocalFolderSftp(paramiko.SFTPServerInterface):
    """The SFTP operations on `state.root`; paths outside it are refused."""

    def __init__(self, server: KeyOnlyServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(server, *args, **kwargs)
        self.state = server.state

    def _local(self, path: str) -> Path:
        local = (self.state.root / path.lstrip("/")).resolve()
        if not local.is_relative_to(self.state.root.resolve()):
            raise PermissionError(errno.EACCES, "outside the served folder")
        return local

    def _name(self, path: str) -> str:
        return self._local(path).relative_to(self.state.root.resolve()).as_posix()

    def open(self, path: str, flags: int, attr: SFTPAttributes) -> SFTPHandle | int:
        writing = bool(flags & (os.O_WRONLY | os.O_RDWR))
        try:
            descriptor = os.open(self._local(path), flags | getattr(os, "O_BINARY", 0), 0o666)
        except OSError as exc:
            return _status(exc)
        if writing:
            self.state.journal.append(("write", self._name(path)))
        mode = ("r+b" if flags & os.O_RDWR else "wb") if writing else "rb"
        space = self.state.disk_space if writing else None
        return LocalHandle(flags, os.fdopen(descriptor, mode), space)

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
        return self._do("remove", os.remove, path)

    def rename(self, oldpath: str, newpath: str) -> int:
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
        return self._do("posix_rename", os.replace, oldpath, newpath)

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
            transport.start_server(server=KeyOnlyServer(self.state))
        except (paramiko.SSHException, EOFError, OSError):
            transport.close()  # the client gave up during the handshake (e.g. a refused host key)
