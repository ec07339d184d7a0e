"""`paybot jobs`: the scheduled jobs in a process of their own."""

from __future__ import annotations

import logging

import typer

from paybot.cli import context as ctx


def jobs_command() -> None:
    """Run the scheduled jobs (send what is due, read returns, notice missing returns)."""
    from paybot.jobs import scheduler

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", force=True
    )
    with ctx.user_errors():
        ctx.uow()  # refuses an outdated schema before anything runs
        typer.echo("paybot jobs: sending what is due every minute; Ctrl-C stops.")
        scheduler().start()
