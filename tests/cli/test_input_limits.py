"""Hostile or oversized input through the `paybot` command line, on SQLite and PostgreSQL: texts
longer than their column, control characters and bidirectional overrides are refused with a
sentence naming file, line and column (or the field of `payments fix`), and nothing is imported;
normal output stays quiet (no library warnings on stderr)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
HEADER = (
    "voucher_no;invoice_no;supplier_name;supplier_org_no;account;amount;currency;"
    "invoice_date;due_date;reference_type;reference"
)
ITEM = {
    "voucher_no": "1001",
    "invoice_no": "F-100",
    "supplier_name": "Kontorrekvisita AS",
    "supplier_org_no": "923609016",
    "account": "1234.56.78903",
    "amount": "3 450,75",
    "currency": "NOK",
    "invoice_date": "2026-11-01",
    "due_date": "2026-12-01",
    "reference_type": "kid",
    "reference": "12345678903",
}
# Accounts of countries whose national check digits schwifty has no algorithm for.
SWEDISH_IBAN = "SE4550000000058398257466"
HUNGARIAN_IBAN = "HU42117730161111101800000000"


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

    def items_file(self, *rows: dict[str, str], name: str = "items.csv") -> str:
        lines = [HEADER, *(";".join((ITEM | row).values()) for row in rows)]
        (self.folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return name

    def payments(self) -> list[dict[str, Any]]:
        self("proposals", "refresh", "--company", ORG)
        found: list[dict[str, Any]] = self.json("proposals", "list", "--company", ORG)["payments"]
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
        "users",
        "add",
        "--company",
        ORG,
        "--slack-user",
        "U1",
        "--name",
        "Kari",
        "--role",
        "approver",
    )
    yield runner
    reset_container()


# --- longer than the column ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "limit"),
    [("supplier_name", 200), ("voucher_no", 40), ("invoice_no", 60), ("reference", 140)],
)
def test_a_text_longer_than_its_column_is_refused_and_nothing_is_imported(
    cli: Cli, column: str, limit: int
) -> None:
    long = {"reference_type": "message"} if column == "reference" else {}
    name = cli.items_file({}, {"voucher_no": "1002", **long, column: "x" * (limit + 1)})
    out = cli("import", "open-items", name, "--company", ORG, ok=False)
    assert f"items.csv:3: {column}: at most {limit} characters (got {limit + 1})" in out
    assert "Traceback" not in out and "INSERT" not in out
    assert cli.payments() == []


def test_a_supplier_name_over_200_characters_is_refused_in_the_supplier_file(cli: Cli) -> None:
    (cli.folder / "suppliers.csv").write_text(
        "name;org_no;account\nKontorrekvisita AS;923609016;\n" + "Å" * 201 + ";;\n",
        encoding="utf-8",
    )
    out = cli("import", "suppliers", "suppliers.csv", "--company", ORG, ok=False)
    assert "suppliers.csv:3: name: at most 200 characters (got 201)" in out
    # Nothing of the refused file was kept: the open item meets its supplier for the first time.
    assert "1 new supplier(s)" in cli("import", "open-items", cli.items_file({}), "--company", ORG)


def test_an_account_longer_than_its_column_is_refused_though_accounts_are_only_flagged(
    cli: Cli,
) -> None:
    name = cli.items_file({"account": "1" * 41})
    out = cli("import", "open-items", name, "--company", ORG, ok=False)
    assert "items.csv:2: account: at most 40 characters (got 41)" in out


def test_texts_of_exactly_the_column_length_are_kept_whole(cli: Cli) -> None:
    # No org no: the supplier is found by its name, whose key must fit its column too.
    longest = "Ø" * 199 + "İ"  # 'İ'.lower() is two characters: the key grows when lower-cased
    name = cli.items_file(
        {
            "supplier_name": longest,
            "supplier_org_no": "",
            "invoice_no": "F" * 60,
            "voucher_no": "V" * 40,
            "reference_type": "message",
            "reference": "m" * 140,
        }
    )
    assert "1 new" in cli("import", "open-items", name, "--company", ORG)
    [payment] = cli.payments()
    assert (payment["payee"], payment["voucher_no"], payment["reference"]) == (
        longest,
        "V" * 40,
        "m" * 140,
    )
    # The same long name in another case, in a later file, finds the same supplier.
    again = cli.items_file(
        {"voucher_no": "1002", "supplier_name": "ø" * 199 + "İ", "supplier_org_no": ""},
        name="again.csv",
    )
    assert "new supplier" not in cli("import", "open-items", again, "--company", ORG)


def test_fix_refuses_a_reference_longer_than_its_column_as_a_field_error(cli: Cli) -> None:
    cli("import", "open-items", cli.items_file({}), "--company", ORG)
    [payment] = cli.payments()
    out = cli(
        "payments", "fix", str(payment["id"]), "--as", "U1",
        "--reference-type", "message", "--reference", "y" * 141,
        ok=False,
    )  # fmt: skip
    assert "reference: at most 140 characters (got 141)" in out
    out = cli("payments", "fix", str(payment["id"]), "--as", "U1", "--account", "9" * 41, ok=False)
    assert "account: at most 40 characters (got 41)" in out


# --- control characters and bidirectional overrides ----------------------------------------------


@pytest.mark.parametrize(
    ("column", "text", "problem"),
    [
        ("supplier_name", "Acme\u202eSA kcaB", "control character U+202E at position 5"),
        ("supplier_name", "\x1b[31mRed AS\x1b[0m", "control character U+001B at position 1"),
        ("invoice_no", "F-\u2066100", "control character U+2066 at position 3"),
        ("voucher_no", "10\x0001", "control character U+0000 at position 3"),
        ("reference", "Faktura\u200f 7", "control character U+200F at position 8"),
        ("account", "1234\u202e.56.78903", "control character U+202E at position 5"),
    ],
)
def test_control_characters_are_refused_naming_column_and_position(
    cli: Cli, column: str, text: str, problem: str
) -> None:
    kind = {"reference_type": "message"} if column == "reference" else {}
    name = cli.items_file({}, {"voucher_no": "1002", **kind, column: text})
    out = cli("import", "open-items", name, "--company", ORG, ok=False)
    assert f"items.csv:3: {column}: {problem}" in out
    assert "\x1b" not in out and "\u202e" not in out  # the message itself renders plainly
    assert cli.payments() == []


def test_control_characters_in_a_json_file_are_refused_too(cli: Cli) -> None:
    rows = [ITEM | {"supplier_name": "Evil\u2067 AS"}]
    (cli.folder / "items.json").write_text(json.dumps(rows), encoding="utf-8")
    out = cli("import", "open-items", "items.json", "--company", ORG, ok=False)
    assert "items.json:1: supplier_name: control character U+2067 at position 5" in out


def test_fix_refuses_a_bidi_override_in_the_reference_as_a_field_error(cli: Cli) -> None:
    cli("import", "open-items", cli.items_file({}), "--company", ORG)
    [payment] = cli.payments()
    out = cli(
        "payments", "fix", str(payment["id"]), "--as", "U1",
        "--reference-type", "message", "--reference", "Takk\u202e 7 arutkaF",
        ok=False,
    )  # fmt: skip
    assert "reference: control character U+202E at position 5" in out
    assert cli.json("payments", "show", str(payment["id"]))["reference"] == "12345678903"


def test_normal_norwegian_text_is_kept_as_written(cli: Cli) -> None:
    name = cli.items_file(
        {
            "supplier_name": "Bjørn Ærø & Søn – Café Müller’s AS",
            "supplier_org_no": "",
            "invoice_no": "Å-17 «ny»",
            "reference_type": "message",
            "reference": "Faktura 17 – år 2026, håndverk ’ok’",
        }
    )
    cli("import", "open-items", name, "--company", ORG)
    [payment] = cli.payments()
    assert payment["payee"] == "Bjørn Ærø & Søn – Café Müller’s AS"
    assert payment["reference"] == "Faktura 17 – år 2026, håndverk ’ok’"


# --- quiet output --------------------------------------------------------------------------------


def run_paybot(
    database_url: str, folder: Path, key: str, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        key_: value
        for key_, value in os.environ.items()
        if not key_.startswith("PAYBOT_") and key_ != "PYTHONWARNINGS"
    }
    env |= {"PAYBOT_DATABASE_URL": database_url, "PAYBOT_SECRET_KEY": key}
    return subprocess.run(
        [sys.executable, "-m", "paybot", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_ibans_whose_national_check_digits_cannot_be_verified_leave_stderr_clean(
    database_url: str, tmp_path: Path
) -> None:
    key = SecretBox.new_key()
    (tmp_path / "suppliers.csv").write_text(
        f"name;org_no;account\nSvensk AB;SE5566778899;{SWEDISH_IBAN}\n"
        f"Magyar Kft;;{HUNGARIAN_IBAN}\n",
        encoding="utf-8",
    )
    (tmp_path / "items.csv").write_text(
        f"{HEADER}\n1001;S-1;Svensk AB;SE5566778899;{SWEDISH_IBAN};100,00;SEK;"
        "2026-11-01;2026-12-01;message;Faktura S-1\n",
        encoding="utf-8",
    )
    steps = [
        ("company", "add", "--org-no", ORG, "--name", "Acme AS", "--account", "8601.11.17947"),
        (
            "users",
            "add",
            "--company",
            ORG,
            "--slack-user",
            "U1",
            "--name",
            "Kari",
            "--role",
            "approver",
        ),
        ("import", "suppliers", "suppliers.csv", "--company", ORG),
        ("import", "open-items", "items.csv", "--company", ORG),
        ("proposals", "refresh", "--company", ORG),
        ("payments", "fix", "1", "--as", "U1", "--account", HUNGARIAN_IBAN),
    ]
    for step in steps:
        result = run_paybot(database_url, tmp_path, key, *step)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stderr == "", f"paybot {' '.join(step)} wrote to stderr:\n{result.stderr}"
