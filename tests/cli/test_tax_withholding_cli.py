"""`paybot bank add/set/list/show` and tax-withholding accounts, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paybot.cli import context
from paybot.container import reset as reset_container
from paybot.services.secrets import SecretBox
from tests.cli.test_bank_cli import ACCOUNT, ORG, Cli

TAX_ACCOUNT = "15030100007"


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
def acme(cli: Cli) -> Cli:
    cli("company", "add", "--org-no", ORG, "--name", "Acme AS", "--account", ACCOUNT)
    return cli


def test_an_account_is_marked_as_the_tax_withholding_one_and_shown(acme: Cli) -> None:
    added = acme("bank", "add", "--company", ORG, "--account", "1503.01.00007", "--bank", "DNB")
    assert added.startswith("Added 1503.01.00007 (DNB), GL account 1920.")

    shown = acme(
        "bank", "set", "--company", ORG, "--account", TAX_ACCOUNT, "--tax-withholding",
    )  # fmt: skip
    assert "1503.01.00007 is the company's tax-withholding account." in shown
    assert "does not support" not in shown

    listing = acme("bank", "list").splitlines()
    assert "tax-withholding" not in listing[0]
    assert listing[1].startswith("1503.01.00007  Acme AS (974760673)")
    assert "no agreement; tax-withholding account; outbox" in listing[1]
    assert "tax-withholding: yes" in acme("bank", "show", TAX_ACCOUNT).splitlines()
    assert "tax-withholding: no" in acme("bank", "show", ACCOUNT).splitlines()
    data = acme.json("bank", "show", TAX_ACCOUNT)
    assert (data["tax_withholding"], data["bank_supports_tax_withholding"]) == (True, True)
    assert acme.json("company", "accounts", "--org-no", ORG)["bank_accounts"] == [
        {"account": ACCOUNT, "gl_account": "1920"},
        {"account": TAX_ACCOUNT, "gl_account": "1950"},
    ]

    refused = acme(
        "bank", "set", "--company", ORG, "--account", ACCOUNT, "--tax-withholding", ok=False
    )  # fmt: skip
    assert "has a tax-withholding account already (15030100007)" in refused

    acme("bank", "set", "--company", ORG, "--account", TAX_ACCOUNT, "--no-tax-withholding")
    assert acme.json("bank", "show", TAX_ACCOUNT)["tax_withholding"] is False


def test_a_sparebank_1_tax_withholding_account_is_marked_with_a_warning(acme: Cli) -> None:
    added = acme(
        "bank", "add", "--company", ORG, "--account", TAX_ACCOUNT, "--bank", "SpareBank 1 SR-Bank",
        "--tax-withholding",
    )  # fmt: skip
    assert "SpareBank 1 SR-Bank does not support tax-withholding accounts" in added

    shown = acme("bank", "show", TAX_ACCOUNT).splitlines()
    assert (
        "tax-withholding: yes (its bank does not support tax-withholding accounts: "
        "payments to it are red)"
    ) in shown
    data = acme.json("bank", "list")["accounts"][1]
    assert (data["bank"], data["tax_withholding"]) == ("SpareBank 1 SR-Bank", True)
    assert data["bank_supports_tax_withholding"] is False

    moved = acme("bank", "set", "--company", ORG, "--account", TAX_ACCOUNT, "--bank", "DNB")
    assert "does not support" not in moved
    assert acme.json("bank", "show", TAX_ACCOUNT)["bank_supports_tax_withholding"] is True


def test_adding_an_account_the_company_has_or_an_invalid_one_is_refused(acme: Cli) -> None:
    assert "has bank account" in acme(
        "bank", "add", "--company", ORG, "--account", ACCOUNT, ok=False
    )  # fmt: skip
    assert "15030100008" not in acme("bank", "list")
    acme("bank", "add", "--company", ORG, "--account", "15030100008", ok=False)
