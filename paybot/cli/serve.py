"""`paybot serve`: the Slack app, over HTTP (gunicorn) or Socket Mode, with the scheduled jobs."""

import os
import re
import shutil
import signal
import threading
from typing import TYPE_CHECKING, Annotated

import typer

from paybot.cli import context as ctx

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import SecretStr

    from paybot.app import PaybotApp
    from paybot.config import SettingsFields
    from paybot.container import Container

# prometheus-client keeps each process's metrics in files here, so /metrics adds up the workers.
METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def serve_command(
    port: Annotated[
        int | None,
        typer.Option(metavar="PORT", help="Listen on PAYBOT_BIND's host at this port."),
    ] = None,
    bind: Annotated[
        str | None,
        typer.Option(
            metavar="HOST:PORT",
            help="Where to listen (default PAYBOT_BIND: 127.0.0.1:3000).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="N",
            help="HTTP: worker processes (default PAYBOT_WORKERS, else one per CPU).",
        ),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(min=1, metavar="N", help="HTTP: threads per worker (default PAYBOT_THREADS)."),
    ] = None,
    jobs: Annotated[
        bool, typer.Option("--jobs/--no-jobs", help="Run the scheduled jobs too.")
    ] = True,
) -> None:
    """Run the Slack app with the scheduled jobs: Socket Mode if SLACK_APP_TOKEN is set, else
    HTTP (POST /slack/events, GET /healthz, /readyz, /metrics) with requests checked against
    SLACK_SIGNING_SECRET."""
    import tempfile  # here: it loads `random`, which no other command needs

    # Before anything imports prometheus_client: it reads this once, at import.
    made_dir = None
    named_dir = os.environ.get(METRICS_DIR)
    if named_dir:
        with ctx.user_errors():
            _empty_metrics_dir(named_dir)
    else:
        made_dir = os.environ[METRICS_DIR] = tempfile.mkdtemp(prefix="paybot-metrics-")
    started_in = os.getpid()
    try:
        _serve(port=port, bind=bind, workers=workers, threads=threads, jobs=jobs)
    finally:
        # gunicorn's workers leave through here too: only the process that made it removes it.
        if made_dir is not None and os.getpid() == started_in:
            shutil.rmtree(made_dir, ignore_errors=True)


def _serve(
    *, port: int | None, bind: str | None, workers: int | None, threads: int | None, jobs: bool
) -> None:
    from paybot.app import check_bot_token
    from paybot.core.errors import ValidationFailed
    from paybot.services.secrets import SecretBox

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
        # A missing or malformed key stops the start, not the first signer who enrols.
        SecretBox(_setting(settings.secret_key))
        ctx.uow()  # refuses an outdated schema before anything runs
        where, proxies = _where(settings, bind, port), ""
        if settings.slack_app_token is None:
            proxies = _trusted_proxies(settings.trusted_proxies)
            _check_listen(where)
        # Once, here, before any worker starts: a token Slack refuses would stop each of them.
        check_bot_token(token, settings.slack_api_url)

    from paybot.container import container
    from paybot.ops import logs

    logs.configure(settings.log_format, settings.log_level)
    parts = container()

    def make_app() -> "PaybotApp":
        from paybot.app import create_app

        # The schema was checked once above; checking it on every click would cost each
        # request a connection and a read of the migration scripts.
        return create_app(
            token=token,
            signing_secret=signing_secret,
            api_url=settings.slack_api_url,
            deps=parts.deps,
        )

    if settings.slack_app_token is not None:
        _socket_mode(make_app, parts, settings.slack_app_token.get_secret_value(), jobs=jobs)
        return

    from paybot.gunicorn_app import PaybotServer, ServeOptions

    options = ServeOptions(
        bind=where,
        workers=workers or settings.workers or os.cpu_count() or 1,
        threads=threads or settings.threads,
        timeout=settings.timeout,
        graceful_timeout=settings.graceful_timeout,
        jobs=jobs,
        log_format=settings.log_format,
        log_level=settings.log_level,
        trusted_proxies=proxies,
    )
    typer.echo(
        f"paybot serve: HTTP on {options.bind}, POST /slack/events, {options.workers} worker(s) "
        f"of {options.threads} thread(s), jobs {'on' if jobs else 'off'}."
    )
    PaybotServer(make_app, parts, options).run()


def _socket_mode(
    make_app: "Callable[[], PaybotApp]", parts: "Container", app_token: str, *, jobs: bool
) -> None:
    """One process: Bolt's Socket Mode client, and the jobs in background threads. SIGTERM
    stops it as gunicorn stops a worker: the work after the acknowledgements is finished."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackApiError

    from paybot.core.errors import ValidationFailed
    from paybot.serving import WARM_CONNECTIONS, background_jobs, warm_up_before_serving
    from paybot.store import db

    typer.echo(f"paybot serve: Socket Mode, jobs {'on' if jobs else 'off'}.")
    app = make_app()
    # Before it connects, as the HTTP server's master before it forks: the first clicks find
    # their statements compiled, and no request is handled while the warm-up hushes the logs.
    warm_up_before_serving(parts.engine, parts.deps)
    db.warm_pool(parts.engine, WARM_CONNECTIONS)
    handler = SocketModeHandler(app, app_token)
    with ctx.user_errors():
        try:
            handler.connect()  # type: ignore[no-untyped-call]
        except SlackApiError as error:
            said = error.response.get("error") or error.response.status_code
            raise ValidationFailed(
                {"SLACK_APP_TOKEN": f"Slack refused it ({said})"},
                f"Slack refused SLACK_APP_TOKEN ({said}): check the App-Level Token (xapp-…, "
                "scope connections:write) on the app's Basic Information page.",
            ) from None
    runner = background_jobs(parts) if jobs else None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        app.finish_lazy_work(parts.settings.graceful_timeout)
        if runner is not None:
            runner.stop()


# The files prometheus-client writes into PROMETHEUS_MULTIPROC_DIR, one per kind of metric and
# process: counter_PID.db, gauge_livesum_PID.db, histogram_PID.db, summary_PID.db.
_METRICS_FILE = re.compile(r"(?:counter|histogram|summary|gauge_[a-z]+)_[0-9]+\.db")


def _empty_metrics_dir(folder: str) -> None:
    """The metrics files an earlier run left in the folder the admin named are removed, as
    prometheus-client asks: else the counts of processes long gone (and of a pid used again)
    would add to /metrics. Nothing else in it is touched; another `*.db` there, which /metrics
    would read as a metrics file and fail on, stops the start."""
    from paybot.core.errors import ValidationFailed

    def refused(problem: str, advice: str = "") -> ValidationFailed:
        told = f"{METRICS_DIR}: {problem}" + (f"; {advice}" if advice else "") + "."
        return ValidationFailed({METRICS_DIR: problem}, told)

    if not os.path.isdir(folder) or not _writable(folder):
        raise refused(
            f"{folder} is not a folder paybot serve may write (the workers keep their metrics "
            "there)",
            "make it, or leave the variable unset for a folder of its own",
        )
    with os.scandir(folder) as entries:
        found = [entry for entry in entries if entry.name.endswith(".db")]
    for entry in found:
        if not (_METRICS_FILE.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)):
            raise refused(
                f"{entry.path} is no metrics file, and /metrics would read it as one",
                "give paybot serve a folder of its own",
            )
    for entry in found:
        try:
            os.unlink(entry.path)
        except FileNotFoundError:
            pass
        except OSError as error:
            said = f"could not remove the old metrics file {entry.path} ({error.strerror})"
            raise refused(said) from None


def _writable(folder: str) -> bool:
    """Whether a file can be made in the folder: its mode says yes to root on any filesystem,
    even one that takes no files (/proc, a read-only mount), so one is made and removed."""
    import tempfile

    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".paybot-write-check-")
    except OSError:
        return False
    os.close(handle)
    os.unlink(probe)
    return True


def _trusted_proxies(trusted: str) -> str:
    """PAYBOT_TRUSTED_PROXIES checked, as gunicorn's `forwarded_allow_ips` takes it."""
    from paybot.core.errors import ValidationFailed
    from paybot.serving import trusted_networks

    try:
        return ",".join(str(network) for network in trusted_networks(trusted))
    except ValueError as error:
        raise ValidationFailed({"PAYBOT_TRUSTED_PROXIES": str(error)}) from None


def _check_listen(where: str) -> None:
    """Refuses at once a HOST:PORT that cannot be listened on, which gunicorn would try five
    times, a second apart, before it gave up."""
    import errno
    import socket

    from gunicorn.util import is_ipv6, parse_address

    from paybot.core.errors import ValidationFailed

    try:
        address = parse_address(where)
    except RuntimeError as error:
        raise ValidationFailed({"PAYBOT_BIND": f"{where}: {error}"}) from None
    if not isinstance(address, tuple):
        return  # a Unix socket or a descriptor handed over: gunicorn's to open
    host, port = address
    with socket.socket(socket.AF_INET6 if is_ipv6(host) else socket.AF_INET) as probe:
        # As gunicorn binds: a port whose last connections are still closing (TIME_WAIT) is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                said = f"{where} is in use"
                raise ValidationFailed(
                    {"PAYBOT_BIND": said},
                    f"{said}: another process listens there (paybot serve already running?); "
                    "stop it, or choose another with --port or PAYBOT_BIND.",
                ) from None
            said = f"cannot listen on {where}: {error.strerror or error}"
            raise ValidationFailed({"PAYBOT_BIND": said}, said) from None


def _where(settings: "SettingsFields", bind: str | None, port: int | None) -> str:
    """HOST:PORT to listen on: --bind, else PAYBOT_BIND; --port replaces the port."""
    where = bind or settings.bind
    if port is None:
        return where
    host = where.rpartition(":")[0] if ":" in where else where
    return f"{host or '127.0.0.1'}:{port}"


def _setting(value: "SecretStr | None") -> str:
    """A secret setting's value; blank counts as not set."""
    return "" if value is None else value.get_secret_value().strip()
