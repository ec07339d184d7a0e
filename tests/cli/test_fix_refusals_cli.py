"""`paybot payments fix` refusing a wrong KID, a wrong account and a fix that changes nothing
prints them in English as the core says them; through the real command line, on SQLite and
PostgreSQL."""

from __future__ import annotations

from tests.cli.test_fix_abroad_cli import Cli, cli, ids

__all__ = ["cli", "ids"]  # the fixtures used here


def test_a_wrong_kid_is_refused_in_english(cli: Cli, ids: dict[str, int]) -> None:
    out = cli.fix(ids["NOK"], "--reference-type", "kid", "--reference", "12345678902", ok=False)
    assert "reference: KID '12345678902' has a wrong check digit (neither MOD10 nor MOD11)" in out


def test_a_wrong_account_is_refused_in_english(cli: Cli, ids: dict[str, int]) -> None:
    out = cli.fix(ids["NOK"], "--account", "1234.56.78900", ok=False)
    assert "account: 12345678900 has a wrong check digit" in out


def test_both_wrong_are_listed_field_by_field(cli: Cli, ids: dict[str, int]) -> None:
    out = cli.fix(ids["NOK"], "--account", "12345678900", "--reference", "12345678902", ok=False)
    assert "invalid input:\n" in out
    assert "  account: 12345678900 has a wrong check digit\n" in out
    assert "  reference: KID '12345678902' has a wrong check digit (neither MOD10 nor MOD11)" in out


def test_a_fix_that_changes_nothing_is_refused_in_english(cli: Cli, ids: dict[str, int]) -> None:
    out = cli.fix(ids["NOK"], "--account", "1234.56.78903", ok=False)
    assert "fix: nothing would change" in out
