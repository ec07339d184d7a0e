"""`paybot payments purpose-codes`: Norges Bank's list, in English or Norwegian, as text or
JSON; and `payments fix` pointing to it when a code is not in the list, refusing a code without
its text and a purpose on a domestic payment. Through the real command line; the fixes on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paybot.cli import context
from paybot.cli.main import app
from paybot.container import reset as reset_container
from paybot.core.purpose_codes import purpose_codes
from paybot.services.secrets import SecretBox

ORG = "974760673"
DE_IBAN = "DE89370400440532013000"
HEADER = (
    "voucher_no;invoice_no;supplier_name;supplier_org_no;account;amount;currency;"
    "invoice_date;due_date;reference_type;reference"
)
HINT = "(see paybot payments purpose-codes)"


def run(*args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(app, list(args))
    output = result.stdout + (result.stderr or "")
    assert (result.exit_code == 0) is ok, output
    assert "Traceback" not in output
    return output


def test_the_list_says_each_code_with_its_english_name() -> None:
    lines = run("payments", "purpose-codes").splitlines()
    assert lines[0] == "14  Purchase/sale of goods"
    assert len(lines) == len(purpose_codes())
    assert [line.split()[0] for line in lines] == [entry.code for entry in purpose_codes()]


def test_the_list_in_norwegian() -> None:
    assert run("payments", "purpose-codes", "--language", "nb").splitlines()[0] == (
        "14  Kjøp/salg av varer"
    )
    said = run("payments", "purpose-codes", "--language", "sv", ok=False)
    assert "sv" in said


def test_the_list_as_json_has_both_names() -> None:
    found = json.loads(run("payments", "purpose-codes", "--json", "--language", "nb"))
    assert found["purpose_codes"][0] == {
        "code": "14",
        "name": "Kjøp/salg av varer",
        "name_en": "Purchase/sale of goods",
        "name_nb": "Kjøp/salg av varer",
    }
    assert len(found["purpose_codes"]) == len(purpose_codes())


@pytest.fixture
def ids(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[dict[str, int]]:
    """A SEPA payment (EUR to a German IBAN) and a domestic one, by currency."""
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYBOT_SECRET_KEY", SecretBox.new_key())
    monkeypatch.chdir(tmp_path)
    reset_container()
    monkeypatch.setattr(context, "now", lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    run("company", "add", "--org-no", ORG, "--name", "Acme AS", "--account", "8601.11.17947")
    run(
        "users", "add", "--company", ORG, "--slack-user", "U1", "--name", "Kari",
        "--role", "approver",
    )  # fmt: skip
    rows = [
        f"1001;R-1;Müller GmbH;;{DE_IBAN};1200,00;EUR;2026-11-01;2026-12-01;message;Rechnung 1",
        "1003;F-3;Kontor AS;923609016;1234.56.78903;500,00;NOK;2026-11-01;2026-12-01;kid;"
        "12345678903",
    ]
    (tmp_path / "items.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    run("import", "open-items", "items.csv", "--company", ORG)
    run("proposals", "refresh", "--company", ORG)
    found = json.loads(run("proposals", "list", "--company", ORG, "--json"))["payments"]
    yield {payment["currency"]: payment["id"] for payment in found}
    reset_container()


def fix(payment_id: int, *args: str, ok: bool = True) -> str:
    return run("payments", "fix", str(payment_id), "--as", "U1", *args, ok=ok)


def test_a_code_not_in_the_list_points_to_the_list(ids: dict[str, int]) -> None:
    said = fix(ids["EUR"], "--purpose-code", "99", "--purpose-text", "Parts", ok=False)
    assert f"purpose_code: 99 is not a purpose code of Norges Bank's list {HINT}" in said
    said = fix(ids["EUR"], "--purpose-code", "99", "--town", "x" * 36, ok=False)
    assert f"Norges Bank's list {HINT}" in said and "town: at most 35 characters" in said


def test_a_code_without_its_text_is_refused_naming_the_text(ids: dict[str, int]) -> None:
    said = fix(ids["EUR"], "--purpose-code", "14", ok=False)
    assert "purpose_text: give the purpose text too: a code is sent with its text" in said
    assert HINT not in said
    fix(ids["EUR"], "--purpose-code", "14", "--purpose-text", "Maschinenteile")


def test_a_purpose_on_a_domestic_payment_is_refused(ids: dict[str, int]) -> None:
    said = fix(ids["NOK"], "--purpose-code", "14", "--purpose-text", "Kontorrekvisita", ok=False)
    assert "a domestic payment carries no purpose" in said
