"""Engines, schema version checks and migrations.

Every command checks the schema (`ensure_current`) without alembic, whose migration scripts take
longer to load than most commands take to run: the newest revision is read from the scripts'
file names, the database's from alembic's version table. `db upgrade` runs alembic itself.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import NullPool

from paybot.core.errors import DatabaseUnavailable, SchemaOutdated

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "Engine",
    "alembic_config",
    "current_revision",
    "describe",
    "ensure_current",
    "head_revision",
    "make_engine",
    "newest_revision",
    "upgrade",
    "warm_pool",
]

# alembic's table of the revision a database is at (its default name; env.py keeps it).
VERSION_TABLE = "alembic_version"
# A migration script's name (alembic.ini's file_template): 2026_12_02_2209-0006_bank_polls.py.
# Revisions are numbered in order, each after the one before (a test holds this to alembic's head).
_SCRIPT_NAME = re.compile(r"\d{4}_\d{2}_\d{2}_\d{4}-(?P<revision>\d+)_\w*\.py")


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets foreign keys and a busy timeout: threads wait."""
    try:
        return _make_engine(url)
    except (ArgumentError, NoSuchModuleError) as exc:
        hint = ""
        if url.startswith("postgres://") or url.startswith("postgresql://"):
            hint = " For PostgreSQL write postgresql+psycopg://user@host:5432/dbname."
        raise DatabaseUnavailable(
            f"PAYBOT_DATABASE_URL is not a database URL paybot can use ({exc}).{hint} "
            "The default is sqlite:///paybot.db."
        ) from None
    except ModuleNotFoundError as exc:
        # The PostgreSQL driver is the optional extra `postgres`.
        raise DatabaseUnavailable(
            f"PAYBOT_DATABASE_URL needs the database driver {exc.name!r}, which is not "
            "installed: pip install 'paybot[postgres]' (from a clone: pip install -c "
            "constraints.txt -e '.[postgres]')."
        ) from None


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30}, poolclass=NullPool)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite opens transactions lazily; BEGIN IMMEDIATE gives writers a proper lock.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    # `paybot serve` answers Slack from a thread per request (20 people clicking at once), next to
    # Bolt's lazy-listener workers and the scheduler's jobs: keep a connection for each of those
    # rather than make Slack's 3 s wait in the pool (SQLAlchemy's default is 5 + 10 overflow).
    return create_engine(url, pool_pre_ping=True, pool_size=20, max_overflow=10)


def warm_pool(engine: Engine, connections: int) -> int:
    """Opens up to `connections` connections now and leaves them in the pool, so the first burst
    of requests after a start does not wait while PostgreSQL starts a backend for each. Returns
    how many were opened (none for SQLite, which opens a file per use)."""
    if isinstance(engine.pool, NullPool):
        return 0
    opened = [engine.connect() for _ in range(connections)]
    for connection in opened:
        connection.close()
    return len(opened)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("paybot.store") / "migrations"))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def head_revision(engine: Engine) -> str | None:
    """The newest revision as alembic finds it, from the migration scripts themselves."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def newest_revision() -> str | None:
    """The newest revision from the migration scripts' file names, quickly: what every command
    checks the database against (`head_revision` loads the scripts through alembic)."""
    versions = files("paybot.store") / "migrations" / "versions"
    found = [_SCRIPT_NAME.fullmatch(entry.name) for entry in versions.iterdir()]
    revisions = [match["revision"] for match in found if match]
    return max(revisions, key=int, default=None)


def describe(engine: Engine) -> str:
    """Where the database is, for messages: a file path, or the URL without its password."""
    if engine.url.get_backend_name() == "sqlite":
        return str(Path(engine.url.database or "").resolve())
    return engine.url.render_as_string(hide_password=True)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (alembic's version table); None before the first upgrade."""
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(VERSION_TABLE):
                return None
            rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise DatabaseUnavailable(f"Cannot use the database {describe(engine)}: {reason}") from None
    # One row on paybot's single line of migrations; several would be branches, never current.
    return ",".join(sorted(row[0] for row in rows)) or None


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Bring the database to the newest schema; returns (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, current_revision(engine)


def ensure_current(engine: Engine) -> None:
    """Refuse to work on an outdated schema, saying how to fix it."""
    where = describe(engine)
    if engine.url.get_backend_name() == "sqlite" and not Path(where).exists():
        # Connecting would create an empty file; say where paybot looked instead.
        raise SchemaOutdated(
            f"There is no paybot database at {where}. Run `paybot db upgrade` to create it, "
            "or set PAYBOT_DATABASE_URL to the one you mean."
        )
    current, head = current_revision(engine), newest_revision()
    if current != head:
        state = "has no paybot schema yet" if current is None else f"is at schema {current}"
        raise SchemaOutdated(
            f"The database {where} {state}; the newest is {head}. Run `paybot db upgrade` first."
        )
