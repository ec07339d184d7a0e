"""README's incoming example through the real command line, on SQLite and PostgreSQL:
examples/customer-items.csv imported and examples/incoming.ocr ingested for the company of "A
first company, step by step" match as the README says (exact, partial, overpaid, an unknown KID),
a second ingest changes nothing, and the README's hand steps print what it shows. The OCR file is
what examples/make_incoming_ocr.py makes of the customer items."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from paybot.cli import context
from paybot.cli.main import app
from paybot.container import reset as reset_container
from paybot.services.secrets import SecretBox

EXAMPLES = Path(__file__).parents[2] / "examples"
ITEMS = EXAMPLES / "customer-items.csv"
OCR = EXAMPLES / "incoming.ocr"
ORG_NO = "974760673"  # Acme AS, as README's walkthrough adds it
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the day after the file's settlement date


class Cli:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True) -> str:
        result = self.runner.invoke(app, list(args))
        output = result.stdout + (result.stderr or "")
        assert (result.exit_code == 0) is ok, output
        return output

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))


@pytest.fixture
def acme(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Cli]:
    """The walkthrough's company and its approver, with the example invoices imported."""
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYBOT_SECRET_KEY", SecretBox.new_key())
    monkeypatch.chdir(tmp_path)
    reset_container()
    monkeypatch.setattr(context, "now", lambda: NOW)
    cli = Cli()
    cli(
        "company", "add", "--org-no", ORG_NO, "--name", "Acme AS",
        "--account", "8601.11.17947", "--bank", "Danske Bank", "--timing", "2d",
    )  # fmt: skip
    cli(
        "users", "add", "--company", ORG_NO, "--slack-user", "U01KARI",
        "--name", "Kari Nordmann", "--role", "approver",
    )  # fmt: skip
    imported = cli("import", "customer-items", str(ITEMS), "--company", ORG_NO)
    assert imported.strip() == f"Customer items from {ITEMS}: 5 new, 0 unchanged."
    yield cli
    reset_container()


def listed(cli: Cli) -> list[dict[str, Any]]:
    return [
        {key: p[key] for key in ("id", "amount", "kid", "status", "invoice", "voucher", "reason")}
        for p in cli.json("incoming", "list", "--company", ORG_NO)["payments"]
    ]


def vouchers(cli: Cli, tmp_path: Path) -> list[dict[str, Any]]:
    out = tmp_path / "vouchers.json"
    cli(
        "ledger", "export", "--company", ORG_NO, "--from", "2026-01-01", "--to", "2026-12-31",
        "--format", "json", "--out", str(out),
    )  # fmt: skip
    found: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))["vouchers"]
    return found


def test_the_example_file_matches_exact_partial_overpaid_and_leaves_the_unknown_kid(
    acme: Cli, tmp_path: Path
) -> None:
    out = acme("incoming", "ingest", str(OCR))

    assert out.strip() == (
        f"{OCR} (ocr_giro, {ORG_NO}): 4 payment(s): 1 matched, 1 overpaid, 1 partial, "
        "1 unmatched; 3 voucher(s) posted."
    )
    assert [{k: p[k] for k in ("amount", "kid", "status", "invoice")} for p in listed(acme)] == [
        {"amount": "12500.00", "kid": "10001261014", "status": "matched", "invoice": "K-26101"},
        {"amount": "10000.00", "kid": "10002261039", "status": "partial", "invoice": "K-26103"},
        {"amount": "3290.00", "kid": "10003261046", "status": "overpaid", "invoice": "K-26104"},
        {"amount": "1450.00", "kid": "10005250876", "status": "unmatched", "invoice": None},
    ]
    assert listed(acme)[3]["reason"] == "unknown_kid"
    lines = {
        v["text"]: [(ln["account"], ln["debit"], ln["credit"]) for ln in v["lines"]]
        for v in vouchers(acme, tmp_path)
    }
    assert sorted(lines.values()) == [
        [("1920", "10000.00", "0.00"), ("1500", "0.00", "10000.00")],
        [("1920", "12500.00", "0.00"), ("1500", "0.00", "12500.00")],
        [("1920", "3290.00", "0.00"), ("1500", "0.00", "2990.00"), ("1500", "0.00", "300.00")],
    ]


def test_ingesting_the_example_twice_changes_nothing(acme: Cli, tmp_path: Path) -> None:
    acme("incoming", "ingest", str(OCR))
    before = (listed(acme), vouchers(acme, tmp_path))

    again = acme("incoming", "ingest", str(OCR), "--company", ORG_NO)

    assert again.strip() == f"{OCR}: taken already; nothing changed."
    assert (listed(acme), vouchers(acme, tmp_path)) == before


def test_the_readme_hand_steps_print_what_it_shows(acme: Cli) -> None:
    acme("incoming", "ingest", str(OCR))
    [unknown] = [p["id"] for p in listed(acme) if p["status"] == "unmatched"]
    assert unknown == 4  # README names it so

    posted = acme(
        "incoming", "post", "4", "--account", "3900", "--text", "Other income", "--as", "U01KARI"
    )
    undone = acme("incoming", "undo", "4", "--as", "U01KARI")
    matched = acme("incoming", "match", "4", "--invoice", "K-26105", "--as", "U01KARI")

    assert posted.strip() == "Posted incoming payment 4 to 3900 as voucher 4 of 2026."
    assert undone.strip() == (
        "Undid the hand posting of incoming payment 4 to 3900: voucher 4 of 2026 is reversed by "
        "voucher 5 of 2026. The payment is unmatched again: post it or match it by hand."
    )
    assert matched.strip() == (
        "Matched incoming payment 4 to invoice K-26105 (matched) and posted it as voucher 6 of "
        "2026."
    )
    assert acme("incoming", "list", "--company", ORG_NO, "--status", "unmatched").strip() == (
        "No incoming payments."
    )


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_incoming_ocr", EXAMPLES / "make_incoming_ocr.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_file_is_what_its_script_makes_of_the_customer_items() -> None:
    made = _generator().transmission().to_ocr() + "\n"

    assert OCR.read_bytes() == made.encode("latin-1")
    assert all(len(line) == 80 for line in OCR.read_text(encoding="latin-1").splitlines())
