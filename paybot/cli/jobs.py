"""`paybot jobs`: the scheduled jobs in a process of their own."""

from typing import Annotated

import typer

from paybot.cli import context as ctx


def jobs_command(
    status: Annotated[
        bool,
        typer.Option(
            "--status",
            help="Say which process runs the scheduled jobs (host:pid:id of the lease's holder) "
            "and when it last renewed the lease, then exit; exit 1 when none does.",
        ),
    ] = False,
) -> None:
    """Run the scheduled jobs (send what is due, read returns, notice missing returns, post to
    Slack) while this process holds the database's scheduler lease; SIGTERM or Ctrl-C stops."""
    with ctx.user_errors():
        settings = ctx.settings()
        ctx.uow()  # refuses an outdated schema before anything runs
    if status:
        _status()
        return
    from paybot.container import container
    from paybot.jobs import run_forever
    from paybot.ops import logs

    logs.configure(settings.log_format, settings.log_level)
    typer.echo(
        "paybot jobs: runs the scheduled jobs while no other paybot process does; "
        "SIGTERM or Ctrl-C stops."
    )
    run_forever(container())


def _status() -> None:
    from paybot.store.leases import current_leader

    leader = current_leader(ctx.engine(), ctx.now())
    if leader is None:
        typer.echo(
            "No process runs the scheduled jobs: none holds the lease (start `paybot jobs`, or "
            "`paybot serve` with its jobs).",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(
        f"The scheduled jobs run in {leader.holder} (host:pid:id); it renewed the lease at "
        f"{ctx.local(leader.renewed_at)}."
    )
