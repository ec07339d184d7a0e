"""`paybot payments show` of a possible duplicate names the payments it looks like, the paid ones
first, through the real command line on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from paybot.cli import context
from paybot.cli.main import app
from paybot.container import reset as reset_container
from paybot.services.secrets import SecretBox
from paybot.store.uow import UnitOfWork
from tests.builders import KID_MOD10, a_company, a_supplier, an_item, ledger_with
from tests.services.paid_payments import pay

# 23:30 on 1 December in UTC is 2 December in Oslo: the business day is said.
PAID_AT = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    output = result.stdout + (result.stderr or "")
    assert result.exit_code == 0, output
    return output


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYBOT_SECRET_KEY", SecretBox.new_key())
    monkeypatch.chdir(tmp_path)
    reset_container()
    monkeypatch.setattr(context, "now", lambda: PAID_AT + timedelta(hours=2))
    yield
    reset_container()


@pytest.fixture
def twins(engine: Engine, cli: None) -> tuple[int, int, int]:
    """A proposal, a paid payment and another proposal of one supplier, all of NOK 2,219.00 with
    the same KID (the proposal, the paid one, the other)."""
    uow = UnitOfWork(engine)
    a_company(uow)
    items = [
        an_item(invoice_no="F-101", amount=Decimal("2219.00")),
        an_item(invoice_no="F-100", amount=Decimal("2219.00")),
        an_item(invoice_no="F-102", amount=Decimal("2219.00")),
    ]
    found = ledger_with(uow, items, [a_supplier()])
    proposal, paid, other = (found[item.voucher_no].id for item in items)
    pay(engine, [paid], paid_at=PAID_AT)
    return proposal, paid, other


def test_show_names_the_paid_look_alike_first(twins: tuple[int, int, int]) -> None:
    proposal, paid, other = twins

    out = run("payments", "show", str(proposal)).splitlines()

    start = out.index("Looks like (check that this one is not paid already):")
    assert out[start + 1 : start + 3] == [
        f"  #{paid} · Paid 2 Dec 2026 · NOK 2,219.00 · invoice F-100 / KID {KID_MOD10}",
        f"  #{other} · Proposals · NOK 2,219.00 · invoice F-102 / KID {KID_MOD10}",
    ]


def test_show_as_json_lists_the_look_alikes(twins: tuple[int, int, int]) -> None:
    proposal, paid, other = twins

    shown = json.loads(run("payments", "show", str(proposal), "--json"))

    named = [(twin["id"], twin["status"], twin["paid_at"]) for twin in shown["duplicates_of"]]
    assert named == [(paid, "paid", PAID_AT.isoformat()), (other, "proposed", None)]


def test_show_of_a_payment_that_looks_like_none_names_none(engine: Engine, cli: None) -> None:
    uow = UnitOfWork(engine)
    a_company(uow)
    item = an_item()
    payment = ledger_with(uow, [item], [a_supplier()])[item.voucher_no].id

    assert "Looks like" not in run("payments", "show", str(payment))
    assert json.loads(run("payments", "show", str(payment), "--json"))["duplicates_of"] == []
