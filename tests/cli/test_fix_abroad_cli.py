"""`paybot payments fix` with the payee's details of a payment abroad, and `payments show`
printing them; through the real command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from paybot.cli import context
from paybot.cli.main import app
from paybot.container import reset as reset_container
from paybot.services.secrets import SecretBox

ORG = "974760673"
DE_IBAN = "DE89370400440532013000"
HEADER = (
    "voucher_no;invoice_no;supplier_name;supplier_org_no;account;amount;currency;"
    "invoice_date;due_date;reference_type;reference"
)


class Cli:
    """Runs `paybot` in-process."""

    def __init__(self, runner: CliRunner, folder: Path) -> None:
        self.runner = runner
        self.folder = folder

    def __call__(self, *args: str, ok: bool = True) -> str:
        result = self.runner.invoke(app, list(args))
        output = result.stdout + (result.stderr or "")
        assert (result.exit_code == 0) is ok, output
        return output

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))

    def fix(self, payment_id: int, *args: str, ok: bool = True) -> str:
        return self("payments", "fix", str(payment_id), "--as", "U1", *args, ok=ok)

    def shown(self, payment_id: int) -> dict[str, Any]:
        found: dict[str, Any] = self.json("payments", "show", str(payment_id))
        return found


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Cli]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYBOT_SECRET_KEY", SecretBox.new_key())
    monkeypatch.chdir(tmp_path)
    reset_container()
    monkeypatch.setattr(context, "now", lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    runner = Cli(CliRunner(), tmp_path)
    runner("company", "add", "--org-no", ORG, "--name", "Acme AS", "--account", "8601.11.17947")
    runner(
        "users", "add", "--company", ORG, "--slack-user", "U1", "--name", "Kari",
        "--role", "approver",
    )  # fmt: skip
    yield runner
    reset_container()


@pytest.fixture
def ids(cli: Cli) -> dict[str, int]:
    """Payments by currency: EUR to a German IBAN (SEPA), USD to the same (cross-border), NOK
    to a Norwegian account (domestic)."""
    rows = [
        f"1001;R-1;Müller GmbH;;{DE_IBAN};1200,00;EUR;2026-11-01;2026-12-01;message;Rechnung 1",
        f"1002;R-2;Müller GmbH;;{DE_IBAN};900,00;USD;2026-11-01;2026-12-01;message;Rechnung 2",
        "1003;F-3;Kontor AS;923609016;1234.56.78903;500,00;NOK;2026-11-01;2026-12-01;kid;"
        "12345678903",
    ]
    (cli.folder / "items.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    cli("import", "open-items", "items.csv", "--company", ORG)
    cli("proposals", "refresh", "--company", ORG)
    found = cli.json("proposals", "list", "--company", ORG)["payments"]
    return {payment["currency"]: payment["id"] for payment in found}


def test_fix_sets_the_payees_details_and_show_prints_them(cli: Cli, ids: dict[str, int]) -> None:
    sepa = ids["EUR"]
    assert "missing_address" in cli.shown(sepa)["reasons"]
    out = cli.fix(
        sepa,
        "--street", "Hauptstraße", "--building-no", "5", "--post-code", "10115",
        "--town", "Berlin", "--country", "de", "--bic", "deut de ff",
        "--charge-bearer", "shar", "--purpose-code", "14", "--purpose-text", "Maschinenteile",
    )  # fmt: skip
    assert f"Fixed payment {sepa}: proposed" in out
    shown = cli.shown(sepa)
    assert shown["payee_details"] == {
        "street": "Hauptstraße",
        "building_no": "5",
        "post_code": "10115",
        "town": "Berlin",
        "country": "DE",
        "bic": "DEUTDEFF",
        "charge_bearer": "SHAR",
        "purpose_code": "14",
        "purpose_text": "Maschinenteile",
    }
    assert "missing_address" not in shown["reasons"] and shown["urgent"] is False
    text = cli("payments", "show", str(sepa))
    assert "           town: Berlin" in text
    assert "            bic: DEUTDEFF" in text
    assert "   purpose_code: 14 (Purchase/sale of goods)" in text
    assert "urgent" not in text


def test_an_empty_value_clears_a_detail(cli: Cli, ids: dict[str, int]) -> None:
    cli.fix(ids["EUR"], "--street", "Hauptstraße", "--town", "Berlin", "--country", "DE")
    cli.fix(ids["EUR"], "--street", "")
    details = cli.shown(ids["EUR"])["payee_details"]
    assert (details["street"], details["town"]) == (None, "Berlin")
    assert "street" not in cli("payments", "show", str(ids["EUR"]))


def test_wrong_details_are_refused_field_by_field(cli: Cli, ids: dict[str, int]) -> None:
    out = cli.fix(
        ids["EUR"], "--country", "Germany", "--bic", "DEUT", "--charge-bearer", "OUR",
        "--purpose-code", "99", "--town", "x" * 36,
        ok=False,
    )  # fmt: skip
    assert "invalid input:" in out
    assert "country: give the country's two-letter ISO 3166 code: Germany is DE" in out
    assert "bic: DEUT is not a BIC" in out
    assert "charge_bearer: OUR is no charge bearer" in out
    assert "purpose_code: 99 is not a purpose code of Norges Bank's list" in out
    assert "town: at most 35 characters (got 36)" in out
    assert cli.shown(ids["EUR"])["payee_details"]["town"] is None


def test_a_control_character_in_a_detail_is_refused(cli: Cli, ids: dict[str, int]) -> None:
    out = cli.fix(ids["EUR"], "--street", "Haupt\u202estraße", ok=False)
    assert "control character U+202E at position 6" in out
    assert "\u202e" not in out


def test_urgent_only_for_a_cross_border_payment(cli: Cli, ids: dict[str, int]) -> None:
    out = cli.fix(ids["EUR"], "--urgent", ok=False)
    assert "only a cross-border payment can be sent as urgent; this is a SEPA payment" in out
    out = cli.fix(ids["NOK"], "--urgent", ok=False)
    assert "this is a domestic payment" in out
    cli.fix(ids["USD"], "--urgent")
    assert cli.shown(ids["USD"])["urgent"] is True
    assert "         urgent: yes" in cli("payments", "show", str(ids["USD"]))
    cli.fix(ids["USD"], "--not-urgent")
    assert cli.shown(ids["USD"])["urgent"] is False


def test_a_domestic_payment_shows_no_payee_details(cli: Cli, ids: dict[str, int]) -> None:
    text = cli("payments", "show", str(ids["NOK"]))
    for field in ("street", "town", "country", "bic", "charge_bearer", "purpose", "urgent"):
        assert f" {field}" not in text
    assert cli.shown(ids["NOK"])["payee_details"]["country"] is None


def test_nothing_to_fix_says_what_may_be_given(cli: Cli, ids: dict[str, int]) -> None:
    out = cli.fix(ids["EUR"], ok=False)
    assert "give an account, a reference type, a reference, a payee detail or urgent" in out
