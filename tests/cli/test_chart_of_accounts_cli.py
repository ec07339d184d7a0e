"""`paybot ledger accounts import|list` through the real command line, on SQLite and PostgreSQL: a
chart from CSV or SAF-T, whole or refused at its line and field, the same file again changing
nothing; `paybot incoming post` then refusing an account the chart does not have."""

from __future__ import annotations

from pathlib import Path

from paybot.core.ledgerfiles.chart import Grouping
from paybot.core.ledgerfiles.saft import SaftAccount
from tests.builders import ORG_NO, SIGNER
from tests.cli.test_incoming_cli import Cli, cli, files
from tests.core.test_chart_of_accounts import CHART
from tests.core.test_ledgerfiles import mixed_vouchers, saft_bytes

__all__ = ["cli", "files"]  # fixtures, used by name


def write(tmp_path: Path, name: str, data: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


def test_a_csv_chart_is_imported_once_and_listed_as_text_and_json(cli: Cli, tmp_path: Path) -> None:
    chart = write(tmp_path, "chart.csv", CHART)

    first = cli("ledger", "accounts", "import", chart, "--company", ORG_NO)
    again = cli("ledger", "accounts", "import", chart, "--company", ORG_NO)

    assert first.strip() == (
        f"Chart of accounts of Acme AS from {chart}: 4 new, 0 changed, 0 unchanged."
    )
    assert again.strip() == (
        f"Chart of accounts of Acme AS from {chart}: 0 new, 0 changed, 4 unchanged."
    )
    assert cli("ledger", "accounts", "list", "--company", ORG_NO).splitlines() == [
        "1500  Kundefordringer  (closed for posting by hand)",
        "1920  Bankinnskudd",
        "3400  Offentlig tilskudd/refusjon",
        "3900  Annen driftsrelatert inntekt",
    ]
    listed = cli.json("ledger", "accounts", "list", "--company", ORG_NO)
    assert listed["company"] == ORG_NO
    assert listed["accounts"][0] == {"number": "1500", "name": "Kundefordringer", "by_hand": False}
    assert len(listed["accounts"]) == 4


def test_a_bad_file_says_where_and_leaves_the_chart_as_it_was(cli: Cli, tmp_path: Path) -> None:
    cli("ledger", "accounts", "import", write(tmp_path, "chart.csv", CHART), "--company", ORG_NO)
    bad = write(tmp_path, "bad.csv", "number;name\n3900;Salg\n8050;Renter\n80x0;Typo\n")

    out = cli("ledger", "accounts", "import", bad, "--company", ORG_NO, ok=False)

    assert f"{bad}:4: number: '80x0' is not a GL account number (3 to 10 digits)" in out
    assert "The chart of accounts is as it was." in out
    names = [
        a["name"] for a in cli.json("ledger", "accounts", "list", "--company", ORG_NO)["accounts"]
    ]
    assert names[-1] == "Annen driftsrelatert inntekt"
    assert "8050" not in cli("ledger", "accounts", "list", "--company", ORG_NO)


def test_a_saft_file_gives_the_chart_its_general_ledger_accounts(cli: Cli, tmp_path: Path) -> None:
    own = SaftAccount("3400", description="Refusjon fra NAV", grouping=Grouping("x", "3400"))
    saft = write(tmp_path, "SAF-T.xml", saft_bytes(mixed_vouchers(), accounts=[own]))

    out = cli("ledger", "accounts", "import", saft, "--company", ORG_NO)

    assert "new, 0 changed, 0 unchanged." in out
    listed = cli("ledger", "accounts", "list", "--company", ORG_NO)
    assert "3400  Refusjon fra NAV" in listed and "1920  Bankinnskudd" in listed


def test_without_a_chart_the_list_says_so_and_how_to_import_one(cli: Cli) -> None:
    out = " ".join(cli("ledger", "accounts", "list", "--company", ORG_NO).split())

    assert out == (
        "Acme AS has no chart of accounts: an incoming payment may be posted by hand to any GL "
        f"account number. Import one with `paybot ledger accounts import FILE --company {ORG_NO}`."
    )
    assert cli.json("ledger", "accounts", "list", "--company", ORG_NO)["accounts"] == []


def test_with_a_chart_a_mistyped_account_is_refused_and_a_right_one_posted(
    cli: Cli, files: dict[str, Path], tmp_path: Path
) -> None:
    cli("ledger", "accounts", "import", write(tmp_path, "chart.csv", CHART), "--company", ORG_NO)
    cli("incoming", "ingest", str(files["unknown.ocr"]))
    first = cli.json("incoming", "list", "--company", ORG_NO)["payments"][0]["id"]
    who = SIGNER.slack_user_id

    typo = cli(
        "incoming", "post", str(first), "--account", "9999", "--text", "NAV", "--as", who, ok=False
    )
    posted = cli("incoming", "post", str(first), "--account", "3900", "--text", "NAV", "--as", who)

    assert " ".join(typo.split()) == (
        "Error: account: 9999 is not in the chart of accounts of Acme AS: check the number, or "
        "add the account to the chart file and import it again (`paybot ledger accounts import "
        f"FILE --company {ORG_NO}`)"
    )
    assert posted.strip() == f"Posted incoming payment {first} to 3900 as voucher 1 of 2026."


def test_the_import_help_says_what_the_file_holds(cli: Cli) -> None:
    said = " ".join(cli("ledger", "accounts", "import", "--help").split())

    assert "a header line `number;name`" in said
    assert "by_hand (yes or no; empty: yes)" in said
    assert "MasterFiles/GeneralLedgerAccounts" in said


def test_the_balance_names_an_account_by_the_companys_chart(
    cli: Cli, files: dict[str, Path], tmp_path: Path
) -> None:
    cli("incoming", "ingest", str(files["unknown.ocr"]))
    first = cli.json("incoming", "list", "--company", ORG_NO)["payments"][0]["id"]
    who = SIGNER.slack_user_id
    cli("incoming", "post", str(first), "--account", "3400", "--text", "NAV", "--as", who)
    unnamed = {
        a["account"]: a["name"]
        for a in cli.json("ledger", "balance", "--company", ORG_NO)["accounts"]
    }

    cli("ledger", "accounts", "import", write(tmp_path, "chart.csv", CHART), "--company", ORG_NO)

    named = {
        a["account"]: a["name"]
        for a in cli.json("ledger", "balance", "--company", ORG_NO)["accounts"]
    }
    assert (unnamed["3400"], named["3400"]) == (None, "Offentlig tilskudd/refusjon")
    assert named["1920"] == "Bankinnskudd"
    [row] = [r for r in cli("ledger", "balance", "--company", ORG_NO).splitlines() if "3400" in r]
    assert row.split()[:4] == ["3400", "Offentlig", "tilskudd/refusjon", "NOK"]
