"""`paybot payments fix ID --payee NAME`: a payment red because the bank file keeps no letter of
its payee's name is made blue by a name in letters a bank takes; a name the file would not carry
is refused. Through the real command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.cli import test_fix_abroad_cli as abroad
from tests.cli.test_fix_abroad_cli import HEADER, ORG, Cli

cli = abroad.cli  # the fixture: a company with Kari, an approver, as U1
GB_IBAN = "GB29NWBK60161331926819"


@pytest.fixture
def red(cli: Cli) -> int:
    """A SEPA payment in EUR (no rate: its purpose given) to a payee named in Cyrillic letters
    only, in London."""
    row = f"2001;R-9;Дмитрий ООО;;{GB_IBAN};150,00;EUR;2026-11-01;2026-12-01;message;Invoice 9"
    (cli.folder / "items.csv").write_text(f"{HEADER}\n{row}\n", encoding="utf-8")
    cli("import", "open-items", "items.csv", "--company", ORG)
    cli("proposals", "refresh", "--company", ORG)
    [payment] = cli.json("proposals", "list", "--company", ORG)["payments"]
    payment_id = int(payment["id"])
    cli.fix(
        payment_id, "--town", "London", "--country", "GB",
        "--purpose-code", "14", "--purpose-text", "Machine parts",
    )  # fmt: skip
    assert cli.shown(payment_id)["reasons"] == ["invalid_name"]
    return payment_id


def test_a_name_in_latin_letters_makes_the_payment_blue(cli: Cli, red: int) -> None:
    out = cli.fix(red, "--payee", "Dmitrij OOO")
    assert f"Fixed payment {red}: proposed, flag blue (reasons: none)." in out
    shown = cli.shown(red)
    assert (shown["payee"], shown["flag"], shown["reasons"]) == ("Dmitrij OOO", "blue", [])
    event = shown["history"][-1]
    assert event["before"]["payee"] == "Дмитрий ООО" and event["after"]["payee"] == "Dmitrij OOO"


def test_a_name_the_file_would_not_carry_is_refused(cli: Cli, red: int) -> None:
    out = cli.fix(red, "--payee", "Иван ООО", ok=False)
    assert "payee: has no letters or digits a bank takes" in out
    out = cli.fix(red, "--payee", "Dmitrij Дмитрий", ok=False)
    assert '"Д" (U+0414) at position 9 cannot go in a payment file' in out
    out = cli.fix(red, "--payee", "D" * 201, ok=False)
    assert "payee: at most 200 characters (got 201)" in out
    out = cli.fix(red, "--payee", "Dmitrij\u202eOOO", ok=False)
    assert "control character U+202E at position 8" in out and "\u202e" not in out
    assert cli.shown(red)["payee"] == "Дмитрий ООО"


def test_help_names_the_payee_option(cli: Cli) -> None:
    out = cli("payments", "fix", "--help")
    assert "--payee" in out and "NAME" in out
