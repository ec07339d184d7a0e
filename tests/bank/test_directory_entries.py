"""Odd entries in a directory gateway's inbox: each is skipped or a GatewayError that names the
folder and the entry, never a bare OSError, so one bad entry cannot stop a poll run."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paybot.bank.directory import DirectoryGateway
from paybot.bank.gateway import GatewayError


@pytest.fixture
def gateway(tmp_path: Path) -> DirectoryGateway:
    return DirectoryGateway(tmp_path / "outbox", tmp_path / "inbox")


def put(gateway: DirectoryGateway, name: str, data: bytes = b"<Document/>") -> Path:
    path = gateway.inbox / name
    path.write_bytes(data)
    return path


def refusal(action: Callable[[], object]) -> str:
    with pytest.raises(GatewayError) as caught:
        action()
    return caught.value.user_message


# --- a file named processed ----------------------------------------------------------------------


def test_a_file_named_processed_does_not_stop_the_gateway_or_pass_for_a_bank_file(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "processed").write_bytes(b"someone's notes")
    gateway = DirectoryGateway(tmp_path / "outbox", inbox)
    put(gateway, "camt054.xml")
    assert gateway.incoming() == ["camt054.xml"]
    assert gateway.fetch("camt054.xml") == b"<Document/>"


def test_archiving_into_a_processed_that_is_a_file_says_to_move_it_away(
    gateway: DirectoryGateway,
) -> None:
    put(gateway, "camt054.xml")
    gateway.processed.rmdir()
    gateway.processed.write_bytes(b"in the way")
    message = refusal(lambda: gateway.archive("camt054.xml"))
    assert message == (
        f"Cannot archive camt054.xml: {gateway.processed} is a file, not a folder: move it away."
    )
    # Nothing moved: the file is still in the inbox, the file in the way is untouched.
    assert gateway.incoming() == ["camt054.xml"]
    assert gateway.processed.read_bytes() == b"in the way"


def test_archiving_after_the_processed_file_is_moved_away_works(gateway: DirectoryGateway) -> None:
    put(gateway, "camt054.xml")
    gateway.processed.rmdir()
    gateway.processed.write_bytes(b"in the way")
    refusal(lambda: gateway.archive("camt054.xml"))
    gateway.processed.unlink()
    gateway.archive("camt054.xml")
    assert (gateway.processed / "camt054.xml").read_bytes() == b"<Document/>"


def test_an_inbox_that_is_a_file_is_named_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "inbox").write_bytes(b"")
    message = refusal(lambda: DirectoryGateway(tmp_path / "outbox", tmp_path / "inbox"))
    assert message == (
        f"Cannot use the bank folder {tmp_path / 'inbox'}: it is a file, not a folder: "
        "move it away."
    )


# --- entries that are not regular files ----------------------------------------------------------


def test_listing_skips_folders_links_and_pipes(gateway: DirectoryGateway, tmp_path: Path) -> None:
    put(gateway, "a.xml")
    (gateway.inbox / "sub").mkdir()
    (gateway.inbox / "folder.xml").mkdir()
    outside = tmp_path / "secret.xml"
    outside.write_bytes(b"not the bank's")
    (gateway.inbox / "link.xml").symlink_to(outside)
    os.mkfifo(gateway.inbox / "pipe.xml")
    assert gateway.incoming() == ["a.xml"]


def test_fetching_a_folder_names_the_folder_and_the_entry(gateway: DirectoryGateway) -> None:
    (gateway.inbox / "folder.xml").mkdir()
    assert refusal(lambda: gateway.fetch("folder.xml")) == (
        f"Cannot read the bank file folder.xml in the inbox {gateway.inbox}: "
        "it is a folder, not a file."
    )


def test_fetching_a_link_does_not_follow_it_out_of_the_inbox(
    gateway: DirectoryGateway, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.xml"
    outside.write_bytes(b"not the bank's")
    (gateway.inbox / "link.xml").symlink_to(outside)
    assert refusal(lambda: gateway.fetch("link.xml")) == (
        f"Cannot read the bank file link.xml in the inbox {gateway.inbox}: "
        "it is a link, not a file."
    )


def test_fetching_a_pipe_is_refused_at_once_instead_of_waiting_for_a_writer(
    gateway: DirectoryGateway,
) -> None:
    os.mkfifo(gateway.inbox / "pipe.xml")
    outcome: list[str] = []
    reader = threading.Thread(
        target=lambda: outcome.append(refusal(lambda: gateway.fetch("pipe.xml")))
    )
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # unblock the reader so the test run can end, then fail
        with open(gateway.inbox / "pipe.xml", "wb"):
            pass
        pytest.fail("fetch waited on a named pipe")
    assert outcome == [
        f"Cannot read the bank file pipe.xml in the inbox {gateway.inbox}: "
        "it is not a regular file."
    ]


def test_archiving_a_folder_says_it_is_a_folder(gateway: DirectoryGateway) -> None:
    (gateway.inbox / "folder.xml").mkdir()
    assert refusal(lambda: gateway.archive("folder.xml")) == (
        f"Cannot archive folder.xml: in the inbox {gateway.inbox} it is a folder, not a file."
    )
    assert (gateway.inbox / "folder.xml").is_dir()


# --- entries that cannot be read -----------------------------------------------------------------


def refuse_to_open(monkeypatch: pytest.MonkeyPatch, refused: Path) -> None:
    """As a file without read permission does for a user other than root (tests run as root)."""
    real_open = os.open

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path) == refused:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)


def test_an_unreadable_file_is_a_gateway_error_naming_it(
    gateway: DirectoryGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = put(gateway, "locked.xml")
    path.chmod(0)
    refuse_to_open(monkeypatch, path)
    assert refusal(lambda: gateway.fetch("locked.xml")) == (
        f"Cannot read the bank file locked.xml in the inbox {gateway.inbox}: Permission denied"
    )


class FailingEntry:
    """An inbox entry whose type cannot be read (an lstat that fails, e.g. on a network share)."""

    name = "broken.xml"

    def is_file(self, *, follow_symlinks: bool = True) -> bool:
        raise PermissionError(13, "Permission denied", self.name)


def test_an_entry_whose_type_cannot_be_read_is_skipped_and_the_rest_listed(
    gateway: DirectoryGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(gateway, "a.xml")
    real_scandir = os.scandir

    class Listing:
        def __init__(self, path: Any) -> None:
            self.inner = real_scandir(path)

        def __enter__(self) -> Iterator[Any]:
            return iter([FailingEntry(), *self.inner])

        def __exit__(self, *exc: object) -> None:
            self.inner.close()

    monkeypatch.setattr(os, "scandir", Listing)
    assert gateway.incoming() == ["a.xml"]


def test_an_inbox_replaced_by_a_file_is_named_when_listed(gateway: DirectoryGateway) -> None:
    shutil.rmtree(gateway.inbox)
    gateway.inbox.write_bytes(b"")
    assert refusal(gateway.incoming) == (
        f"Cannot list the bank inbox {gateway.inbox}: it is a file, not a folder: move it away."
    )


# --- names that are not plain text ---------------------------------------------------------------


def test_names_that_are_not_plain_text_are_skipped_and_logged(
    gateway: DirectoryGateway, caplog: pytest.LogCaptureFixture
) -> None:
    put(gateway, "a.xml")
    put(gateway, "\x1b[31mred.xml")
    put(gateway, "rtl\u202elmx.xml")
    os.close(os.open(os.fsencode(gateway.inbox) + b"/latin1-\xe6.xml", os.O_CREAT | os.O_WRONLY))
    with caplog.at_level(logging.WARNING, logger="paybot.bank.directory"):
        assert gateway.incoming() == ["a.xml"]
    logged = caplog.text
    assert str(gateway.inbox) in logged
    assert "\\x1b[31mred.xml" in logged and "\x1b" not in logged
    assert "latin1-\\udce6.xml" in logged


# --- search: whatever the inbox holds, only GatewayErrors -----------------------------------------

ENTRY_KINDS = ("file", "folder", "link", "dangling link", "pipe")
ENTRY_NAMES = ("processed", "a.xml", "b.xml", ".hidden", "c.xml.part", "folder.xml")


def make_entry(folder: Path, name: str, kind: str) -> None:
    path = folder / name
    if kind == "file":
        path.write_bytes(name.encode())
    elif kind == "folder":
        path.mkdir()
    elif kind == "link":
        path.symlink_to(folder.parent / "outside.xml")
    elif kind == "dangling link":
        path.symlink_to(folder / "nowhere")
    else:
        os.mkfifo(path)


@settings(max_examples=60, deadline=None)
@given(
    entries=st.dictionaries(st.sampled_from(ENTRY_NAMES), st.sampled_from(ENTRY_KINDS), max_size=5)
)
def test_whatever_the_inbox_holds_only_gateway_errors_come_out(entries: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        (root / "outside.xml").write_bytes(b"outside")
        (root / "inbox").mkdir()
        for name, kind in entries.items():
            make_entry(root / "inbox", name, kind)
        try:
            gateway = DirectoryGateway(root / "outbox", root / "inbox")
        except GatewayError:
            return
        listed = gateway.incoming()
        for name in listed:
            assert entries[name] == "file" and name != "processed"
        for name in [*ENTRY_NAMES, *listed]:
            for action in (gateway.fetch, gateway.archive):
                try:
                    action(name)
                except GatewayError as error:
                    assert gateway.inbox.name in error.user_message or name in error.user_message
        # Everything listed was either archived, or is still there to be taken next time.
        for name in listed:
            assert (root / "inbox" / name).exists() or any(
                path.read_bytes() == name.encode()
                for path in (root / "inbox" / "processed").glob("*")
                if path.is_file()
            )
