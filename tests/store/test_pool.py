"""PostgreSQL's connection pool: a connection that waited in the pool is pinged before it is used
(and replaced if it is dead), one given back a moment ago is not; a warmed pool holds connections
that have planned a statement over every table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, text

from paybot.store import db
from paybot.store.base import Base


@pytest.fixture
def pooled(postgres_database: str) -> Iterator[Engine]:
    engine = db.make_engine(postgres_database)
    yield engine
    engine.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    pinged: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pinged.append(dbapi_connection)
        return ping(dbapi_connection)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pinged


def test_a_connection_given_back_a_moment_ago_is_used_without_a_ping(
    pooled: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pinged = _pings(pooled, monkeypatch)
    first = _backend(pooled)
    assert [_backend(pooled) for _ in range(3)] == [first] * 3
    assert pinged == []


def test_a_connection_that_waited_is_pinged_and_replaced_if_it_is_gone(
    pooled: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pinged = _pings(pooled, monkeypatch)
    gone = _backend(pooled)
    with db.make_engine(pooled.url.render_as_string(hide_password=False)).connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": gone})
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)  # every connection has waited long enough
    replaced = _backend(pooled)
    assert replaced != gone
    assert len(pinged) == 1
    assert _backend(pooled) == replaced  # the new one is pinged too, and works
    assert len(pinged) == 2


def test_a_warmed_pool_holds_its_connections_each_having_planned_every_table(
    pooled: Engine,
) -> None:
    sent: list[str] = []
    event.listen(pooled, "before_cursor_execute", lambda *args: sent.append(args[2]))
    assert db.warm_pool(pooled, 3) == 3
    assert pooled.pool.checkedin() == 3  # type: ignore[attr-defined]
    assert len(sent) == 3
    named = {t.name for t in Base.metadata.sorted_tables if f"FROM {t.name}" in sent[0]}
    assert named == set(Base.metadata.tables)
