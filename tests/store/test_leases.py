"""The scheduler's lease: one holder at a time per database, a dead holder replaced, and who
leads visible to anyone; on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from paybot.store import leases
from paybot.store.leases import Lease, current_leader, lease_for
from tests.builders import NOW


@pytest.fixture
def candidates(engine: Engine) -> Iterator[tuple[Lease, Lease]]:
    first, second = lease_for(engine, "host:1:a"), lease_for(engine, "host:2:b")
    yield first, second
    first.release()
    second.release()


def test_of_two_candidates_one_wins_until_it_lets_go(candidates: tuple[Lease, Lease]) -> None:
    first, second = candidates
    assert first.try_acquire(NOW)
    assert not second.try_acquire(NOW)
    assert first.renew(NOW + timedelta(seconds=15))
    assert not second.renew(NOW + timedelta(seconds=15))  # never held it
    assert not second.try_acquire(NOW + timedelta(seconds=15))

    first.release()
    assert second.try_acquire(NOW + timedelta(seconds=20))
    assert not first.try_acquire(NOW + timedelta(seconds=20))
    assert not first.renew(NOW + timedelta(seconds=20))


def test_current_leader_is_the_holder_while_it_renews(
    engine: Engine, candidates: tuple[Lease, Lease]
) -> None:
    first, _ = candidates
    assert current_leader(engine, NOW) is None
    first.try_acquire(NOW)
    leader = current_leader(engine, NOW + timedelta(seconds=20))
    assert leader is not None and (leader.holder, leader.renewed_at) == ("host:1:a", NOW)

    first.renew(NOW + timedelta(seconds=15))
    leader = current_leader(engine, NOW + timedelta(seconds=44))
    assert leader is not None and leader.renewed_at == NOW + timedelta(seconds=15)
    # More than two renewal periods without a word: nobody is known to lead.
    quiet_since = NOW + timedelta(seconds=15)
    assert current_leader(engine, quiet_since + 2 * leases.RENEW_EVERY) is not None
    assert (
        current_leader(engine, quiet_since + 2 * leases.RENEW_EVERY + timedelta(seconds=1)) is None
    )

    first.release()
    assert current_leader(engine, NOW + timedelta(seconds=16)) is None


def test_a_new_holder_is_named_in_the_row(engine: Engine, candidates: tuple[Lease, Lease]) -> None:
    first, second = candidates
    first.try_acquire(NOW)
    first.release()
    second.try_acquire(NOW + timedelta(minutes=1))
    leader = current_leader(engine, NOW + timedelta(minutes=1))
    assert leader is not None and leader.holder == "host:2:b"


def taken_over(candidate: Lease, now: datetime = NOW) -> None:
    """Tries until `candidate` holds the lease, failing after a generous deadline."""
    give_up = time.monotonic() + 30
    while not candidate.try_acquire(now):
        if time.monotonic() > give_up:
            pytest.fail("the lease was not free after its holder went")
        time.sleep(0.05)


HOLDER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    from paybot.store import db
    from paybot.store.leases import lease_for

    lease = lease_for(db.make_engine(sys.argv[1]), "other-host:9:dead")
    print("held" if lease.try_acquire(datetime.now(UTC)) else "not held", flush=True)
    time.sleep(600)
    """
)


def test_a_holder_whose_process_died_is_replaced(
    engine: Engine, database_url: str, candidates: tuple[Lease, Lease]
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        first, _ = candidates
        assert not first.try_acquire(NOW)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    # The lock goes with the process (as soon as the server has ended its session); the row
    # names the dead holder until then.
    taken_over(first)
    leader = current_leader(engine, NOW)
    assert leader is not None and leader.holder == "host:1:a"


def test_a_holder_whose_connection_closed_loses_the_lease_and_is_replaced(
    engine: Engine, database_url: str, candidates: tuple[Lease, Lease]
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("the lease's own connection: PostgreSQL only")
    first, second = candidates
    assert first.try_acquire(NOW)
    # The server ends the holder's session (as it does when keepalives find its host gone).
    with engine.connect() as connection:
        ended = (
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND classid = :a AND objid = :b AND objsubid = 2 "
                    "AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"
                ),
                {"a": leases.ADVISORY_KEYS[0], "b": leases.ADVISORY_KEYS[1]},
            )
            .scalars()
            .all()
        )
    assert ended == [True]
    taken_over(second, NOW + timedelta(seconds=1))
    assert not first.renew(NOW + timedelta(seconds=15))  # it stops at once
    assert not first.try_acquire(NOW + timedelta(seconds=15))
    leader = current_leader(engine, NOW + timedelta(seconds=15))
    assert leader is not None and leader.holder == "host:2:b"
