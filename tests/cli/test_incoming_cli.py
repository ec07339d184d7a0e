"""`paybot import customer-items` and `paybot incoming` through the real command line, on SQLite
and PostgreSQL: invoices imported once, a KID file taken once, the list as text and JSON, an
unmatched payment posted by hand, matched by hand or deleted; the incoming agreement and the
rounding tolerance set by their commands."""

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
from paybot.store.uow import UnitOfWork
from tests.builders import COMPANY_ACCOUNT, ORG_NO, SIGNER, VIEWER, a_company
from tests.core.test_ocr_giro import Tx
from tests.services.test_incoming import ITEMS, KID_EXACT, KID_PARTIAL, KID_UNKNOWN, ocr

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


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
def cli(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, uow: UnitOfWork
) -> Iterator[Cli]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYBOT_SECRET_KEY", SecretBox.new_key())
    monkeypatch.chdir(tmp_path)
    reset_container()
    monkeypatch.setattr(context, "now", lambda: NOW)
    a_company(uow)
    yield Cli()
    reset_container()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    made = {
        "items": ITEMS.encode(),
        "kid.ocr": ocr(Tx(125000, kid=KID_EXACT), Tx(30000, kid=KID_PARTIAL)),
        "unknown.ocr": ocr(
            Tx(25000, kid=KID_UNKNOWN), Tx(10000, kid=KID_UNKNOWN), number="0000002"
        ),
    }
    for name, data in made.items():
        (tmp_path / name).write_bytes(data)
    return {name: tmp_path / name for name in made}


def test_customer_items_import_and_again_unchanged(cli: Cli, files: dict[str, Path]) -> None:
    items = str(files["items"])
    assert cli("import", "customer-items", items, "--company", ORG_NO).strip() == (
        f"Customer items from {items}: 4 new, 0 unchanged."
    )
    assert "0 new, 4 unchanged" in cli("import", "customer-items", items, "--company", ORG_NO)


def test_a_bad_customer_items_file_says_where(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("invoice_no;customer_name;amount;currency;kid\nF-9;Kunde;10;NOK;123\n")
    out = cli("import", "customer-items", str(bad), "--company", ORG_NO, ok=False)
    assert f"{bad}:2: kid: KID '123' has a wrong check digit" in out


def test_ingest_list_and_a_second_ingest_taken_already(cli: Cli, files: dict[str, Path]) -> None:
    cli("import", "customer-items", str(files["items"]), "--company", ORG_NO)
    kid_file = str(files["kid.ocr"])

    out = cli("incoming", "ingest", kid_file)
    again = cli("incoming", "ingest", kid_file, "--company", ORG_NO)

    assert out.strip() == (
        f"{kid_file} (ocr_giro, {ORG_NO}): 2 payment(s): 1 matched, 1 partial; 2 voucher(s) posted."
    )
    assert again.strip() == f"{kid_file}: taken already; nothing changed."
    payments = cli.json("incoming", "list", "--company", ORG_NO)["payments"]
    assert [
        {key: p[key] for key in ("amount", "kid", "payer", "date", "status", "invoice")}
        for p in payments
    ] == [
        {
            "amount": "1250.00",
            "kid": KID_EXACT,
            "payer": "99991005524",
            "date": "2026-11-23",
            "status": "matched",
            "invoice": "F-1",
        },
        {
            "amount": "300.00",
            "kid": KID_PARTIAL,
            "payer": "99991005524",
            "date": "2026-11-23",
            "status": "partial",
            "invoice": "F-2",
        },
    ]
    assert all(isinstance(p["id"], int) for p in payments)


def test_unmatched_ones_posted_matched_and_deleted_by_hand(
    cli: Cli, files: dict[str, Path]
) -> None:
    cli("import", "customer-items", str(files["items"]), "--company", ORG_NO)
    cli("incoming", "ingest", str(files["unknown.ocr"]))
    listed = cli.json("incoming", "list", "--company", ORG_NO, "--status", "unmatched")
    first, second = (p["id"] for p in listed["payments"])
    who = SIGNER.slack_user_id

    posted = cli(
        "incoming", "post", str(first), "--account", "3900", "--text", "Refund from NAV",
        "--as", who,
    )  # fmt: skip
    refused = cli(
        "incoming", "delete", str(second), "--reason", "x", "--as", VIEWER.slack_user_id, ok=False
    )
    matched = cli("incoming", "match", str(second), "--invoice", "F-2", "--as", who)
    again = cli("incoming", "delete", str(first), "--reason", "twice", "--as", who, ok=False)

    assert posted.strip() == f"Posted incoming payment {first} to 3900 as voucher 1 of 2026."
    assert "may not handle incoming payments" in refused
    assert matched.strip() == (
        f"Matched incoming payment {second} to invoice F-2 (partial) and posted it as voucher "
        "2 of 2026."
    )
    assert "is posted by hand already (voucher 1 of 2026)" in again
    assert cli("incoming", "list", "--company", ORG_NO, "--status", "unmatched").strip() == (
        "No incoming payments."
    )
    text = cli("incoming", "list", "--company", ORG_NO)
    assert "posted by hand as voucher 1 of 2026" in text and "partial, invoice F-2" in text


def test_a_deleted_one_keeps_its_reason(cli: Cli, files: dict[str, Path]) -> None:
    cli("incoming", "ingest", str(files["unknown.ocr"]))
    first = cli.json("incoming", "list", "--company", ORG_NO)["payments"][0]["id"]

    out = cli("incoming", "delete", str(first), "--reason", "Paid twice", "--as", "USIGNER")

    assert out.strip() == f"Deleted incoming payment {first}: Paid twice."
    [shown] = cli.json("incoming", "list", "--company", ORG_NO, "--status", "deleted")["payments"]
    assert (shown["id"], shown["delete_reason"]) == (first, "Paid twice")


def test_no_incoming_agreement_refuses_the_file_and_the_tolerance_is_set(
    cli: Cli, files: dict[str, Path]
) -> None:
    shown = cli("bank", "set", "--company", ORG_NO, "--account", COMPANY_ACCOUNT, "--no-incoming")
    refused = cli("incoming", "ingest", str(files["kid.ocr"]), ok=False)
    tolerance = cli("company", "set", "--org-no", ORG_NO, "--rounding-tolerance", "0.49")

    assert "incoming no" in shown
    assert f"account {COMPANY_ACCOUNT} of Acme AS has no incoming agreement" in refused
    assert "rounding tolerance" in tolerance and "0.49" in tolerance.replace(",", ".")
    [company] = cli.json("company", "list")["companies"]
    assert company["rounding_tolerance"] == "0.49"
