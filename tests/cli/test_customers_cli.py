"""`paybot customers items` through the real command line, on SQLite and PostgreSQL: the customer
invoices after a KID file (exact, partial, over, unknown KIDs), a hand match and a hand match
undone, as a table with totals per currency and the credit held for customers, and as JSON that
agrees with `ledger balance`; `--open` and `--customer`; nothing to list, said in words."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.builders import ORG_NO, SIGNER
from tests.cli.test_incoming_cli import Cli, cli
from tests.core.test_ocr_giro import Tx
from tests.services.test_incoming import (
    ITEMS,
    KID_EXACT,
    KID_OVER,
    KID_PARTIAL,
    KID_ROUND,
    KID_UNKNOWN,
    kid,
    ocr,
)

__all__ = ["cli"]  # a fixture, used by name

WHO = SIGNER.slack_user_id
KID_EUR = kid("200001")
MORE = f"F-5;Østfold Trelast AS;987654325;75.00;EUR;2026-11-03;2026-12-03;{KID_EUR}\n"


@pytest.fixture
def ledger(cli: Cli, tmp_path: Path) -> dict[str, int]:
    """Acme's invoices F-1..F-5 after a file and two hand steps; the payments' ids by KID."""
    (tmp_path / "items.csv").write_text(ITEMS + MORE, encoding="utf-8")
    (tmp_path / "in.ocr").write_bytes(
        ocr(
            Tx(125000, kid=KID_EXACT),  # F-1 matched
            Tx(30000, kid=KID_PARTIAL),  # F-2 partial
            Tx(45000, kid=KID_OVER),  # F-3 overpaid: 150 held as credit
            Tx(20000, kid=KID_UNKNOWN),  # matched to F-2 by hand
            Tx(7000, kid=kid("77")),  # matched to F-2 by hand, then undone
        )
    )
    cli("import", "customer-items", "items.csv", "--company", ORG_NO)
    cli("incoming", "ingest", "in.ocr")
    payments = cli.json("incoming", "list", "--company", ORG_NO)["payments"]
    ids = {p["kid"]: p["id"] for p in payments}
    cli("incoming", "match", str(ids[KID_UNKNOWN]), "--invoice", "F-2", "--as", WHO)
    cli("incoming", "match", str(ids[kid("77")]), "--invoice", "F-2", "--as", WHO)
    cli("incoming", "undo", str(ids[kid("77")]), "--as", WHO)
    return ids


def test_the_table_shows_each_invoice_the_totals_and_the_credit(
    cli: Cli, ledger: dict[str, int]
) -> None:
    out = cli("customers", "items", "--company", ORG_NO)

    exact, partial, over, by_hand = (
        ledger[k] for k in (KID_EXACT, KID_PARTIAL, KID_OVER, KID_UNKNOWN)
    )
    both = f"#{partial}, #{by_hand}"
    assert out == (
        "Invoice    Customer            KID      Due               Amount          Paid        "
        "Open  Status     Payments\n"
        "---------  ------------------  -------  ----------  ------------  ------------  "
        "----------  ---------  --------\n"
        f"F-3        Annen Kunde         {KID_OVER}  -             NOK 300.00    NOK 450.00    "
        f"NOK 0.00  overpaid   #{over}\n"
        f"F-4        Annen Kunde         {KID_ROUND}  -              NOK 99.70      NOK 0.00   "
        "NOK 99.70  open       -\n"
        f"F-1        Kunde AS            {KID_EXACT}  2026-12-01  NOK 1,250.00  NOK 1,250.00    "
        f"NOK 0.00  paid       #{exact}\n"
        f"F-2        Kunde AS            {KID_PARTIAL}  2026-12-02    NOK 800.00    NOK 500.00  "
        f"NOK 300.00  part-paid  {both}\n"
        f"F-5        Østfold Trelast AS  {KID_EUR}  2026-12-03     EUR 75.00      EUR 0.00   "
        "EUR 75.00  open       -\n"
        "---------  ------------------  -------  ----------  ------------  ------------  "
        "----------  ---------  --------\n"
        "Total NOK  4 invoice(s)                             NOK 2,449.70  NOK 2,200.00  "
        "NOK 399.70\n"
        "Total EUR  1 invoice(s)                                EUR 75.00      EUR 0.00   "
        "EUR 75.00\n"
        "\n"
        "Credit held for customers (paid over their invoices, on 1500):\n"
        "Customer     Org no      Credit  Invoices\n"
        "-----------  ------  ----------  --------\n"
        "Annen Kunde  -       NOK 150.00  F-3\n"
    )


def test_json_keeps_machine_values_and_agrees_with_the_ledger(
    cli: Cli, ledger: dict[str, int]
) -> None:
    found = cli.json("customers", "items", "--company", ORG_NO)

    assert (found["company"], found["customers_account"]) == (ORG_NO, "1500")
    f2 = next(item for item in found["items"] if item["invoice_no"] == "F-2")
    assert f2 == {
        "invoice_no": "F-2",
        "customer": "Kunde AS",
        "customer_org_no": "923609016",
        "kid": KID_PARTIAL,
        "invoice_date": "2026-11-02",
        "due_date": "2026-12-02",
        "currency": "NOK",
        "amount": "800.00",
        "paid": "500.00",
        "open": "300.00",
        "credit": "0.00",
        "status": "part-paid",
        "payments": [ledger[KID_PARTIAL], ledger[KID_UNKNOWN]],
    }
    assert found["totals"] == [
        {"currency": "NOK", "items": 4, "amount": "2449.70", "paid": "2200.00", "open": "399.70"},
        {"currency": "EUR", "items": 1, "amount": "75.00", "paid": "0.00", "open": "75.00"},
    ]
    assert found["credit"] == [
        {
            "customer": "Annen Kunde",
            "customer_org_no": None,
            "currency": "NOK",
            "amount": "150.00",
            "invoices": ["F-3"],
        }
    ]
    # Paid is what the customers account was credited with (the undone match both ways).
    accounts = cli.json("ledger", "balance", "--company", ORG_NO)["accounts"]
    [customers] = [a for a in accounts if a["account"] == "1500"]
    assert Decimal(customers["balance"]) == -Decimal(found["totals"][0]["paid"])


def test_open_and_customer_narrow_the_list_and_keep_the_credit(
    cli: Cli, ledger: dict[str, int]
) -> None:
    out = cli("customers", "items", "--company", ORG_NO, "--open", "--customer", "KUNDE")

    lines = out.splitlines()
    assert [line.split()[0] for line in lines[2:4]] == ["F-4", "F-2"]
    assert lines[5].split() == ["Total", "NOK", "2", "invoice(s)", "NOK", "899.70", "NOK",
                                "500.00", "NOK", "399.70"]  # fmt: skip
    assert lines[-1].split() == ["Annen", "Kunde", "-", "NOK", "150.00", "F-3"]
    only = cli.json("customers", "items", "--company", ORG_NO, "--customer", "987 654 325")
    assert [item["invoice_no"] for item in only["items"]] == ["F-5"]
    assert (only["totals"][0]["currency"], only["credit"]) == ("EUR", [])


def test_nothing_to_list_is_said_in_words(cli: Cli, ledger: dict[str, int]) -> None:
    out = cli("customers", "items", "--company", ORG_NO, "--customer", "Nobody")
    assert out == "Acme AS: no customer invoices of a customer matching 'Nobody'.\n"
    refused = cli("customers", "items", "--company", "923609016", ok=False)
    assert "No company with organisation number 923609016" in refused


def test_a_company_without_customer_invoices_is_told_how_to_import_them(cli: Cli) -> None:
    out = cli("customers", "items", "--company", ORG_NO)
    assert out == (
        f"Acme AS: no customer invoices; import them with `paybot import customer-items FILE "
        f"--company {ORG_NO}`.\n"
    )
    assert cli.json("customers", "items", "--company", ORG_NO) == {
        "company": ORG_NO,
        "customers_account": "1500",
        "items": [],
        "totals": [],
        "credit": [],
    }
