"""`paybot serve`: the Slack app, over HTTP or Socket Mode, with the scheduled jobs."""

from __future__ import annotations

import logging
import os
from functools import partial
from typing import Annotated

import typer
from pydantic import SecretStr

from paybot.cli import context as ctx
from paybot.core.errors import ValidationFailed
from paybot.store import db

# Database connections each `paybot serve` process opens at start: about the requests it answers
# at once when twenty people click together.
WARM_CONNECTIONS = 10


def serve_command(
    port: Annotated[int, typer.Option(help="HTTP port (POST /slack/events).")] = 3000,
    workers: Annotated[
        int | None,
        typer.Option(help="HTTP mode: processes answering Slack (default: one per CPU)."),
    ] = None,
) -> None:
    """Run the Slack app with the scheduled jobs: Socket Mode if SLACK_APP_TOKEN is set,
    else HTTP with requests checked against SLACK_SIGNING_SECRET."""

    from apscheduler.schedulers.background import BackgroundScheduler

    from paybot.app import PaybotApp, check_bot_token, create_app
    from paybot.handlers.deps import Deps
    from paybot.jobs import scheduler
    from paybot.store.uow import UnitOfWork

    # Whatever stops the start is said in one line: the log starts once the settings hold.
    with ctx.user_errors():
        settings = ctx.settings()
        token = _setting(settings.slack_bot_token)
        if not token:
            raise ValidationFailed({"SLACK_BOT_TOKEN": "set the app's bot token (xoxb-...)"})
        signing_secret = _setting(settings.slack_signing_secret)
        if settings.slack_app_token is None and not signing_secret:
            raise ValidationFailed(
                {"SLACK_SIGNING_SECRET": "set it for HTTP mode, or SLACK_APP_TOKEN for Socket Mode"}
            )
        ctx.uow()  # refuses an outdated schema before anything runs
        # Once, here, before any worker starts: a token Slack refuses would stop each of them.
        check_bot_token(token, settings.slack_api_url)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", force=True
    )

    def make_app() -> PaybotApp:
        # The schema was checked once above; checking it on every click would cost each
        # request a connection and a read of the migration scripts.
        db.warm_pool(ctx.engine(), WARM_CONNECTIONS)
        return create_app(
            token=token,
            signing_secret=signing_secret,
            api_url=settings.slack_api_url,
            deps=Deps(
                uow=partial(UnitOfWork, ctx.engine()),
                box=ctx.secret_box,
                zone=settings.zone,
                gateways=ctx.gateway_for,
            ),
        )

    jobs = scheduler(BackgroundScheduler)
    try:
        if settings.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            typer.echo("paybot serve: Socket Mode.")
            jobs.start()
            handler = SocketModeHandler(make_app(), settings.slack_app_token.get_secret_value())
            handler.start()  # type: ignore[no-untyped-call]
        else:
            from paybot.serving import serve_in_processes

            count = workers or os.cpu_count() or 1
            typer.echo(
                f"paybot serve: HTTP on port {port}, POST /slack/events, {count} process(es)."
            )
            # Each process opens its own database connections.
            ctx.engine().dispose(close=False)
            serve_in_processes(
                make_app, "0.0.0.0", port, workers=count, in_parent=jobs.start
            )  # Slack calls in from outside
    finally:
        if jobs.running:
            jobs.shutdown(wait=False)


def _setting(value: SecretStr | None) -> str:
    """A secret setting's value; blank counts as not set."""
    return "" if value is None else value.get_secret_value().strip()
