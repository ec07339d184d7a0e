"""What GET /healthz asks the database: does it answer, and at which schema revision is it."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text


def schema_revision(engine: Engine, *, timeout_ms: int) -> str | None:
    """The database's Alembic revision (None: no paybot schema), read with a cheap SELECT first;
    on PostgreSQL no statement runs longer than `timeout_ms`. Raises what the driver raises."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SET LOCAL statement_timeout = {int(timeout_ms)}"))
        connection.execute(text("SELECT 1"))
        return MigrationContext.configure(connection).get_current_revision()
