"""GET /healthz: 200 when the database answers, its schema is current and a scheduler holds the
lease; 503 naming what is wrong otherwise, quickly, and never with a stack trace."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, text

from paybot.config import Settings
from paybot.container import Container
from paybot.ops.health import Health
from paybot.ops.web import with_ops
from paybot.store.db import alembic_config, head_revision
from paybot.store.leases import NAME
from paybot.store.models import SchedulerLease
from tests.ops.conftest import PATH, get
from tests.slack.conftest import Clock


def slack_app(environ: object, start_response: object) -> list[bytes]:
    """Stands for the Slack endpoint: says who answered."""
    start_response("200 OK", [("Content-Type", "text/plain")])  # type: ignore[operator]
    return [b"slack"]


def healthz(parts: Container, route: str = "/healthz") -> tuple[int, dict[str, object]]:
    status, headers, body = get(with_ops(slack_app, parts=parts, path=PATH), route)
    assert headers["Content-Type"] == "application/json"
    assert b"Traceback" not in body
    return int(status.split()[0]), json.loads(body)


def lead(engine: Engine, renewed_at: object) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(SchedulerLease).values(
                name=NAME, holder="host:1:abc", acquired_at=renewed_at, renewed_at=renewed_at
            )
        )


def test_healthy_with_current_schema_and_a_fresh_leader(
    parts: Container, engine: Engine, clock: Clock
) -> None:
    lead(engine, clock.at - timedelta(seconds=5))
    status, body = healthz(parts)
    assert (status, body) == (
        200,
        {"status": "ok", "checks": {"database": "ok", "schema": "ok", "scheduler": "ok"}},
    )


def test_no_leader_is_unavailable_and_says_so(parts: Container) -> None:
    status, body = healthz(parts)
    assert status == 503
    assert body["status"] == "unavailable"
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["database"] == checks["schema"] == "ok"
    assert "no scheduler holds the lease" in checks["scheduler"]


def test_ready_without_a_scheduler_while_the_jobs_change_hands(parts: Container) -> None:
    """A load balancer asks /readyz: no instance is dropped because the jobs run nowhere."""
    assert healthz(parts, "/readyz") == (
        200,
        {"status": "ok", "checks": {"database": "ok", "schema": "ok"}},
    )


def test_a_leader_gone_quiet_is_no_leader(parts: Container, engine: Engine, clock: Clock) -> None:
    lead(engine, clock.at - timedelta(minutes=10))
    status, body = healthz(parts)
    assert status == 503
    assert "no scheduler" in body["checks"]["scheduler"]  # type: ignore[index]


@pytest.fixture
def outdated(engine: Engine) -> Iterator[str]:
    """The database one migration behind (put back afterwards: PostgreSQL's is shared)."""
    head = head_revision(engine)
    assert head is not None
    previous = ScriptDirectory.from_config(alembic_config(engine)).get_revision(head).down_revision
    assert isinstance(previous, str)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
    yield previous
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})


def test_an_outdated_schema_is_unavailable_and_names_both_revisions(
    parts: Container, engine: Engine, clock: Clock, outdated: str
) -> None:
    lead(engine, clock.at)
    status, body = healthz(parts)
    assert status == 503
    schema = body["checks"]["schema"]  # type: ignore[index]
    assert outdated in schema and str(head_revision(engine)) in schema
    assert "paybot db upgrade" in schema
    assert body["checks"]["scheduler"] == "ok"  # type: ignore[index]


def test_not_ready_with_an_outdated_schema(parts: Container, outdated: str) -> None:
    status, body = healthz(parts, "/readyz")
    assert status == 503
    checks = body["checks"]
    assert isinstance(checks, dict) and "run `paybot db upgrade`" in checks["schema"]
    assert "scheduler" not in checks


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_an_unreachable_database_is_unavailable_without_details(
    backend: str, clock: Clock, tmp_path: Path
) -> None:
    url = {
        "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/test",  # nothing on port 1
        "sqlite": f"sqlite:///{tmp_path}",  # a folder, not a database file
    }[backend]
    parts = Container(Settings(database_url=url), clock=clock.now)
    status, body = healthz(parts)
    assert status == 503
    assert body["checks"] == {
        "database": "unreachable",
        "schema": "not checked: the database is not reachable",
        "scheduler": "not checked: the database is not reachable",
    }
    assert "127.0.0.1" not in json.dumps(body) and str(tmp_path) not in json.dumps(body)
    parts.engine.dispose()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that takes connections and never says a word (a database host that hangs)."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=16)
    yield listener.getsockname()[1]
    listener.close()


def test_a_database_that_never_answers_gives_a_503_not_a_hang(
    silent_server: int, clock: Clock
) -> None:
    parts = Container(
        Settings(database_url=f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/test"),
        clock=clock.now,
    )
    health = Health(parts.engine, parts.clock, timeout=0.2)
    first, second = health.probe(), health.probe()  # the second shares the first's wait
    for report in (first, second):
        assert report.status == 503
        assert report.checks["database"] == "no answer within 0.2 s"


def test_the_newest_revision_is_read_once(
    parts: Container, engine: Engine, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead(engine, clock.at)
    app = with_ops(slack_app, parts=parts, path=PATH)
    reads: list[object] = []
    monkeypatch.setattr(ScriptDirectory, "from_config", lambda *a: reads.append(a))
    for _ in range(3):
        assert get(app, "/healthz")[0] == "200 OK"
    assert reads == []


def test_other_requests_go_to_the_slack_app(parts: Container) -> None:
    app = with_ops(slack_app, parts=parts, path=PATH)
    assert get(app, "/anything")[2] == b"slack"
    assert get(app, "/healthz", method="POST")[0].startswith("405")


def test_a_probe_creates_no_sqlite_file(tmp_path: Path, clock: Clock) -> None:
    missing = tmp_path / "missing.db"
    parts = Container(Settings(database_url=f"sqlite:///{missing}"), clock=clock.now)
    status, body = healthz(parts)
    assert status == 503
    assert body["checks"]["database"] == "no database file"  # type: ignore[index]
    assert not missing.exists()
    parts.engine.dispose()
