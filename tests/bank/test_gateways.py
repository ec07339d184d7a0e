"""The bank gateways: local folders, and SFTP against a real server on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from paybot.bank.directory import DirectoryGateway
from paybot.bank.factory import make_gateway
from paybot.bank.gateway import (
    BankGateway,
    GatewayConfig,
    GatewayError,
    GatewayKind,
    batch,
    check_name,
)
from paybot.bank.sftp import SftpGateway, parse_host_key
from tests.bank.sftp_server import ServerState, SftpTestServer

PAIN001 = b'<?xml version="1.0" encoding="UTF-8"?>\n<Document>payments</Document>\n'
USER = "paybot"

# --- keys ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFile:
    path: Path
    key: paramiko.PKey

    @property
    def public_line(self) -> str:
        return f"{self.key.get_name()} {self.key.get_base64()} test@paybot"


def an_ed25519_key_file(folder: Path, name: str) -> KeyFile:
    # paramiko cannot generate Ed25519 keys: cryptography writes one in OpenSSH format instead.
    private = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    path = folder / name
    path.write_bytes(private)
    return KeyFile(path, paramiko.Ed25519Key.from_private_key_file(str(path)))


def an_rsa_key_file(folder: Path, name: str) -> KeyFile:
    key = paramiko.RSAKey.generate(2048)
    key.write_private_key_file(str(folder / name))
    return KeyFile(folder / name, key)


@dataclass(frozen=True)
class Keys:
    host: KeyFile
    client: KeyFile
    stranger: KeyFile


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    folder = tmp_path_factory.mktemp("keys")
    return Keys(*(an_ed25519_key_file(folder, name) for name in ("host", "client", "stranger")))


# --- the server ----------------------------------------------------------------------------------


def threads_started_since(before: set[threading.Thread]) -> list[threading.Thread]:
    # paramiko's threads notice a closed socket within a poll interval; give them a moment
    # (a generous one: only a leak, or a very busy machine, waits this long).
    deadline = time.monotonic() + 10
    while (left := [t for t in threading.enumerate() if t not in before and t.is_alive()]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.02)
    return left


@pytest.fixture
def server_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "bank"
    (folder / "outbox").mkdir(parents=True)
    (folder / "inbox").mkdir()
    return folder


@pytest.fixture
def start_server(server_folder: Path, keys: Keys) -> Iterator[Callable[..., SftpTestServer]]:
    """Starts servers on free loopback ports; stops them, and checks no thread outlives the test."""
    before = set(threading.enumerate())
    servers: list[SftpTestServer] = []

    def start(
        host_key: paramiko.PKey | None = None,
        client_key: paramiko.PKey | None = None,
        **options: object,
    ) -> SftpTestServer:
        state = ServerState(server_folder, USER, client_key or keys.client.key, **options)  # type: ignore[arg-type]
        server = SftpTestServer(state, host_key or keys.host.key).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
    assert threads_started_since(before) == []


@pytest.fixture
def sftp_server(start_server: Callable[..., SftpTestServer]) -> SftpTestServer:
    return start_server()


def an_sftp_gateway(server: SftpTestServer, keys: Keys, **overrides: object) -> SftpGateway:
    settings: dict[str, object] = {
        "host": "127.0.0.1",
        "port": server.port,
        "user": USER,
        "key_path": keys.client.path,
        "host_key": keys.host.public_line,
        "outbox": "outbox",
        "inbox": "inbox",
        "connect_timeout": 2.0,
        "operation_timeout": 2.0,
    }
    settings.update(overrides)
    return SftpGateway(**settings)  # type: ignore[arg-type]


@pytest.fixture
def payment_file(tmp_path: Path) -> Path:
    path = tmp_path / "pain001-1.xml"
    path.write_bytes(PAIN001)
    return path


# --- the directory gateway -----------------------------------------------------------------------


@pytest.fixture
def folders(tmp_path: Path) -> DirectoryGateway:
    return DirectoryGateway(tmp_path / "bank" / "outbox", tmp_path / "bank" / "inbox")


def test_directory_gateway_creates_its_folders(folders: DirectoryGateway) -> None:
    assert folders.outbox.is_dir() and folders.inbox.is_dir()
    assert (folders.inbox / "processed").is_dir()


def test_directory_upload_renames_a_complete_file_from_the_same_folder(
    folders: DirectoryGateway, payment_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renames: list[tuple[Path, Path, bytes, bool]] = []
    real_replace = os.replace

    def watching_replace(source: str | Path, target: str | Path) -> None:
        renames.append(
            (Path(source), Path(target), Path(source).read_bytes(), Path(target).exists())
        )
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", watching_replace)
    folders.upload("pain001-1.xml", payment_file)

    [(source, target, content, target_existed)] = renames
    assert target == folders.outbox / "pain001-1.xml" and not target_existed
    assert source.parent == folders.outbox and source.name.startswith(".")
    assert source.name.endswith(".part") and content == PAIN001
    assert sorted(os.listdir(folders.outbox)) == ["pain001-1.xml"]
    assert (folders.outbox / "pain001-1.xml").read_bytes() == PAIN001


def test_directory_upload_again_replaces_the_file(
    folders: DirectoryGateway, payment_file: Path
) -> None:
    folders.upload("pain001-1.xml", payment_file)
    folders.upload("pain001-1.xml", payment_file)
    assert os.listdir(folders.outbox) == ["pain001-1.xml"]
    assert (folders.outbox / "pain001-1.xml").read_bytes() == PAIN001


def test_directory_upload_of_a_missing_file_leaves_nothing_behind(
    folders: DirectoryGateway, tmp_path: Path
) -> None:
    with pytest.raises(GatewayError, match=r"Could not upload .*missing\.xml"):
        folders.upload("pain001-1.xml", tmp_path / "missing.xml")
    assert os.listdir(folders.outbox) == []


def test_directory_exists_until_the_bank_takes_the_file(
    folders: DirectoryGateway, payment_file: Path
) -> None:
    assert not folders.exists("pain001-1.xml")
    folders.upload("pain001-1.xml", payment_file)
    assert folders.exists("pain001-1.xml")
    (folders.outbox / "pain001-1.xml").unlink()  # the bank took it
    assert not folders.exists("pain001-1.xml")


def test_directory_incoming_lists_finished_files_only(folders: DirectoryGateway) -> None:
    for name in ("b.xml", "a.xml", "c.xml.part", ".hidden.xml", "d.xml.filepart"):
        (folders.inbox / name).write_bytes(b"x")
    assert folders.incoming() == ["a.xml", "b.xml"]  # sorted; processed/ is a folder, not a file


def test_directory_fetch_reads_an_inbox_file(folders: DirectoryGateway) -> None:
    (folders.inbox / "pain002.xml").write_bytes(b"<status/>")
    assert folders.fetch("pain002.xml") == b"<status/>"
    with pytest.raises(GatewayError, match="nope.xml is not in the inbox"):
        folders.fetch("nope.xml")


def test_directory_archive_moves_the_file_and_is_idempotent(folders: DirectoryGateway) -> None:
    (folders.inbox / "camt054.xml").write_bytes(b"<camt/>")
    folders.archive("camt054.xml")
    folders.archive("camt054.xml")
    assert folders.incoming() == []
    assert (folders.processed / "camt054.xml").read_bytes() == b"<camt/>"


def test_directory_archive_keeps_both_when_the_bank_resends_a_name(
    folders: DirectoryGateway,
) -> None:
    (folders.inbox / "camt054.xml").write_bytes(b"first")
    folders.archive("camt054.xml")
    (folders.inbox / "camt054.xml").write_bytes(b"second")
    folders.archive("camt054.xml")
    assert (folders.processed / "camt054.xml").read_bytes() == b"first"
    assert (folders.processed / "camt054.2.xml").read_bytes() == b"second"


def test_directory_archive_of_an_unknown_file_is_refused(folders: DirectoryGateway) -> None:
    with pytest.raises(GatewayError, match="Cannot archive nope.xml: it is not in the inbox"):
        folders.archive("nope.xml")


@pytest.mark.parametrize("name", ["", ".", "..", "../x.xml", "a/b.xml", "a\\b.xml", "/etc/passwd"])
def test_names_with_a_folder_part_are_refused(name: str, folders: DirectoryGateway) -> None:
    with pytest.raises(GatewayError, match="not a bank file name"):
        check_name(name)
    with pytest.raises(GatewayError):
        folders.fetch(name)


# --- make_gateway --------------------------------------------------------------------------------


def test_make_gateway_builds_a_directory_gateway(tmp_path: Path) -> None:
    config = GatewayConfig(GatewayKind.DIRECTORY, str(tmp_path / "out"), str(tmp_path / "in"))
    gateway = make_gateway(config)
    assert isinstance(gateway, DirectoryGateway) and gateway.outbox == tmp_path / "out"


def test_make_gateway_names_the_missing_sftp_settings() -> None:
    config = GatewayConfig(GatewayKind.SFTP, "outbox", "inbox", sftp_host="bank.example")
    with pytest.raises(GatewayError, match="missing its user, key file, pinned host key"):
        make_gateway(config)


def test_make_gateway_builds_the_sandbox_with_the_given_factory(folders: DirectoryGateway) -> None:
    config = GatewayConfig(GatewayKind.SANDBOX, "outbox", "inbox")
    with pytest.raises(GatewayError, match="sandbox bank is not available"):
        make_gateway(config)

    def sandbox(given: GatewayConfig) -> BankGateway:
        return folders

    assert make_gateway(config, sandbox=sandbox) is folders


@pytest.mark.parametrize(
    "line", ["", "AAAAC3NzaC1lZDI1NTE5", "ssh-ed25519 not-base64!", "ssh-rsa AAAAB3Nza"]
)
def test_a_damaged_pinned_host_key_is_refused_clearly(line: str) -> None:
    with pytest.raises(GatewayError, match="pinned SFTP host key"):
        parse_host_key(line)


def test_a_keyscan_line_with_a_host_part_is_a_pinned_key(keys: Keys) -> None:
    assert parse_host_key(f"[bank.example]:2222 {keys.host.public_line}") == keys.host.key


# --- the SFTP gateway against a real server ------------------------------------------------------


def test_sftp_upload_arrives_whole_under_its_final_name(
    sftp_server: SftpTestServer, keys: Keys, payment_file: Path, server_folder: Path
) -> None:
    an_sftp_gateway(sftp_server, keys).upload("pain001-1.xml", payment_file)

    assert (server_folder / "outbox" / "pain001-1.xml").read_bytes() == PAIN001
    assert os.listdir(server_folder / "outbox") == ["pain001-1.xml"]
    # The final name was never written to: it appeared only by renaming the finished .part file.
    assert sftp_server.state.journal == [
        ("write", "outbox/pain001-1.xml.part"),
        ("posix_rename", "outbox/pain001-1.xml.part", "outbox/pain001-1.xml"),
    ]
    assert sftp_server.state.passwords_tried == 0


def test_sftp_upload_without_posix_rename_renames_and_again_keeps_the_waiting_file(
    start_server: Callable[..., SftpTestServer], keys: Keys, payment_file: Path, server_folder: Path
) -> None:
    server = start_server(posix_rename=False)
    gateway = an_sftp_gateway(server, keys)
    gateway.upload("pain001-1.xml", payment_file)
    gateway.upload("pain001-1.xml", payment_file)

    assert os.listdir(server_folder / "outbox") == ["pain001-1.xml"]
    assert (server_folder / "outbox" / "pain001-1.xml").read_bytes() == PAIN001
    # The second upload found the same file still waiting for the bank and left it alone:
    # removing it to put it back could let the bank take it twice.
    assert server.state.journal == [
        ("write", "outbox/pain001-1.xml.part"),
        ("rename", "outbox/pain001-1.xml.part", "outbox/pain001-1.xml"),
    ]


def test_sftp_upload_cut_short_never_shows_the_final_name(
    start_server: Callable[..., SftpTestServer], keys: Keys, tmp_path: Path, server_folder: Path
) -> None:
    server = start_server(disk_space=40_000)
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * 100_000)
    with pytest.raises(
        GatewayError, match=r"upload .*big\.xml to outbox/big\.xml on .* kept \d+ of 100000 bytes"
    ):
        an_sftp_gateway(server, keys).upload("big.xml", big)
    assert not (server_folder / "outbox" / "big.xml").exists()


def test_sftp_exists_incoming_fetch_and_archive(
    sftp_server: SftpTestServer, keys: Keys, payment_file: Path, server_folder: Path
) -> None:
    inbox = server_folder / "inbox"
    for name in ("pain002-2.xml", "camt054-1.xml", "camt054-3.xml.part", ".upload.xml"):
        (inbox / name).write_bytes(name.encode())
    gateway = an_sftp_gateway(sftp_server, keys)

    assert not gateway.exists("pain001-1.xml")
    gateway.upload("pain001-1.xml", payment_file)
    assert gateway.exists("pain001-1.xml")
    assert gateway.incoming() == ["camt054-1.xml", "pain002-2.xml"]
    assert gateway.fetch("pain002-2.xml") == b"pain002-2.xml"
    gateway.archive("pain002-2.xml")
    gateway.archive("pain002-2.xml")  # again, as after a crash before the commit: harmless

    assert gateway.incoming() == ["camt054-1.xml"]
    assert (inbox / "processed" / "pain002-2.xml").read_bytes() == b"pain002-2.xml"
    with pytest.raises(GatewayError, match="pain002-2.xml is not in the inbox inbox on paybot@"):
        gateway.fetch("pain002-2.xml")


def test_sftp_batch_uses_one_connection(
    sftp_server: SftpTestServer, keys: Keys, server_folder: Path
) -> None:
    (server_folder / "inbox" / "camt054-1.xml").write_bytes(b"<camt/>")
    gateway = an_sftp_gateway(sftp_server, keys)
    with batch(gateway):
        for name in gateway.incoming():
            gateway.fetch(name)
            gateway.archive(name)
    assert sftp_server.state.connections == 1

    gateway.incoming()
    gateway.incoming()
    assert sftp_server.state.connections == 3  # outside a batch, one connection per operation


def test_sftp_works_with_rsa_keys_on_both_sides(
    start_server: Callable[..., SftpTestServer], tmp_path: Path, payment_file: Path
) -> None:
    host, client = (an_rsa_key_file(tmp_path, name) for name in ("host-rsa", "client-rsa"))
    keys = Keys(host=host, client=client, stranger=client)
    server = start_server(host_key=host.key, client_key=client.key)
    an_sftp_gateway(server, keys).upload("pain001-1.xml", payment_file)
    assert server.state.journal[-1] == (
        "posix_rename",
        "outbox/pain001-1.xml.part",
        "outbox/pain001-1.xml",
    )


def test_sftp_refuses_a_server_with_another_host_key(
    start_server: Callable[..., SftpTestServer], keys: Keys, payment_file: Path, server_folder: Path
) -> None:
    server = start_server(host_key=keys.stranger.key)
    with pytest.raises(GatewayError) as refused:
        an_sftp_gateway(server, keys).upload("pain001-1.xml", payment_file)

    assert refused.value.code == "bank_host_key_mismatch"
    message = refused.value.user_message
    assert f"showed the host key ssh-ed25519 {keys.stranger.key.fingerprint}" in message
    assert f"the pinned key is ssh-ed25519 {keys.host.key.fingerprint}" in message
    assert os.listdir(server_folder / "outbox") == []


def test_sftp_reports_a_client_key_the_server_refuses(
    sftp_server: SftpTestServer, keys: Keys
) -> None:
    gateway = an_sftp_gateway(sftp_server, keys, key_path=keys.stranger.path)
    with pytest.raises(GatewayError) as refused:
        gateway.incoming()

    assert refused.value.code == "bank_key_refused"
    assert f"refused paybot's key ssh-ed25519 {keys.stranger.key.fingerprint}" in str(refused.value)
    assert sftp_server.state.passwords_tried == 0


def test_sftp_reports_a_server_that_is_not_there(keys: Keys) -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]  # free once closed: nothing listens there
    gateway = SftpGateway(
        host="127.0.0.1",
        port=port,
        user=USER,
        key_path=keys.client.path,
        host_key=keys.host.public_line,
        outbox="outbox",
        inbox="inbox",
    )
    with pytest.raises(GatewayError, match=f"Could not connect to .*127.0.0.1:{port}") as failed:
        gateway.incoming()
    assert failed.value.code == "bank_unreachable"


def test_sftp_reports_a_missing_key_file(
    sftp_server: SftpTestServer, keys: Keys, tmp_path: Path
) -> None:
    gateway = an_sftp_gateway(sftp_server, keys, key_path=tmp_path / "no-key")
    with pytest.raises(GatewayError, match="SFTP key file .*no-key does not exist"):
        gateway.incoming()
