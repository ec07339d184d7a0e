"""PostgreSQL's connection pool: a pooled connection the database ended is noticed before it is
used (SQLAlchemy's pre-ping) and replaced, so a request after a database restart works; a warmed
pool holds its connections."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from paybot.store import db


@pytest.fixture
def pooled(postgres_database: str) -> Iterator[Engine]:
    engine = db.make_engine(postgres_database)
    yield engine
    engine.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_pooled_connection_the_database_ended_is_replaced_before_it_is_used(
    pooled: Engine,
) -> None:
    gone = _backend(pooled)
    with db.make_engine(pooled.url.render_as_string(hide_password=False)).connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": gone})
    replaced = _backend(pooled)
    assert replaced != gone
    assert _backend(pooled) == replaced


def test_a_warmed_pool_holds_its_connections(pooled: Engine) -> None:
    assert db.warm_pool(pooled, 3) == 3
    assert pooled.pool.checkedin() == 3  # type: ignore[attr-defined]
