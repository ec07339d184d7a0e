"""`paybot bank set --bic`: a BIC is checked (form and country), must be the bank the account's
bank code says where the register knows it, and is no way around the bank profile's check;
`bank list` says the profile in effect. Through the real command line, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paybot.cli.main import app
from paybot.container import reset as reset_container
from paybot.services.secrets import SecretBox

ORG = "974760673"
DNB_ACCOUNT = "15032080119"  # bank code 1503: DNB (DNBANOKK)
UNKNOWN_BANK = "99990000006"  # a bank code the register does not know


def run(*args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(app, list(args))
    output = result.stdout + (result.stderr or "")
    assert (result.exit_code == 0) is ok, output
    assert "Traceback" not in output
    return output


def bank_set(account: str, *args: str, ok: bool = True) -> str:
    return run("bank", "set", "--company", ORG, "--account", account, *args, ok=ok)


def shown(account: str) -> dict[str, object]:
    found: dict[str, object] = json.loads(run("bank", "show", account, "--json"))
    return found


@pytest.fixture
def company(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYBOT_SECRET_KEY", SecretBox.new_key())
    monkeypatch.setenv("PAYBOT_FILES_DIR", str(tmp_path / "files"))
    monkeypatch.chdir(tmp_path)
    reset_container()
    run("company", "add", "--org-no", ORG, "--name", "Acme AS", "--account", DNB_ACCOUNT)
    run("bank", "add", "--company", ORG, "--account", UNKNOWN_BANK, "--outgoing")
    yield
    reset_container()


@pytest.mark.parametrize("typed", ["none", "auto", "DNB", "DNBANOK", "DEUTZZFF"])
def test_a_value_that_is_no_bic_is_refused_and_nothing_stored(company: None, typed: str) -> None:
    said = bank_set(UNKNOWN_BANK, "--bic", typed, ok=False)
    assert f"{typed} is not a BIC" in said
    assert shown(UNKNOWN_BANK)["bic"] is None


def test_a_bic_of_another_bank_than_the_bank_code_says_is_refused_naming_both(
    company: None,
) -> None:
    said = bank_set(DNB_ACCOUNT, "--bic", "NDEANOKK", ok=False)
    assert "1503.20.80119 is held by DNBANOKK" in said and "NDEANOKK" in said
    assert shown(DNB_ACCOUNT)["bic"] is None


def test_the_bic_the_bank_code_says_is_taken_with_or_without_its_branch(company: None) -> None:
    bank_set(DNB_ACCOUNT, "--bic", "dnba nokk xxx")
    assert shown(DNB_ACCOUNT)["bic"] == "DNBANOKKXXX"
    bank_set(DNB_ACCOUNT, "--bic", "")  # cleared: the bank code says it
    assert shown(DNB_ACCOUNT)["bic"] is None


def test_a_bic_is_no_way_around_the_profiles_check(company: None) -> None:
    # Where the register does not know the bank code, the BIC given decides whose bank it is.
    bank_set(UNKNOWN_BANK, "--profile", "dnb", "--bic", "DNBANOKK")
    said = bank_set(UNKNOWN_BANK, "--bic", "NDEANOKK", ok=False)
    assert "9999.00.00006 is held by NDEANOKK, not by DNB" in said
    assert shown(UNKNOWN_BANK)["bic"] == "DNBANOKK"
    said = bank_set(UNKNOWN_BANK, "--bic", "NDEANOKK", "--profile", "dnb", ok=False)
    assert "not by DNB" in said
    # Together with a profile of its own bank, it is taken.
    bank_set(UNKNOWN_BANK, "--bic", "NDEANOKK", "--profile", "nordea")
    assert (shown(UNKNOWN_BANK)["bic"], shown(UNKNOWN_BANK)["profile"]) == ("NDEANOKK", "nordea")
    # And a BIC given does not make a profile of another bank than the bank code's right.
    said = bank_set(DNB_ACCOUNT, "--bic", "DNBANOKK", "--profile", "nordea", ok=False)
    assert "1503.20.80119 is held by DNBANOKK, not by Nordea" in said


def test_bank_list_says_the_profile_in_effect(company: None) -> None:
    dnb, unknown = run("bank", "list").splitlines()
    assert "bank profile dnb (the bank that holds the account)" in dnb
    assert "bank profile generic (no profile for this bank)" in unknown
    bank_set(UNKNOWN_BANK, "--profile", "handelsbanken", "--bic", "SHEDNO22")
    assert "bank profile handelsbanken (set)" in run("bank", "list").splitlines()[1]


def test_an_outgoing_account_whose_bank_no_register_or_bic_names_takes_no_banks_profile(
    company: None,
) -> None:
    # A named bank's files name the bank by its BIC: with neither the register nor a BIC to
    # say it, every file would be refused and nothing sent. Said now, not at the first dispatch.
    said = bank_set(UNKNOWN_BANK, "--profile", "dnb", ok=False)
    assert "9999.00.00006" in said and "--bic" in said
    assert shown(UNKNOWN_BANK)["profile"] == "generic"
    said = bank_set(UNKNOWN_BANK, "--bank", "DNB", ok=False)  # the name would choose DNB's
    assert "--bic" in said and shown(UNKNOWN_BANK)["bank"] is None
    bank_set(UNKNOWN_BANK, "--profile", "dnb", "--bic", "DNBANOKK")
    said = bank_set(UNKNOWN_BANK, "--bic", "", ok=False)  # clearing it would leave files unnamed
    assert "--bic" in said and shown(UNKNOWN_BANK)["bic"] == "DNBANOKK"
    # The generic profile names no bank: it needs no BIC.
    bank_set(UNKNOWN_BANK, "--profile", "generic", "--bic", "")
    assert (shown(UNKNOWN_BANK)["profile"], shown(UNKNOWN_BANK)["bic"]) == ("generic", None)


def test_an_account_for_payments_in_only_needs_no_bic_until_it_sends(company: None) -> None:
    other = "99990000014"
    run("bank", "add", "--company", ORG, "--account", other, "--bank", "DNB", "--incoming")
    said = bank_set(other, "--outgoing", ok=False)
    assert "--bic" in said and shown(other)["outgoing"] is False
    said = run(
        "bank", "add", "--company", ORG, "--account", "99990000022", "--bank", "DNB",
        "--outgoing", ok=False,
    )  # fmt: skip
    assert "--bic" in said


@pytest.mark.parametrize(
    ("name", "why"),
    [("Привет АС", "no letters or digits a bank takes"), ("   ", "a company needs a name")],
)
def test_a_company_name_no_payment_file_can_carry_is_refused(
    company: None, name: str, why: str
) -> None:
    # Every file names the company (InitgPty, Dbtr): such a name would refuse them all.
    said = run(
        "company", "add", "--org-no", "923609016", "--name", name, "--account", DNB_ACCOUNT,
        ok=False,
    )  # fmt: skip
    assert why in said
    assert "923609016" not in run("company", "list")
