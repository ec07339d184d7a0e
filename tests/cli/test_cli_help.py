"""The command line's help (names for values, flags alone), what starting it loads, the quick
schema check every command makes, and `paybot bank list/show` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperArgument, TyperOption
from typer.testing import CliRunner

from paybot.cli import context
from paybot.cli.main import app
from paybot.container import reset as reset_container
from paybot.core.search_query import SEARCH_FIELDS
from paybot.services.secrets import SecretBox
from paybot.store import db
from tests.cli.test_bank_cli import Cli

ORG = "974760673"
ACCOUNT = "86011117947"
# What starting the command line must not load: the database, migrations, Slack, the settings
# library and the XML parser come with the command that needs them.
HEAVY = ("sqlalchemy", "alembic", "slack_sdk", "slack_bolt", "pydantic_settings", "lxml")
# Python types as typer writes them for a value without a metavar: <str>, <int>, <list[str]>...
PYTHON_TYPE = re.compile(r"<[a-z][\w\[\], |.]*>")


def _commands(command: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Every command and group under `command`, as the words that name it."""
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(app), ()))


@pytest.mark.parametrize("words", COMMANDS, ids=lambda words: " ".join(words) or "paybot")
def test_help_names_each_value_and_shows_flags_alone(words: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*words, "--help"])
    assert result.exit_code == 0, result.output
    options = result.stdout.split("\nOptions:\n", 1)[-1]
    assert not PYTHON_TYPE.findall(options), options

    command = typer.main.get_command(app)
    for word in words:
        command = command.commands[word]  # type: ignore[attr-defined]
    for param in command.params:
        if isinstance(param, TyperArgument) or (
            isinstance(param, TyperOption) and not param.is_flag
        ):
            assert param.metavar and param.metavar.upper() == param.metavar, param.name


def test_search_help_names_every_search_field() -> None:
    help_text = " ".join(CliRunner().invoke(app, ["search", "--help"]).stdout.split())
    for field in SEARCH_FIELDS:
        assert f"{field}:" in help_text


def _loaded_by(code: str) -> set[str]:
    """The top-level packages a fresh Python has loaded after running `code`."""
    probe = (
        f"{code}\nimport json, sys\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    assert not _loaded_by("import paybot.cli.main") & set(HEAVY)


@pytest.mark.parametrize("words", [["--help"], ["bank", "set", "--help"]])
def test_help_loads_no_heavy_library(words: list[str]) -> None:
    """`--help` builds every command (typer reads each one's options): still nothing heavy."""
    run_help = (
        "import sys\nfrom paybot.cli.main import app\n"
        f"try:\n    app({words!r})\nexcept SystemExit:\n    pass"
    )
    assert not _loaded_by(run_help) & set(HEAVY)


def test_the_quick_schema_head_is_alembics(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'paybot.db'}")
    assert db.newest_revision() == db.head_revision(engine)


# --- paybot bank list / show -------------------------------------------------------------------


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Cli]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYBOT_SECRET_KEY", SecretBox.new_key())
    monkeypatch.setenv("PAYBOT_FILES_DIR", str(tmp_path / "files"))
    monkeypatch.chdir(tmp_path)
    reset_container()
    runner = Cli(CliRunner(), tmp_path / "files")
    monkeypatch.setattr(context, "now", lambda: runner.now)
    yield runner
    reset_container()


@pytest.fixture
def companies(cli: Cli) -> Cli:
    """Acme AS on the simulated bank (a rule set), Beta AS with folders of its own."""
    cli("company", "add", "--org-no", ORG, "--name", "Acme AS", "--account", ACCOUNT)
    cli(
        "bank", "set", "--company", ORG, "--account", ACCOUNT, "--gateway", "sandbox",
        "--sandbox-kid-only", "1503.01.00007", "--sandbox-balance", "10 000",
    )  # fmt: skip
    cli("company", "add", "--org-no", "923609016", "--name", "Beta AS", "--account", "12345678903")
    cli(
        "bank", "set", "--company", "923609016", "--account", "12345678903",
        "--outbox", "to-bank", "--inbox", "from-bank", "--no-outgoing",
    )  # fmt: skip
    return cli


def test_bank_list_shows_every_account_and_its_last_poll(companies: Cli, tmp_path: Path) -> None:
    listing = companies("bank", "list")
    acme, beta = listing.splitlines()
    assert acme.startswith("8601.11.17947  Acme AS (974760673)  sandbox, pain.001.001.03")
    assert "incoming and outgoing; outbox (default), inbox (default); inbox not read yet" in acme
    assert beta.startswith("1234.56.78903  Beta AS (923609016)  directory")
    assert f"incoming; outbox {tmp_path / 'to-bank'}, inbox {tmp_path / 'from-bank'}" in beta

    assert "No files from the bank." in companies("returns", "poll", "--company", ORG)
    acme_only = companies("bank", "list", "--company", ORG)
    assert "inbox read 2026-11-23 10:00 CET" in acme_only and "Beta" not in acme_only

    found = companies.json("bank", "list")["accounts"]
    assert [(a["account"], a["company"]) for a in found] == [
        (ACCOUNT, ORG),
        ("12345678903", "923609016"),
    ]
    assert found[0]["last_poll"] == {
        "succeeded_at": "2026-11-23T09:00:00+00:00",
        "failed_at": None,
        "error": None,
    }
    assert found[1]["last_poll"] is None
    assert found[1]["outgoing"] is False and found[1]["inbox"] == str(tmp_path / "from-bank")


def test_bank_show_gives_every_setting_but_never_a_key(companies: Cli, tmp_path: Path) -> None:
    key = tmp_path / "bank_ed25519"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET-KEY-MATERIAL\n", encoding="utf-8")
    companies(
        "bank", "set", "--company", ORG, "--account", ACCOUNT, "--gateway", "sftp",
        "--sftp-host", "sftp.bank.example", "--sftp-user", "acme", "--sftp-key", str(key),
        "--sftp-host-key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPUBLIC",
    )  # fmt: skip

    shown = companies("bank", "show", "8601.11.17947")
    assert "SECRET" not in shown
    for line in (
        "        account: 8601.11.17947",
        "        company: Acme AS (974760673)",
        "        gateway: sftp",
        "      sftp host: sftp.bank.example",
        "      sftp port: -",
        f"  sftp key_path: {key}",
        "  sftp host_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPUBLIC",
        "  sandbox rules: kid_only_accounts: 1503.01.00007; balance: 10000",
        "      last poll: inbox not read yet",
    ):
        assert line in shown.splitlines(), shown

    data = companies.json("bank", "show", ACCOUNT, "--company", ORG)
    assert "SECRET" not in json.dumps(data)
    assert data["sftp"] == {
        "host": "sftp.bank.example",
        "port": None,
        "user": "acme",
        "key_path": str(key),
        "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPUBLIC",
    }
    assert data["sandbox"] == {"kid_only_accounts": ["1503.01.00007"], "balance": "10000"}
    assert (data["company_name"], data["gateway"], data["file_format"]) == (
        "Acme AS",
        "sftp",
        "pain.001.001.03",
    )

    beta = companies("bank", "show", "1234.56.78903")
    assert "sftp" not in beta and "sandbox" not in beta  # neither is set up for Beta's account
    missing = companies("bank", "show", "1503.01.00007", ok=False)
    assert "No bank account 1503.01.00007. See `paybot bank list`." in missing
