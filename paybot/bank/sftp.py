"""A bank's SFTP server, reached with paramiko: our key only, and the server's host key pinned.

Trust is explicit: paybot reads no known_hosts file and never learns a key on first use; the one
key the bank gave us is the only one accepted, and any other is refused with both fingerprints.

An upload writes `<name>.part`, checks its size on the server, then renames it to `<name>`. This
rests on the bank taking only finished names (such as `*.xml`) and never a `.part` file: confirm
that with the bank when setting up the connection. The rename is the moment the bank may take the
file, so an upload ends in one of three ways:
- done: the file is in the outbox under its name;
- `NotSent` (an `UploadNotStarted`): nothing was put under the name. No connection, a wrong host
  key, a refused login, an outbox missing or not writable, the `.part` file cut short or not whole,
  or a rename the server answered with a refusal while the `.part` file was still there;
- `GatewayError`: unknown. The connection broke or timed out during the rename, or the rename's
  outcome could not be looked up afterwards: the bank may have the file.
A file already under the name is an earlier upload of the same batch, waiting for the bank: the
same bytes are kept as they are (replacing them could let the bank take the file twice), and
different bytes are never overwritten (unknown: a person looks).

Each operation opens its own connection; `with gateway:` (or `paybot.bank.gateway.batch`) keeps
one connection for several operations. A gateway is not meant to be shared between threads.
"""

from __future__ import annotations

import base64
import io
import posixpath
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paramiko
from paramiko.pkey import UnknownKeyType

from paybot.bank.gateway import (
    PROCESSED,
    GatewayConfig,
    GatewayError,
    NotSent,
    archive_name,
    check_name,
    is_waiting,
)

CONNECT_TIMEOUT = 10.0
# A server that stops answering mid-transfer must not block the scheduler for ever.
OPERATION_TIMEOUT = 60.0
SSH_PORT = 22
HOST_KEY_TYPES = frozenset(
    {"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"}
)
_KEY_ERRORS = (paramiko.SSHException, UnknownKeyType, ValueError)
# What a failed SFTP operation raises: the server's refusal (an OSError with its reason), a timeout
# (also an OSError), or a broken connection (EOFError, SSHException, socket errors).
_FAILURES = (OSError, EOFError, paramiko.SSHException)


def parse_host_key(line: str) -> paramiko.PKey:
    """The key in an OpenSSH public-key line ("ssh-ed25519 AAAA... comment").

    A known_hosts or ssh-keyscan line ("host ssh-ed25519 AAAA...") is taken too: the host part is
    ignored, since the key is pinned to the configured server anyway.
    """
    tokens = line.split()
    for key_type, blob in zip(tokens, tokens[1:], strict=False):
        if key_type in HOST_KEY_TYPES:
            try:
                return paramiko.PKey.from_type_string(
                    key_type, base64.b64decode(blob, validate=True)
                )
            except _KEY_ERRORS as exc:
                raise GatewayError(
                    f"The pinned SFTP host key is damaged: the {key_type} key data does not decode."
                ) from exc
    raise GatewayError(
        f"The pinned SFTP host key {line[:40]!r} is not an OpenSSH public key line "
        "such as 'ssh-ed25519 AAAA...'."
    )


def load_private_key(path: Path) -> paramiko.PKey:
    """paybot's private key (Ed25519 or RSA, OpenSSH or PEM format, without a passphrase)."""
    try:
        return paramiko.PKey.from_path(path)
    except FileNotFoundError as exc:
        raise GatewayError(f"The SFTP key file {path} does not exist.") from exc
    except OSError as exc:
        raise GatewayError(f"Cannot read the SFTP key file {path}: {_reason(exc)}") from exc
    except (paramiko.PasswordRequiredException, TypeError) as exc:
        # cryptography raises TypeError for an OpenSSH key with a passphrase and none given.
        raise GatewayError(
            f"The SFTP key file {path} is protected by a passphrase; paybot needs a key "
            "without one (keep the file readable by paybot only)."
        ) from exc
    except _KEY_ERRORS as exc:
        raise GatewayError(
            f"The SFTP key file {path} is not an Ed25519 or RSA private key."
        ) from exc


class SftpGateway:
    """The `BankGateway` on a bank's SFTP server; folders are relative to the login folder."""

    def __init__(
        self,
        *,
        host: str,
        user: str,
        key_path: Path,
        host_key: str,
        outbox: str,
        inbox: str,
        port: int = SSH_PORT,
        connect_timeout: float = CONNECT_TIMEOUT,
        operation_timeout: float = OPERATION_TIMEOUT,
    ) -> None:
        self.host, self.port, self.user = host, port, user
        self.key_path = Path(key_path)
        self.pinned_key = parse_host_key(host_key)
        self.outbox, self.inbox = outbox, inbox
        self.connect_timeout, self.operation_timeout = connect_timeout, operation_timeout
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._depth = 0  # nested `with gateway:` blocks share the outermost connection

    @classmethod
    def from_config(cls, config: GatewayConfig) -> SftpGateway:
        host, user, key_path = config.sftp_host, config.sftp_user, config.sftp_key_path
        host_key = config.sftp_host_key
        if not host or not user or not key_path or not host_key:
            given = {"host": host, "user": user, "key file": key_path, "pinned host key": host_key}
            missing = ", ".join(label for label, value in given.items() if not value)
            raise GatewayError(f"The SFTP connection to the bank is missing its {missing}.")
        return cls(
            host=host,
            port=config.sftp_port or SSH_PORT,
            user=user,
            key_path=Path(key_path),
            host_key=host_key,
            outbox=config.outbox,
            inbox=config.inbox,
        )

    def __enter__(self) -> SftpGateway:
        if self._depth == 0:
            self._client, self._sftp = self._connect()
        self._depth += 1
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._client is not None:
            client, self._client, self._sftp = self._client, None, None
            client.close()

    def upload(self, name: str, data_path: Path) -> None:
        """Put `data_path` in the outbox as `name`: written to `name.part`, checked, renamed.

        Raises:
            NotSent: nothing was put under `name` by this upload; the bank cannot have it.
            GatewayError: the bank may have the file (see the module's description).
        """
        final = posixpath.join(self.outbox, check_name(name))
        try:
            data = Path(data_path).read_bytes()
        except OSError as exc:
            raise NotSent(
                f"Could not upload {name} to {self._where(final)}: cannot read the payment file "
                f"{data_path}: {_reason(exc)}."
            ) from exc
        with self._upload_session(name) as sftp:
            if self._is_there(sftp, name, final):
                self._keep_earlier(sftp, name, final, data)
                return
            partial = self._send(sftp, name, final, data)
            self._rename(sftp, name, partial, final, data)

    def exists(self, name: str) -> bool:
        path = posixpath.join(self.outbox, check_name(name))
        with self._session(f"look for {self._where(path)}") as sftp:
            return _is_file(sftp, path)

    def incoming(self) -> list[str]:
        with self._session(f"list the inbox {self._where(self.inbox)}") as sftp:
            entries = sftp.listdir_attr(self.inbox or ".")
        return sorted(
            entry.filename for entry in entries if is_waiting(entry.filename) and _regular(entry)
        )

    def fetch(self, name: str) -> bytes:
        path = posixpath.join(self.inbox, check_name(name))
        with self._session(f"fetch {self._where(path)}") as sftp:
            try:
                with sftp.open(path, "rb") as remote:
                    remote.prefetch()  # pipelined reads: one round trip per chunk is slow
                    return remote.read()
            except FileNotFoundError as exc:
                raise GatewayError(
                    f"The bank file {name} is not in the inbox {self._where(self.inbox)}."
                ) from exc

    def archive(self, name: str) -> None:
        source = posixpath.join(self.inbox, check_name(name))
        processed = posixpath.join(self.inbox, PROCESSED)
        with self._session(f"archive {self._where(source)}") as sftp:
            if not _is_file(sftp, source):
                if _is_file(sftp, posixpath.join(processed, name)):
                    return  # archived already: a retry after a crash between archive and commit
                raise GatewayError(
                    f"Cannot archive {name}: it is not in the inbox {self._where(self.inbox)}."
                )
            if not _exists(sftp, processed):
                sftp.mkdir(processed)
            free = archive_name(name, lambda n: _exists(sftp, posixpath.join(processed, n)))
            # Plain SFTP rename refuses to overwrite, so an archived file is never lost.
            sftp.rename(source, posixpath.join(processed, free))

    @contextmanager
    def _session(self, action: str) -> Iterator[paramiko.SFTPClient]:
        """The batch's connection, or one for this operation; failures become GatewayErrors."""
        with self:
            sftp = self._sftp
            assert sftp is not None  # __enter__ connected
            try:
                yield sftp
            except _FAILURES as exc:
                raise GatewayError(f"Could not {action}: {_reason(exc)}") from exc

    @contextmanager
    def _upload_session(self, name: str) -> Iterator[paramiko.SFTPClient]:
        """Like `_session`, but failing to connect means the upload did not start."""
        try:
            self.__enter__()
        except GatewayError as exc:
            said = exc.user_message.rstrip(".")
            raise NotSent(
                f"{said}. {name} was not uploaded to the outbox {self._where(self.outbox)}.",
                code=exc.code,
            ) from exc
        try:
            assert self._sftp is not None  # __enter__ connected
            yield self._sftp
        finally:
            self.__exit__()

    def _is_there(self, sftp: paramiko.SFTPClient, name: str, final: str) -> bool:
        """Whether a file is under `name` already, asked before anything is written."""
        try:
            return _exists(sftp, final)
        except _FAILURES as exc:
            raise NotSent(
                f"Could not upload {name} to {self._where(final)}: could not look into the "
                f"outbox first: {_reason(exc)}."
            ) from exc

    def _keep_earlier(self, sftp: paramiko.SFTPClient, name: str, final: str, data: bytes) -> None:
        """A file is under `name`: done if it holds our bytes, else unknown (never replaced)."""
        where = self._where(final)
        try:
            with sftp.open(final, "rb") as remote:
                remote.prefetch()
                there = remote.read()
        except _FAILURES as exc:
            raise GatewayError(
                f"{name} is already in the outbox ({where}) but could not be read to compare "
                f"it with ours: {_reason(exc)}. The bank may have it or take it; it was not "
                "replaced."
            ) from exc
        if there != data:
            raise GatewayError(
                f"A different file named {name} is already in the outbox ({where}): "
                f"{len(there)} bytes, ours {len(data)}. paybot does not replace it and the bank "
                "may take it: check with the bank which file it has before sending again."
            )

    def _send(self, sftp: paramiko.SFTPClient, name: str, final: str, data: bytes) -> str:
        """`name.part` on the server, whole and checked, or NotSent (the .part removed if we can).

        paramiko pipelines writes and drops their error replies (a full disk, a quota), so the
        size on the server is the only proof that the whole file is there.
        """
        partial = f"{final}.part"
        where = self._where(final)
        try:
            sftp.putfo(io.BytesIO(data), partial, file_size=len(data), confirm=False)
            stored = sftp.stat(partial).st_size
        except _FAILURES as exc:
            _discard(sftp, partial, exc)
            raise NotSent(
                f"Could not upload {name} to {where}: writing {name}.part failed: "
                f"{_reason(exc)}. The bank never takes a .part file, so it does not have this one."
            ) from exc
        if stored != len(data):
            _discard(sftp, partial)
            raise NotSent(
                f"Could not upload {name} to {where}: the server kept {stored} of {len(data)} "
                f"bytes of {name}.part (is its disk full?); the bank does not have the file."
            )
        if not _alive(sftp):
            raise NotSent(
                f"Could not upload {name} to {where}: the connection was lost before {name}.part "
                "was renamed; the bank never takes a .part file, so it does not have this one."
            )
        return partial

    def _rename(
        self, sftp: paramiko.SFTPClient, name: str, partial: str, final: str, data: bytes
    ) -> None:
        """`name.part` to `name`: from here on the bank may take the file."""
        where = self._where(final)
        try:
            refused = _rename(sftp, partial, final)
        except _FAILURES as exc:
            raise GatewayError(
                f"The bank may have {name}: the connection broke while {name}.part was being "
                f"renamed to {name} in the outbox ({where}): {_reason(exc)}. It is not known "
                "whether the rename happened; check with the bank before sending it again."
            ) from exc
        if refused is None:
            return
        # The server answered that it did not rename: look whether that is so.
        try:
            final_there, partial_there = _exists(sftp, final), _exists(sftp, partial)
        except _FAILURES as exc:
            raise GatewayError(
                f"The bank may have {name}: the server refused to rename {name}.part to {name} "
                f"({_reason(refused)}) in the outbox ({where}), then could not be asked whether "
                f"{name} is there: {_reason(exc)}."
            ) from exc
        if final_there:
            self._keep_earlier(sftp, name, final, data)  # ours after all, or unknown
            _discard(sftp, partial)
            return
        if not partial_there:
            raise GatewayError(
                f"The bank may have {name}: the server refused to rename {name}.part to {name} "
                f"({_reason(refused)}) in the outbox ({where}), and {name}.part is gone."
            )
        _discard(sftp, partial)
        raise NotSent(
            f"Could not upload {name} to {where}: the server refused to rename {name}.part to "
            f"{name}: {_reason(refused)}. The bank never takes a .part file, so it does not have "
            "this one."
        )

    def _connect(self) -> tuple[paramiko.SSHClient, paramiko.SFTPClient]:
        key = load_private_key(self.key_path)
        client = paramiko.SSHClient()
        # Only the pinned key is trusted: no known_hosts file is loaded, and a server showing any
        # other key is refused, never remembered (RejectPolicy instead of AutoAddPolicy).
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        client.get_host_keys().add(
            self._known_hosts_name(), self.pinned_key.get_name(), self.pinned_key
        )
        try:
            client.connect(
                self.host,
                port=self.port,
                username=self.user,
                pkey=key,
                # Our key file only: no agent, no ~/.ssh keys, no password.
                allow_agent=False,
                look_for_keys=False,
                timeout=self.connect_timeout,
                banner_timeout=self.connect_timeout,
                auth_timeout=self.connect_timeout,
                channel_timeout=self.connect_timeout,
            )
            sftp = client.open_sftp()
            channel = sftp.get_channel()
            if channel is not None:
                channel.settimeout(self.operation_timeout)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            client.close()
            raise self._connect_error(exc, key) from exc
        except BaseException:
            client.close()
            raise
        return client, sftp

    def _connect_error(self, exc: Exception, key: paramiko.PKey) -> GatewayError:
        server = f"SFTP server {self.user}@{self.host}:{self.port}"
        if isinstance(exc, paramiko.BadHostKeyException):
            seen, pinned = exc.key, self.pinned_key
            return GatewayError(
                f"Refused to connect to the bank's {server}: it showed the host key "
                f"{seen.get_name()} {seen.fingerprint}, but the pinned key is "
                f"{pinned.get_name()} {pinned.fingerprint}. Confirm the new key with the bank "
                "before changing the pinned one.",
                code="bank_host_key_mismatch",
            )
        if isinstance(exc, paramiko.AuthenticationException):
            return GatewayError(
                f"The bank's {server} refused paybot's key {key.get_name()} {key.fingerprint} "
                f"(file {self.key_path}): ask the bank to register its public key for {self.user}.",
                code="bank_key_refused",
            )
        return GatewayError(
            f"Could not connect to the bank's {server}: {_reason(exc)}", code="bank_unreachable"
        )

    def _known_hosts_name(self) -> str:
        # The name paramiko looks the host key up by: bare on port 22, "[host]:port" otherwise.
        return self.host if self.port == SSH_PORT else f"[{self.host}]:{self.port}"

    def _where(self, path: str) -> str:
        return f"{path or '.'} on {self.user}@{self.host}:{self.port}"


def _rename(sftp: paramiko.SFTPClient, partial: str, final: str) -> OSError | None:
    """None once renamed; the server's refusal if it answered that it did not rename.

    A timeout or a broken connection is raised: then nobody knows whether the rename happened.
    """
    try:
        sftp.posix_rename(partial, final)
        return None
    except OSError as exc:
        if _lost(sftp, exc):
            raise
    # Refused, or a server without OpenSSH's posix-rename: plain SFTP rename, which never
    # replaces a file (nothing should be under the final name: it was looked for just before).
    try:
        sftp.rename(partial, final)
        return None
    except OSError as exc:
        if _lost(sftp, exc):
            raise
        return exc


def _discard(sftp: paramiko.SFTPClient, partial: str, cause: BaseException | None = None) -> None:
    """Remove our `.part` file if the connection still works; a leftover one is harmless (the
    bank ignores it, and the next upload writes it anew)."""
    if cause is not None and _lost(sftp, cause):
        return  # after a timeout the server may still be busy: do not wait for it again
    try:
        sftp.remove(partial)
    except _FAILURES:
        pass


def _alive(sftp: paramiko.SFTPClient) -> bool:
    channel = sftp.get_channel()
    if channel is None or channel.closed:
        return False
    transport = channel.get_transport()
    return transport is not None and transport.is_active()


def _lost(sftp: paramiko.SFTPClient, exc: BaseException) -> bool:
    """Whether `exc` is a connection that broke or stopped answering, not a server's answer."""
    if isinstance(exc, (TimeoutError, ConnectionError, EOFError, paramiko.SSHException)):
        return True
    return not _alive(sftp)


def _exists(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        sftp.stat(path)
    except FileNotFoundError:
        return False
    return True


def _is_file(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        return _regular(sftp.stat(path))
    except FileNotFoundError:
        return False


def _regular(attributes: paramiko.SFTPAttributes) -> bool:
    # A server may leave the mode out; a name that has no mode is then taken for a file.
    return attributes.st_mode is None or stat.S_ISREG(attributes.st_mode)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, TimeoutError) and not str(exc):
        return "the server did not answer in time"
    # paramiko's "Server connection dropped: " ends in the empty text of its EOFError.
    return str(exc).rstrip(": ") or (
        "the connection was closed" if isinstance(exc, EOFError) else type(exc).__name__
    )
