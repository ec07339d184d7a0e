"""The warm-up before `paybot serve` forks its workers (serving.warm_up): a worker's first
requests find the statements they send compiled already, in the engine's cache it inherited."""

from __future__ import annotations

import logging
import multiprocessing
import traceback
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.engine.default import CACHE_MISS

from paybot.core.errors import ValidationFailed
from paybot.handlers import bank_command
from paybot.handlers.deps import Deps
from paybot.services import payments, people, proposals, search
from paybot.services.secrets import SecretBox
from paybot.serving import warm_up
from paybot.store import db
from paybot.store.uow import UnitOfWork
from tests.builders import (
    APPROVER,
    BOX,
    NOW,
    ORG_NO,
    OSLO,
    SIGNER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
    sign_with,
)


def _first_requests(engine: Engine, deps: Deps, phone: Authenticator, payment_id: int) -> None:
    """What a worker's first requests run: a sign, `/bank status` and a search (their
    acknowledgements), the Home tab's reads."""
    sign_with(UnitOfWork(engine), phone, [payment_id])
    bank_command.answer(deps, APPROVER, "status", "")
    bank_command.answer(deps, APPROVER, "search", "status:proposed")
    people.memberships(deps.uow(), user=SIGNER)
    proposals.status_counts(deps.uow(), company_org_no=ORG_NO)
    search.search(deps.uow(), query="status:due", company_org_no=ORG_NO, limit=3)


def _worker(engine: Engine, deps: Deps, phone: Authenticator, pid: int, out: Connection) -> None:
    """In the forked child, as gunicorn's post_fork leaves it: the parent's connections dropped,
    its engine (and the engine's statement cache) kept. Sends the statements it compiled."""
    try:
        engine.dispose(close=False)
        compiled: list[str] = []

        def seen(
            conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: Any
        ) -> None:
            if context.cache_hit is CACHE_MISS:
                compiled.append(" ".join(statement.split())[:120])

        event.listen(engine, "before_cursor_execute", seen)
        _first_requests(engine, deps, phone, pid)
        out.send(("ok", compiled))
    except BaseException:  # noqa: BLE001 - told to the parent, which fails the test
        out.send(("error", traceback.format_exc()))


@pytest.mark.parametrize("warm", [True, False], ids=["warmed-up", "cold"])
def test_a_workers_first_requests_after_the_fork_find_their_statements_compiled(
    database_url: str, warm: bool
) -> None:
    seeding = db.make_engine(database_url)
    phone = a_company(UnitOfWork(seeding))
    assert phone is not None
    found = ledger_with(UnitOfWork(seeding), [an_item()], [a_supplier()])
    [payment] = found.values()
    payments.approve(UnitOfWork(seeding), actor=APPROVER, payment_ids=[payment.id], now=NOW)
    seeding.dispose()

    # The server's engine: made in the master, nothing compiled yet.
    engine = db.make_engine(database_url)
    deps = Deps(
        uow=lambda: UnitOfWork(engine), box=lambda: BOX, zone=OSLO, clock=lambda: datetime.now(UTC)
    )
    if warm:
        assert warm_up(engine, deps) is not None
    receive, send = multiprocessing.get_context("fork").Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=_worker, args=(engine, deps, phone, payment.id, send)
    )
    child.start()
    try:
        assert receive.poll(60), "the forked worker did not answer"
        outcome, compiled = receive.recv()
    finally:
        child.join(60)
        engine.dispose()
    assert outcome == "ok", compiled
    if warm:
        assert compiled == []
    else:  # the same requests without the warm-up: each compiles what it sends first
        assert len(compiled) >= 5, compiled


def test_a_warm_up_that_fails_says_so_logs_no_rehearsed_event_and_changes_nothing(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = db.make_engine(database_url)

    def no_key() -> SecretBox:  # as without PAYBOT_SECRET_KEY: after a company and its people
        raise ValidationFailed({"PAYBOT_SECRET_KEY": "not set"})

    deps = Deps(uow=lambda: UnitOfWork(engine), box=no_key, zone=OSLO)
    caplog.set_level(logging.INFO)
    try:
        assert warm_up(engine, deps) is None
    finally:
        engine.dispose()
    assert [r.getMessage() for r in caplog.records] == [
        "the warm-up before the first request failed"
    ]
    assert logging.root.manager.disable == logging.NOTSET  # the logs are on again
    with UnitOfWork(db.make_engine(database_url)) as uow:
        assert uow.companies.all() == []
        assert uow.audit.latest(10) == []
