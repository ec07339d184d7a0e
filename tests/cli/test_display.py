"""The command line shows amounts and reference types as Slack does: in the company's language
(English when a listing spans several companies), while JSON keeps its machine forms."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from paybot.cli.main import app
from paybot.cli.render import WHY_WIDTH, shortened, why_cell, why_order
from paybot.container import reset as reset_container
from paybot.core.payments import Reason

EXAMPLES = Path(__file__).parents[2] / "examples"
NORSK = "974760673"  # Acme AS, in Norwegian, with the examples' open items
ENGLISH = "923609016"  # Nordic Ltd, in English, with one open item
ONE_ITEM = (
    "voucher_no;invoice_no;supplier_name;supplier_org_no;account;amount;currency;invoice_date;"
    "due_date;reference_type;reference\n"
    "9001;INV-9;Renhold Vest AS;916273843;1503.01.00007;25 000,00;NOK;2026-11-03;2026-12-01;"
    "invoice;INV-9\n"
)


def paybot(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def two_companies(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[None]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    reset_container()
    (tmp_path / "suppliers.csv").write_text(
        (EXAMPLES / "suppliers.csv").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "items.csv").write_text(
        (EXAMPLES / "open-items.csv").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "one.csv").write_text(ONE_ITEM, encoding="utf-8")
    for org_no, name, account, items in [
        (NORSK, "Acme AS", "8601.11.17947", "items.csv"),
        (ENGLISH, "Nordic Ltd", "1234.56.78903", "one.csv"),
    ]:
        paybot("company", "add", "--org-no", org_no, "--name", name, "--account", account)
        paybot("import", "suppliers", "suppliers.csv", "--company", org_no)
        paybot("import", "open-items", items, "--company", org_no)
        paybot("proposals", "refresh", "--company", org_no)
    paybot("company", "set", "--org-no", NORSK, "--language", "nb")
    yield
    reset_container()


def by_voucher(org_no: str | None = None) -> dict[str, dict[str, Any]]:
    words = ["proposals", "list", "--json"] + (["--company", org_no] if org_no else [])
    return {p["voucher_no"]: p for p in json.loads(paybot(*words))["payments"]}


@pytest.mark.usefixtures("two_companies")
def test_a_norwegian_companys_listing_is_in_norwegian() -> None:
    listing = paybot("proposals", "list", "--company", NORSK)
    assert "NOK 3 450,75" in listing and "-NOK 500,00" in listing and "NOK 12 000,00" in listing
    assert "KID 12345678903" in listing and "Melding Faktura R-7" in listing
    assert "3450.75" not in listing and "message:" not in listing and "kid:" not in listing


@pytest.mark.usefixtures("two_companies")
def test_an_english_companys_listing_is_in_english() -> None:
    listing = paybot("proposals", "list", "--company", ENGLISH)
    assert "NOK 25,000.00" in listing and "Invoice no. INV-9" in listing


@pytest.mark.usefixtures("two_companies")
def test_a_listing_over_several_companies_is_in_english() -> None:
    listing = paybot("proposals", "list")
    assert "NOK 3,450.75" in listing and "NOK 25,000.00" in listing
    assert "Message Faktura R-7" in listing and "Invoice no. INV-9" in listing
    found = paybot("search", "amount:>1000")
    assert "NOK 12,000.00" in found and "KID 12345678903" in found


@pytest.mark.usefixtures("two_companies")
def test_json_keeps_machine_forms() -> None:
    payments = by_voucher(NORSK)
    assert payments["1001"]["amount"] == "3450.75" and payments["1001"]["currency"] == "NOK"
    assert payments["1003"]["reference_type"] == "message"


@pytest.mark.usefixtures("two_companies")
def test_one_payment_shows_its_amount_reference_type_and_credits_in_the_language() -> None:
    shown = paybot("payments", "show", str(by_voucher(NORSK)["1001"]["id"]))
    assert "         amount: NOK 3 450,75" in shown
    assert " reference_type: KID" in shown
    assert "voucher 1002: -NOK 500,00" in shown


@pytest.mark.usefixtures("two_companies")
def test_thresholds_and_limits_are_in_the_companys_language() -> None:
    said = paybot("company", "set", "--org-no", NORSK, "--dual-control-above", "100000")
    assert "two signers above NOK 100 000,00" in said
    paybot(
        "users",
        "add",
        "--company",
        NORSK,
        "--slack-user",
        "U1",
        "--name",
        "Kari",
        "--role",
        "signer",
    )
    limits = paybot(
        "users", "set", "--company", NORSK, "--slack-user", "U1", "--max-per-payment", "50000"
    )
    assert "per payment NOK 50 000,00, per day no limit" in limits
    english = paybot("company", "set", "--org-no", ENGLISH, "--dual-control-above", "100000")
    assert "two signers above NOK 100,000.00" in english


@pytest.mark.usefixtures("two_companies")
def test_a_listing_says_why_in_words_while_json_keeps_the_codes() -> None:
    listing = paybot("proposals", "list", "--company", NORSK)
    *table, count = listing.rstrip().splitlines()
    assert count.endswith("payment(s)")
    rows = {line.split()[0]: line for line in table if line.strip()}
    flagged = [p for p in by_voucher(NORSK).values() if p["reasons"]]
    assert len(flagged) >= 3
    for payment in flagged:
        reasons = [Reason(code) for code in payment["reasons"]]  # JSON: the codes, as before
        row = rows[str(payment["id"])]
        assert not any(reason.value in row for reason in reasons), row
        assert row.endswith("  " + why_cell(reasons)), row
    orange = next(p for p in by_voucher(NORSK).values() if p["reasons"] == ["open_credit_items"])
    assert rows[str(orange["id"])].endswith(
        "The supplier has open credit notes or earlier payments"
    )


def test_no_reason_is_left_out_of_a_row_and_a_possible_duplicate_comes_first() -> None:
    """Cut to the column, a second reason once fell off the end: a possible duplicate (a
    payment that may be paid twice) must show in the row whatever else it is flagged for."""
    for reasons in permutations(list(Reason), 2):
        cell = why_cell(reasons)
        assert len(cell) <= WHY_WIDTH + 20, cell
        shown = cell.split("; ")
        assert len(shown) == 2, cell
        for reason, part in zip(sorted(reasons, key=why_order), shown, strict=True):
            start = part.removesuffix("…")
            assert reason.description.startswith(start) and len(start) >= 12, (reason, cell)
        if Reason.POSSIBLE_DUPLICATE in reasons:
            assert cell.startswith("Another invoice from this")
    assert why_cell([Reason.OPEN_CREDIT_ITEMS]) == Reason.OPEN_CREDIT_ITEMS.description


def test_long_words_are_cut_at_a_words_end() -> None:
    assert shortened("No payee account number", WHY_WIDTH) == "No payee account number"
    cut = shortened(Reason.MISSING_BIC.description, WHY_WIDTH)
    assert cut == "Payment abroad: the payee's account is not an IBAN, so a…"
    assert len(cut) <= WHY_WIDTH
    assert shortened("one two; three", 10) == "one two…"


@pytest.mark.usefixtures("two_companies")
def test_one_payment_shows_each_reason_in_words_with_its_code() -> None:
    orange = next(p for p in by_voucher(NORSK).values() if p["reasons"] == ["open_credit_items"])
    shown = paybot("payments", "show", str(orange["id"]))
    assert (
        "        reasons: The supplier has open credit notes or earlier payments"
        " [open_credit_items]"
    ) in shown
    blue = next(p for p in by_voucher(ENGLISH).values() if not p["reasons"])
    assert "        reasons: none" in paybot("payments", "show", str(blue["id"]))
