"""`paybot jobs`: the scheduled jobs in a process of their own."""

import typer

from paybot.cli import context as ctx


def jobs_command() -> None:
    """Run the scheduled jobs (send what is due, read returns, notice missing returns, post to
    Slack) while this process holds the database's scheduler lease; SIGTERM or Ctrl-C stops."""
    from paybot.container import container
    from paybot.jobs import run_forever
    from paybot.ops import logs

    with ctx.user_errors():
        settings = ctx.settings()
        ctx.uow()  # refuses an outdated schema before anything runs
    logs.configure(settings.log_format, settings.log_level)
    typer.echo(
        "paybot jobs: runs the scheduled jobs while no other paybot process does; "
        "SIGTERM or Ctrl-C stops."
    )
    run_forever(container())
