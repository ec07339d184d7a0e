"""Alembic environment: on the connection paybot.store.db hands in, or the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from paybot.store import tables

config = context.config
# The tables as paybot declares them (the ORM's classes are mapped onto these same tables).
target_metadata = tables.metadata


def _ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Tables paybot does not model (the scheduler's job store) are not its migrations' business;
    nor are the indexes only its migrations make (tables.MIGRATION_ONLY_INDEXES)."""
    if type_ == "index" and name in tables.MIGRATION_ONLY_INDEXES:
        return False
    return not (type_ == "table" and reflected and compare_to is None)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_ours,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///paybot.db")
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
