"""`paybot post` and `paybot company accounts` through the real command line, on SQLite and
PostgreSQL: paid payments become vouchers (per payment or per batch), a second posting names the
voucher, the GL accounts are shown and set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from paybot.cli import context
from paybot.cli.main import app
from paybot.container import reset as reset_container
from paybot.services.secrets import SecretBox
from paybot.store.uow import UnitOfWork
from tests.builders import ORG_NO, SIGNER, VIEWER, a_company, a_supplier, an_item, ledger_with
from tests.services.paid_payments import pay

PAID_AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


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
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Cli]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYBOT_SECRET_KEY", SecretBox.new_key())
    monkeypatch.chdir(tmp_path)
    reset_container()
    monkeypatch.setattr(context, "now", lambda: PAID_AT + timedelta(hours=2))
    yield Cli()
    reset_container()


@pytest.fixture
def paid(engine: Engine, cli: Cli) -> list[int]:
    """Acme AS (a signer, an approver, a viewer) with three paid payments: two sent in batch 1,
    one in batch 2 (EUR, booked by the bank at NOK 1 160.40)."""
    uow = UnitOfWork(engine)
    a_company(uow)
    items = [
        an_item(invoice_no="F-1"),
        an_item(invoice_no="F-2", amount=Decimal("99.90")),
        an_item(invoice_no="F-3", amount=Decimal("100.00"), currency="EUR"),
    ]
    found = ledger_with(uow, items, [a_supplier()])
    ids = [found[item.voucher_no].id for item in items]
    pay(engine, ids[:2], paid_at=PAID_AT)
    pay(engine, ids[2:], paid_at=PAID_AT, booked={ids[2]: (Decimal("1160.40"), "NOK")})
    return ids


def test_post_prints_each_voucher_and_a_second_post_names_it(cli: Cli, paid: list[int]) -> None:
    out = cli("post", "--company", ORG_NO, "--as", SIGNER.slack_user_id, str(paid[0]))

    assert out.splitlines() == [
        "Posted 1 payment(s) as voucher 1 of 2026.",
        f"Voucher 1  2026-11-25  Payment #{paid[0]} to Leverandør AS, invoice F-1  [#{paid[0]}]",
        "  2400   debit           1250.00  Leverandør AS, invoice F-1 — Leverandør AS",
        f"  1920   credit          1250.00  Payment #{paid[0]} (batch 1)",
    ]
    again = cli("post", "--company", ORG_NO, "--as", SIGNER.slack_user_id, str(paid[0]), ok=False)
    assert f"Error: Payment {paid[0]} is posted already, as voucher 1 of 2026." in again


def test_post_of_a_batch_as_json_per_batch(cli: Cli, paid: list[int]) -> None:
    cli("company", "set", "--org-no", ORG_NO, "--posting-mode", "per_batch")

    [voucher] = cli.json("post", "--company", ORG_NO, "--as", "USIGNER", "--batch", "1")["vouchers"]

    assert (voucher["number"], voucher["year"], voucher["date"]) == (1, 2026, "2026-11-25")
    assert voucher["text"] == "Batch 1: 2 payments"
    assert voucher["payments"] == paid[:2]
    assert [(x["account"], x["debit"], x["credit"]) for x in voucher["lines"]] == [
        ("2400", "1250.00", "0.00"),
        ("1920", "0.00", "1250.00"),
        ("2400", "99.90", "0.00"),
        ("1920", "0.00", "99.90"),
    ]
    assert voucher["lines"][0]["supplier"] == "Leverandør AS"
    again = cli("post", "--company", ORG_NO, "--as", "USIGNER", "--batch", "1", ok=False)
    assert "Batch 1 is posted already: voucher 1 of 2026." in again


def test_post_without_ids_posts_every_paid_payment_at_the_banks_amount(
    cli: Cli, paid: list[int]
) -> None:
    cli("rates", "set", "EUR", "11.50", "--date", "2026-10-01")

    vouchers = cli.json("post", "--company", ORG_NO, "--as", "USIGNER")["vouchers"]

    assert [v["number"] for v in vouchers] == [1, 2, 3]
    euro = vouchers[2]["lines"]
    assert [(x["account"], x["debit"], x["credit"], x["currency"], x["amount_currency"])
            for x in euro] == [
        ("2400", "1150.00", "0.00", "EUR", "100.00"),
        ("1920", "0.00", "1160.40", "EUR", "100.00"),
        ("8160", "10.40", "0.00", "NOK", "10.40"),
    ]  # fmt: skip
    assert "No paid payment to post." in cli("post", "--company", ORG_NO, "--as", "USIGNER")


def test_post_is_refused_to_a_viewer_and_all_or_none(cli: Cli, paid: list[int]) -> None:
    viewer = VIEWER.slack_user_id
    out = cli("post", "--company", ORG_NO, "--as", viewer, str(paid[0]), ok=False)
    assert "may not post payments in Acme AS" in out

    out = cli("post", "--company", ORG_NO, "--as", "USIGNER", str(paid[0]), "999", ok=False)
    assert "Acme AS has no payment 999; nothing was posted." in out
    assert "payments are posted all or none" in out
    out = cli("post", "--company", ORG_NO, "--as", "USIGNER", "1", "--batch", "1", ok=False)
    assert "give payment ids or --batch, not both" in out


def test_company_accounts_are_shown_and_set(cli: Cli, paid: list[int]) -> None:
    shown = cli("company", "accounts", "--org-no", ORG_NO)
    assert "suppliers        2400" in shown and "bank account 86011117947: 1920" in shown

    changed = cli.json(
        "company", "accounts", "--org-no", ORG_NO, "--set", "bank=1921",
        "--set", "currency_loss=8161",
    )  # fmt: skip
    assert changed["accounts"]["bank"] == "1921"
    assert changed["accounts"]["currency_loss"] == "8161"
    assert changed["bank_accounts"] == [{"account": "86011117947", "gl_account": "1921"}]
    assert "bank             1921  (standard: 1920)" in cli(
        "company", "accounts", "--org-no", ORG_NO
    )
    vouchers = cli.json("post", "--company", ORG_NO, "--as", "USIGNER", str(paid[0]))
    assert [x["account"] for x in vouchers["vouchers"][0]["lines"]] == ["2400", "1921"]

    out = cli("company", "accounts", "--org-no", ORG_NO, "--set", "banks=1921", ok=False)
    assert "'banks=1921'" not in out and "is not a role" in out
    out = cli("company", "accounts", "--org-no", ORG_NO, "--set", "bank", ok=False)
    assert "give ROLE=ACCOUNT" in out


def test_post_needs_a_current_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    reset_container()
    out = Cli()("post", "--company", ORG_NO, "--as", "U1", ok=False)
    assert "Run `paybot db upgrade`" in out
    reset_container()
