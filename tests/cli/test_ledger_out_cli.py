"""`paybot ledger export|balance` through the command line, on SQLite and PostgreSQL: posted
vouchers go out as CSV (a Norwegian spreadsheet's), JSON and SAF-T (valid against the official
XSD), whole or not at all, and the balances they leave add up."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

from lxml import etree

from tests.builders import ORG_NO, SIGNER
from tests.cli.test_posting_cli import Cli, cli, paid  # noqa: F401 - fixtures
from tests.shared_fixtures import shared_fixture

__all__ = ["cli", "paid"]


def posted(cli: Cli) -> None:
    cli("rates", "set", "EUR", "11.50", "--date", "2026-10-01")  # the EUR invoice's rate
    cli("post", "--company", ORG_NO, "--as", SIGNER.slack_user_id)


NOVEMBER = ("--from", "2026-11-01", "--to", "2026-11-30")


def comma(text: str) -> Decimal:
    return Decimal(text.replace(",", ".")) if text else Decimal(0)


def test_the_csv_opens_in_a_norwegian_spreadsheet_with_the_right_totals(
    cli: Cli, paid: list[int], tmp_path: Path
) -> None:
    posted(cli)
    said = cli(
        "ledger", "export", "--company", ORG_NO, "--from", "2026-11-01", "--to", "2026-11-30"
    )
    [written] = list(tmp_path.glob("ledger-*.csv"))
    assert written.name in said
    data = written.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    debit, credit = (
        sum(comma(row[header.index(c)]) for row in body) for c in _money_columns(header)
    )
    assert debit == credit > 0
    assert f"debit {debit}" in said.replace(",", ".") or str(debit) in said


def _money_columns(header: list[str]) -> tuple[str, str]:
    lowered = [h.lower() for h in header]
    return (
        header[next(i for i, h in enumerate(lowered) if h in ("debet", "debit"))],
        header[next(i for i, h in enumerate(lowered) if h in ("kredit", "credit"))],
    )


def test_json_and_balance_agree(cli: Cli, paid: list[int], tmp_path: Path) -> None:
    posted(cli)
    out = tmp_path / "vouchers.json"
    cli(
        "ledger",
        "export",
        "--company",
        ORG_NO,
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "json",
        "--out",
        str(out),
    )
    vouchers = json.loads(out.read_text())["vouchers"]
    assert vouchers and all(
        sum(Decimal(line["debit"]) for line in v["lines"])
        == sum(Decimal(line["credit"]) for line in v["lines"])
        for v in vouchers
    )
    balances = cli.json("ledger", "balance", "--company", ORG_NO)["accounts"]
    assert sum(Decimal(b["balance"]) for b in balances) == 0
    by_account = {b["account"]: Decimal(b["balance"]) for b in balances}
    assert by_account["2400"] > 0 and by_account["1920"] < 0  # suppliers paid from the bank
    assert "Leverandørgjeld" in cli("ledger", "balance", "--company", ORG_NO)


def test_saft_validates_against_the_official_schema(
    cli: Cli, paid: list[int], tmp_path: Path
) -> None:
    posted(cli)
    refused = cli(
        "ledger",
        "export",
        "--company",
        ORG_NO,
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "saft",
        ok=False,
    )
    assert "--contact" in refused
    said = cli(
        "ledger",
        "export",
        "--company",
        ORG_NO,
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "saft",
        "--contact",
        "Kari Nordmann",
        "--phone",
        "+4722000000",
    )
    [written] = list(tmp_path.glob("SAF-T Financial_*.xml"))
    assert written.name in said
    schema = etree.XMLSchema(
        etree.parse(str(shared_fixture("saft/Norwegian_SAF-T_Financial_Schema_v_1.30.xsd")))
    )
    schema.assertValid(etree.parse(str(written)))


def test_a_refused_export_leaves_no_file(cli: Cli, paid: list[int], tmp_path: Path) -> None:
    said = cli(
        "ledger",
        "export",
        "--company",
        "999999999",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        ok=False,
    )
    assert "999999999" in said
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith((".ledger", "ledger"))] == []
    backwards = cli(
        "ledger",
        "export",
        "--company",
        ORG_NO,
        "--from",
        "2026-12-01",
        "--to",
        "2026-11-01",
        ok=False,
    )
    assert "after" in backwards
