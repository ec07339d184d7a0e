"""An upload that certainly did not happen (`UploadNotStarted`: tried again later) told apart from
one whose outcome is unknown (any other error: the bank may have the file, a person looks).

SFTP against the real paramiko server of `sftp_server.py`, with its faults; the directory gateway
on real folders (a small tmpfs for a full or read-only disk); the sandbox bank's `unreachable` and
`cut_off` rules, also through `paybot bank set` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import errno
import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from paybot.bank.directory import DirectoryGateway
from paybot.bank.gateway import GatewayError, UploadNotStarted
from paybot.bank.sandbox import SandboxBank, SandboxRules
from paybot.cli.main import app
from paybot.core.errors import PaybotError
from tests.bank import test_gateways
from tests.bank.sftp_server import Fault, FaultAt, SftpTestServer
from tests.bank.test_gateways import Keys, an_sftp_gateway
from tests.cli import test_bank_cli
from tests.cli.test_bank_cli import ACCOUNT, ORG, SEND_AT, Cli, sign

# Fixtures shared with the gateway tests (keys, a server) and the CLI tests (a company, a signer).
keys = test_gateways.keys
server_folder = test_gateways.server_folder
start_server = test_gateways.start_server
cli = test_bank_cli.cli
acme = test_bank_cli.acme

NAME = "PAYBOT-B7.xml"
FINAL = f"outbox/{NAME}"
PARTIAL = f"{FINAL}.part"
# The little of a pain.001 the sandbox bank reads.
PAIN001 = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn>
<GrpHdr><MsgId>PAYBOT-B7</MsgId></GrpHdr>
<PmtInf><PmtInfId>PAYBOT-B7-1</PmtInfId><ReqdExctnDt>2026-11-23</ReqdExctnDt>
<DbtrAcct><Id><Othr><Id>86011117947</Id></Othr></Id></DbtrAcct>
<CdtTrfTxInf><PmtId><EndToEndId>PAYBOT-P1-1</EndToEndId></PmtId>
<Amt><InstdAmt Ccy="NOK">100.00</InstdAmt></Amt>
<CdtrAcct><Id><Othr><Id>12345678903</Id></Othr></Id></CdtrAcct></CdtTrfTxInf>
</PmtInf></CstmrCdtTrfInitn></Document>
"""


def content(size: int, seed: bytes = b"<payment/>") -> bytes:
    return (seed * (size // len(seed) + 1))[:size]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / NAME
    path.write_bytes(content(50_000))  # more than one SFTP write request
    return path


def not_started(upload: Callable[[], None]) -> UploadNotStarted:
    with pytest.raises(UploadNotStarted) as failed:
        upload()
    return failed.value


def unknown(upload: Callable[[], None]) -> GatewayError:
    """The error of an upload whose outcome is unknown: a GatewayError, not UploadNotStarted."""
    with pytest.raises(PaybotError) as failed:
        upload()
    assert not isinstance(failed.value, UploadNotStarted), failed.value.user_message
    assert isinstance(failed.value, GatewayError)
    return failed.value


def assert_says_where(error: PaybotError, port: int, keys: Keys) -> None:
    """The message names the server, the folder and the file, and holds no key material."""
    message = error.user_message
    assert f"127.0.0.1:{port}" in message and "outbox" in message and NAME in message, message
    for key_file in (keys.host, keys.client, keys.stranger):
        assert key_file.key.get_base64() not in message
        private = key_file.path.read_text().splitlines()[1:-1]
        assert not any(line in message for line in private)


# --- SFTP: nothing reached the bank --------------------------------------------------------------


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port: int = placeholder.getsockname()[1]
    return port  # free once closed: nothing listens there


def test_sftp_upload_to_a_port_with_nothing_listening_did_not_start(
    keys: Keys, data: Path, start_server: Callable[..., SftpTestServer]
) -> None:
    port = free_port()
    gateway = an_sftp_gateway(start_server(), keys, port=port)
    error = not_started(lambda: gateway.upload(NAME, data))
    assert error.code == "bank_unreachable"
    assert_says_where(error, port, keys)


def test_sftp_upload_to_a_host_that_does_not_resolve_did_not_start(
    keys: Keys, data: Path, start_server: Callable[..., SftpTestServer]
) -> None:
    gateway = an_sftp_gateway(start_server(), keys, host="bank.invalid", port=2222)
    error = not_started(lambda: gateway.upload(NAME, data))
    assert error.code == "bank_unreachable"
    assert "bank.invalid:2222" in error.user_message and NAME in error.user_message


def test_sftp_upload_to_a_server_that_never_answers_did_not_start(
    keys: Keys, data: Path, start_server: Callable[..., SftpTestServer]
) -> None:
    # The connection is accepted (by the kernel) but no SSH greeting ever comes.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        gateway = an_sftp_gateway(start_server(), keys, port=port, connect_timeout=0.3)
        error = not_started(lambda: gateway.upload(NAME, data))
    assert error.code == "bank_unreachable"
    assert_says_where(error, port, keys)


def test_sftp_upload_to_a_server_with_another_host_key_did_not_start(
    start_server: Callable[..., SftpTestServer], keys: Keys, data: Path, server_folder: Path
) -> None:
    server = start_server(host_key=keys.stranger.key)
    error = not_started(lambda: an_sftp_gateway(server, keys).upload(NAME, data))
    assert error.code == "bank_host_key_mismatch"
    assert keys.stranger.key.fingerprint in error.user_message
    assert_says_where(error, server.port, keys)
    assert os.listdir(server_folder / "outbox") == []


def test_sftp_upload_with_a_key_the_bank_refuses_did_not_start(
    start_server: Callable[..., SftpTestServer], keys: Keys, data: Path, server_folder: Path
) -> None:
    server = start_server()
    gateway = an_sftp_gateway(server, keys, key_path=keys.stranger.path)
    error = not_started(lambda: gateway.upload(NAME, data))
    assert error.code == "bank_key_refused"
    assert_says_where(error, server.port, keys)
    assert server.state.journal == [] and os.listdir(server_folder / "outbox") == []


def test_sftp_upload_to_a_missing_outbox_did_not_start(
    start_server: Callable[..., SftpTestServer], keys: Keys, data: Path, server_folder: Path
) -> None:
    server = start_server()
    (server_folder / "outbox").rmdir()
    error = not_started(lambda: an_sftp_gateway(server, keys).upload(NAME, data))
    assert_says_where(error, server.port, keys)
    assert "No such file" in error.user_message


def test_sftp_upload_to_a_read_only_outbox_did_not_start(
    start_server: Callable[..., SftpTestServer], keys: Keys, data: Path, server_folder: Path
) -> None:
    # What a folder without write permission answers: "permission denied" when opening the file.
    server = start_server(faults=[FaultAt("open", Fault.REFUSE, ".part")])
    error = not_started(lambda: an_sftp_gateway(server, keys).upload(NAME, data))
    assert_says_where(error, server.port, keys)
    assert "Permission denied" in error.user_message
    assert os.listdir(server_folder / "outbox") == []


@pytest.mark.parametrize("fault", [Fault.DROP_BEFORE, Fault.STALL_AFTER])
def test_sftp_upload_cut_while_writing_the_part_file_did_not_start(
    fault: Fault,
    start_server: Callable[..., SftpTestServer],
    keys: Keys,
    data: Path,
    server_folder: Path,
) -> None:
    server = start_server(faults=[FaultAt("write", fault)])
    gateway = an_sftp_gateway(server, keys, operation_timeout=0.3)
    error = not_started(lambda: gateway.upload(NAME, data))
    assert_says_where(error, server.port, keys)
    assert ".part" in error.user_message  # says why the bank cannot have it
    # The final name never existed: the bank never takes a .part file.
    assert not (server_folder / "outbox" / NAME).exists()
    assert not any(entry[-1] == FINAL for entry in server.state.journal)


def test_sftp_upload_the_server_kept_short_did_not_start_and_leaves_no_part_file(
    start_server: Callable[..., SftpTestServer], keys: Keys, data: Path, server_folder: Path
) -> None:
    server = start_server(disk_space=40_000)  # the second 32 KiB write request does not fit
    error = not_started(lambda: an_sftp_gateway(server, keys).upload(NAME, data))
    assert "kept 32768 of 50000 bytes" in error.user_message
    assert_says_where(error, server.port, keys)
    assert os.listdir(server_folder / "outbox") == []
    assert server.state.journal[-1] == ("remove", PARTIAL)


def test_sftp_upload_whose_rename_is_refused_did_not_start(
    start_server: Callable[..., SftpTestServer], keys: Keys, data: Path, server_folder: Path
) -> None:
    refused = [FaultAt("posix_rename", Fault.REFUSE), FaultAt("rename", Fault.REFUSE)]
    server = start_server(faults=refused)
    error = not_started(lambda: an_sftp_gateway(server, keys).upload(NAME, data))
    assert_says_where(error, server.port, keys)
    assert os.listdir(server_folder / "outbox") == []  # the .part file is removed


# --- SFTP: the bank may have the file ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "renamed"),
    [(Fault.DROP_BEFORE, False), (Fault.DROP_AFTER, True), (Fault.STALL_AFTER, True)],
)
def test_sftp_upload_cut_during_the_rename_is_unknown(
    fault: Fault,
    renamed: bool,
    start_server: Callable[..., SftpTestServer],
    keys: Keys,
    data: Path,
    server_folder: Path,
) -> None:
    server = start_server(faults=[FaultAt("posix_rename", fault)])
    gateway = an_sftp_gateway(server, keys, operation_timeout=0.3)
    error = unknown(lambda: gateway.upload(NAME, data))
    assert_says_where(error, server.port, keys)
    assert "may have" in error.user_message
    assert (server_folder / "outbox" / NAME).exists() is renamed


def test_sftp_upload_cut_during_a_plain_rename_is_unknown(
    start_server: Callable[..., SftpTestServer], keys: Keys, data: Path, server_folder: Path
) -> None:
    server = start_server(posix_rename=False, faults=[FaultAt("rename", Fault.DROP_AFTER)])
    error = unknown(lambda: an_sftp_gateway(server, keys).upload(NAME, data))
    assert_says_where(error, server.port, keys)
    assert (server_folder / "outbox" / NAME).read_bytes() == data.read_bytes()


def test_sftp_upload_of_a_file_still_waiting_in_the_outbox_keeps_that_copy(
    start_server: Callable[..., SftpTestServer], keys: Keys, data: Path, server_folder: Path
) -> None:
    """The same name is the same batch: the earlier copy is what the bank will take. Replacing it
    could let the bank take the file twice (once while it was being replaced)."""
    server = start_server()
    waiting = server_folder / "outbox" / NAME
    waiting.write_bytes(data.read_bytes())
    before = waiting.stat()

    an_sftp_gateway(server, keys).upload(NAME, data)

    assert waiting.stat().st_ino == before.st_ino and waiting.read_bytes() == data.read_bytes()
    assert not any(
        entry[0] in {"write", "posix_rename", "rename"} for entry in server.state.journal
    )


def test_sftp_upload_over_another_file_of_the_same_name_is_unknown_and_replaces_nothing(
    start_server: Callable[..., SftpTestServer], keys: Keys, data: Path, server_folder: Path
) -> None:
    server = start_server()
    other = server_folder / "outbox" / NAME
    other.write_bytes(b"<Document>something else</Document>")
    error = unknown(lambda: an_sftp_gateway(server, keys).upload(NAME, data))
    assert_says_where(error, server.port, keys)
    assert "different" in error.user_message
    assert other.read_bytes() == b"<Document>something else</Document>"
    assert os.listdir(server_folder / "outbox") == [NAME]


RENAMES = {"rename", "posix_rename"}
FAULTS = {fault.value for fault in Fault}


def rename_asked(journal: list[tuple[str, ...]]) -> bool:
    """Whether the server got a rename request (done, refused, or cut by a fault)."""
    return any(e[0] in RENAMES or (e[0] in FAULTS and e[1] in RENAMES) for e in journal)


OPERATIONS = ["open", "read", "write", "stat", "remove", "rename", "posix_rename"]
faults = st.builds(
    FaultAt,
    st.sampled_from(OPERATIONS),
    st.sampled_from(list(Fault)),
    st.sampled_from(["", ".part", NAME]),
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    chosen=st.lists(faults, max_size=2),
    size=st.integers(0, 80_000),
    earlier=st.sampled_from([None, "same", "other"]),
    posix_rename=st.booleans(),
    disk_space=st.none() | st.integers(0, 80_000),
)
def test_sftp_upload_not_started_means_the_final_name_was_never_touched(
    chosen: list[FaultAt],
    size: int,
    earlier: str | None,
    posix_rename: bool,
    disk_space: int | None,
    start_server: Callable[..., SftpTestServer],
    keys: Keys,
    server_folder: Path,
    tmp_path: Path,
) -> None:
    """Whatever fails: success means the bank has exactly our bytes; UploadNotStarted means this
    upload put nothing under the final name; "unknown" only once the rename was asked for (or a
    file of that name was there already); and every error is a sentence naming where."""
    server = start_server(faults=chosen, posix_rename=posix_rename, disk_space=disk_space)
    outbox = server_folder / "outbox"
    for leftover in outbox.iterdir():
        leftover.unlink()
    ours = content(size)
    local = tmp_path / NAME
    local.write_bytes(ours)
    before = {"same": ours, "other": content(size + 1, b"<other/>"), None: None}[earlier]
    if before is not None:
        (outbox / NAME).write_bytes(before)
    gateway = an_sftp_gateway(server, keys, operation_timeout=0.3)

    try:
        gateway.upload(NAME, local)
    except UploadNotStarted as error:
        event("not started")
        assert_says_where(error, server.port, keys)
        touched = [e for e in server.state.journal if e[-1] == FINAL and e[0] != "stat"]
        assert not any(e[0] in {"write", "rename", "posix_rename"} for e in touched)
        final = outbox / NAME
        assert (final.read_bytes() if final.exists() else None) == before
    except PaybotError as error:
        event("unknown")
        assert isinstance(error, GatewayError)
        assert_says_where(error, server.port, keys)
        assert rename_asked(server.state.journal) or before is not None, server.state.journal
    else:
        event("done")
        assert (outbox / NAME).read_bytes() == ours
        assert os.listdir(outbox) == [NAME]
    finally:
        server.stop()


# --- the directory gateway -----------------------------------------------------------------------


@pytest.fixture
def folders(tmp_path: Path) -> DirectoryGateway:
    return DirectoryGateway(tmp_path / "bank" / "outbox", tmp_path / "bank" / "inbox")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: a real full disk, and remountable read-only (needs mount rights)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_directory_upload_to_a_missing_outbox_did_not_start(
    folders: DirectoryGateway, data: Path
) -> None:
    folders.outbox.rmdir()
    error = not_started(lambda: folders.upload(NAME, data))
    assert str(folders.outbox) in error.user_message and NAME in error.user_message


def test_directory_upload_to_a_full_disk_did_not_start_and_leaves_nothing(
    small_disk: Path, data: Path, tmp_path: Path
) -> None:
    gateway = DirectoryGateway(small_disk / "outbox", tmp_path / "inbox")
    big = tmp_path / "big" / NAME
    big.parent.mkdir()
    big.write_bytes(content(200_000))
    error = not_started(lambda: gateway.upload(NAME, big))
    assert "No space left" in error.user_message and NAME in error.user_message
    assert os.listdir(gateway.outbox) == []


def test_directory_upload_to_a_read_only_outbox_did_not_start(
    small_disk: Path, data: Path, tmp_path: Path
) -> None:
    gateway = DirectoryGateway(small_disk / "outbox", tmp_path / "inbox")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    error = not_started(lambda: gateway.upload(NAME, data))
    assert "Read-only" in error.user_message and str(gateway.outbox) in error.user_message


def test_directory_upload_whose_rename_fails_did_not_start(
    folders: DirectoryGateway, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(source: str | Path, target: str | Path) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "replace", failing_replace)
    error = not_started(lambda: folders.upload(NAME, data))
    assert "Input/output error" in error.user_message and NAME in error.user_message
    assert os.listdir(folders.outbox) == []


def test_directory_upload_whose_rename_is_done_but_reported_failed_is_complete(
    folders: DirectoryGateway, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A network file system may rename, lose the answer, and report an error on the retry: the
    file is there whole, so the upload is done."""
    real_replace = os.replace

    def replace_then_fail(source: str | Path, target: str | Path) -> None:
        real_replace(source, target)
        raise FileNotFoundError(errno.ENOENT, "No such file or directory")

    monkeypatch.setattr(os, "replace", replace_then_fail)
    folders.upload(NAME, data)
    assert os.listdir(folders.outbox) == [NAME]
    assert (folders.outbox / NAME).read_bytes() == data.read_bytes()


def test_directory_upload_of_a_file_still_waiting_keeps_that_copy(
    folders: DirectoryGateway, data: Path
) -> None:
    waiting = folders.outbox / NAME
    waiting.write_bytes(data.read_bytes())
    before = waiting.stat().st_ino
    folders.upload(NAME, data)
    assert waiting.stat().st_ino == before and os.listdir(folders.outbox) == [NAME]


def test_directory_upload_over_another_file_of_the_same_name_is_unknown(
    folders: DirectoryGateway, data: Path
) -> None:
    (folders.outbox / NAME).write_bytes(b"something else")
    error = unknown(lambda: folders.upload(NAME, data))
    assert "different" in error.user_message and str(folders.outbox) in error.user_message
    assert (folders.outbox / NAME).read_bytes() == b"something else"
    assert os.listdir(folders.outbox) == [NAME]


# --- the sandbox bank ----------------------------------------------------------------------------


@pytest.fixture
def pain001(tmp_path: Path) -> Path:
    path = tmp_path / NAME
    path.write_bytes(PAIN001)
    return path


def test_sandbox_rules_read_unreachable_and_cut_off() -> None:
    assert SandboxRules.from_settings({}) == SandboxRules()
    rules = SandboxRules.from_settings({"unreachable": True, "cut_off": True})
    assert rules.unreachable and rules.cut_off
    assert not SandboxRules.from_settings({"unreachable": False}).unreachable


def test_an_unreachable_sandbox_bank_gets_nothing(tmp_path: Path, pain001: Path) -> None:
    bank = SandboxBank(tmp_path / "out", tmp_path / "in", SandboxRules(unreachable=True))
    error = not_started(lambda: bank.upload(NAME, pain001))
    assert NAME in error.user_message and str(tmp_path / "out") in error.user_message
    assert os.listdir(tmp_path / "out") == [] and bank.incoming() == []


def test_a_cut_off_sandbox_bank_takes_and_answers_the_file_but_paybot_cannot_know(
    tmp_path: Path, pain001: Path
) -> None:
    bank = SandboxBank(tmp_path / "out", tmp_path / "in", SandboxRules(cut_off=True))
    error = unknown(lambda: bank.upload(NAME, pain001))
    assert NAME in error.user_message and "may have" in error.user_message
    assert not bank.exists(NAME)  # taken
    assert any(name.endswith("-pain002.xml") for name in bank.incoming())  # and answered


def test_sandbox_rules_set_from_the_command_line_reach_the_bank(
    acme: dict[str, int], cli: Cli
) -> None:
    account = ("bank", "set", "--company", ORG, "--account", ACCOUNT)
    shown = cli(*account, "--sandbox-unreachable")
    assert "unreachable: True" in shown
    sign(cli, acme["1001"])
    runner = CliRunner()
    refused = runner.invoke(app, ["dispatch", "--now", SEND_AT])
    output = refused.stdout + (refused.stderr or "")
    assert "Sent batch" not in output and "Traceback" not in output, output
    assert "'unreachable'" in output  # the gateway's reason is shown
    assert os.listdir(cli.inbox.parent / "outbox") == []  # nothing reached the bank
    assert os.listdir(cli.inbox) == ["processed"]  # and it answered nothing

    shown = cli(*account, "--sandbox-reachable", "--sandbox-cut-off")
    assert "unreachable: False" in shown and "cut_off: True" in shown
    sign(cli, acme["1003"])  # due with one signature (the bank refuses it: still an answer)
    cut = runner.invoke(app, ["dispatch", "--now", SEND_AT])
    output = cut.stdout + (cut.stderr or "")
    assert "Sent batch" not in output and "Traceback" not in output, output
    assert "may have" in output
    assert any(name.endswith("-pain002.xml") for name in os.listdir(cli.inbox)), output

    shown = cli(*account, "--no-sandbox-cut-off")
    assert "cut_off: False" in shown
