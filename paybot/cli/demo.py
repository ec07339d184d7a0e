"""`paybot demo`: the whole product in a browser, with no Slack workspace and no bank."""

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer


def demo_command(
    port: Annotated[
        int, typer.Option(min=0, max=65535, metavar="PORT", help="Port on 127.0.0.1 (0: any).")
    ] = 3000,
    folder: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            metavar="DIR",
            file_okay=False,
            help="Folder for the demo's database and files (default: a new temporary folder). "
            "It must be empty, new, or an earlier demo's (which is cleared).",
        ),
    ] = None,
    language: Annotated[
        str, typer.Option(metavar="LANGUAGE", help="The demo company's language: en or nb.")
    ] = "en",
) -> None:
    """Run a local Slack-like workspace with paybot's own Slack app behind it, a demo company,
    and a simulated bank; open the printed URL. Ctrl-C stops everything."""
    import logging

    from paybot.core.company import Language
    from paybot.demo.server import Demo, FolderRefused, default_folder

    if language not in {"en", "nb"}:
        raise typer.BadParameter("en or nb", param_hint="--language")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    where = folder or default_folder()
    demo = Demo(where, port=port, language=Language(language))
    try:
        url = demo.start()
    except FolderRefused as error:
        typer.echo(f"paybot demo: {error}", err=True)
        raise typer.Exit(2) from None
    except OSError as error:
        typer.echo(f"paybot demo: cannot listen on 127.0.0.1:{port}: {error.strerror}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"paybot demo: the database and files are in {demo.folder}")
    typer.echo(f"paybot demo: open {url}   (Ctrl-C stops it)")
    stop = threading.Event()
    for sign in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sign, lambda *_: stop.set())
    stop.wait()
    typer.echo("paybot demo: stopping…")
    demo.stop()
