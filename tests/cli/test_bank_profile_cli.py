"""`paybot bank set --profile`: whose pain.001 guide an account's files follow, on SQLite and
PostgreSQL; a profile of another bank than the one holding the account is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paybot.cli.bank import ProfileName
from paybot.cli.main import app
from paybot.container import reset as reset_container
from paybot.core.bank_profiles import PROFILE_NAMES
from paybot.services.secrets import SecretBox

ORG = "974760673"
DNB_ACCOUNT = "15032080119"  # bank code 1503: DNB (DNBANOKK)
UNKNOWN_BANK = "99990000006"  # a bank code the register does not know


def run(*args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(app, list(args))
    output = result.stdout + (result.stderr or "")
    assert (result.exit_code == 0) is ok, output
    return output


@pytest.fixture
def company(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYBOT_SECRET_KEY", SecretBox.new_key())
    monkeypatch.setenv("PAYBOT_FILES_DIR", str(tmp_path / "files"))
    monkeypatch.chdir(tmp_path)
    reset_container()
    run("company", "add", "--org-no", ORG, "--name", "Acme AS", "--account", DNB_ACCOUNT)
    yield
    reset_container()


def test_the_command_lines_profile_names_are_the_profiles() -> None:
    assert [name.value for name in ProfileName] == ["auto", *PROFILE_NAMES]


def shown(account: str) -> dict[str, object]:
    found: dict[str, object] = json.loads(run("bank", "show", account, "--json"))
    return found


def test_an_account_follows_its_banks_profile_unless_one_is_set(company: None) -> None:
    assert shown(DNB_ACCOUNT)["profile"] == "dnb"
    assert shown(DNB_ACCOUNT)["profile_source"] == "bic"
    assert "dnb (the bank that holds the account)" in run("bank", "show", DNB_ACCOUNT)

    said = run("bank", "set", "--company", ORG, "--account", DNB_ACCOUNT, "--profile", "generic")
    assert "bank profile generic (set)." in said
    assert shown(DNB_ACCOUNT)["profile_source"] == "set"

    said = run("bank", "set", "--company", ORG, "--account", DNB_ACCOUNT, "--profile", "auto")
    assert "bank profile dnb (the bank that holds the account)." in said


def test_a_profile_of_another_bank_is_refused_and_nothing_changes(company: None) -> None:
    refused = run(
        "bank", "set", "--company", ORG, "--account", DNB_ACCOUNT, "--profile", "nordea", ok=False
    )
    assert "held by DNBANOKK, not by Nordea" in refused and "Traceback" not in refused
    assert shown(DNB_ACCOUNT)["profile"] == "dnb"
    unknown = run(
        "bank", "set", "--company", ORG, "--account", DNB_ACCOUNT, "--profile", "x", ok=False
    )
    assert "dnb" in unknown and "Traceback" not in unknown


def test_an_account_at_a_bank_without_a_profile_takes_its_names_or_the_generic_one(
    company: None,
) -> None:
    # For payments in only: a bank's name alone chooses its profile (an account that sends
    # needs the BIC as well: test_bank_bic_cli).
    run("bank", "add", "--company", ORG, "--account", UNKNOWN_BANK, "--incoming")
    assert shown(UNKNOWN_BANK)["profile"] == "generic"
    assert shown(UNKNOWN_BANK)["profile_source"] == "default"
    run("bank", "set", "--company", ORG, "--account", UNKNOWN_BANK, "--bank", "Handelsbanken")
    assert shown(UNKNOWN_BANK)["profile"] == "handelsbanken"
    assert shown(UNKNOWN_BANK)["profile_source"] == "name"
    run(
        "bank", "set", "--company", ORG, "--account", UNKNOWN_BANK,
        "--bic", "shed no22", "--profile", "handelsbanken",
    )  # fmt: skip
    assert shown(UNKNOWN_BANK)["bic"] == "SHEDNO22"
