"""`paybot returns`: files from the bank (status reports, notifications) and missing answers."""

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from paybot.cli import context as ctx

if TYPE_CHECKING:
    from paybot.services import incoming
    from paybot.services.returns import IngestResult

returns_app = ctx.group("Files from the bank: status reports, notifications.")


@returns_app.command("ingest")
def returns_ingest(
    files: Annotated[
        list[Path], typer.Argument(exists=True, dir_okay=False, metavar="FILE", help="Files.")
    ],
) -> None:
    """Apply pain.002 status reports and camt.054 notifications (each file once)."""
    from paybot.services import returns

    for file in files:
        with ctx.user_errors():
            result = returns.ingest(
                ctx.uow(), name=file.name, data=file.read_bytes(), now=ctx.now()
            )  # by hand: the file's own account or batch says whose it is
        _report(result)


@returns_app.command("poll")
def returns_poll(company: ctx.OnlyCompany = None) -> None:
    """Fetch and apply what the bank has left in the inbox of each account."""
    from paybot.services import returns

    with ctx.user_errors():
        results = returns.poll(ctx.uow(), ctx.gateway_for, company_org_no=company, now=ctx.now())
    for result in results:
        _report(result)
    if not results:
        typer.echo("No files from the bank.")
    if any(result.error for result in results):
        raise typer.Exit(1)  # something was left in an inbox: said above


@returns_app.command("check-missing")
def returns_check_missing(company: ctx.OnlyCompany = None, now: ctx.NowOption = None) -> None:
    """Mark payments with no answer from the bank for too long as Failed (no return)."""
    from paybot.services import returns

    with ctx.user_errors():
        late = returns.check_missing(
            ctx.uow(),
            company_org_no=company,
            now=ctx.when(now),
            after=timedelta(hours=ctx.settings().no_return_hours),
            zone=ctx.settings().zone,
        )
    if late:
        ids = ", ".join(str(i) for i in late)
        typer.echo(
            f"No answer from the bank for payment(s) {ids}: now Failed. Check the netbank, then "
            "record what it shows: paybot payments resolve-missing ID --as UID "
            "--money-left|--money-not-left"
        )
    else:
        typer.echo("Every payment in Processing is within its time.")


def _report(result: "IngestResult") -> None:
    if result.error and result.kind == "unread":
        typer.echo(f"{result.name}: could not be read: {result.error}", err=True)
        return
    if result.error:
        typer.echo(f"{result.name}: not taken, left in the inbox: {result.error}", err=True)
        return
    if result.incoming is not None and result.kind != "camt.054":  # payments in only
        typer.echo(f"{result.name} ({result.kind}): {_incoming_report(result.incoming)}.")
        _archive_report(result)
        return
    if result.already_applied:
        typer.echo(f"{result.name}: applied before; nothing changed.")
        _incoming_line(result)
        return
    parts = [
        f"{len(result.paid)} paid",
        f"{len(result.failed)} failed",
        f"{result.updated} status update(s)",
    ]
    if result.returned:
        parts.append(f"{len(result.returned)} returned")
    if result.held:
        parts.append(f"{len(result.held)} on hold")
    if result.unchanged:
        parts.append(f"{result.unchanged} moving nothing (about earlier sends, or said before)")
    typer.echo(f"{result.name} ({result.kind}): " + ", ".join(parts) + ".")
    _incoming_line(result)
    if result.unmatched:
        typer.echo(f"  References that match no payment: {', '.join(result.unmatched)}", err=True)
    if result.foreign:
        typer.echo(f"  Not applied (not this file's): {', '.join(result.foreign)}", err=True)
    for warning in result.warnings:
        typer.echo(f"  ALARM: {warning}", err=True)
    _archive_report(result)


def _archive_report(result: "IngestResult") -> None:
    if result.archive_error:
        typer.echo(f"  Taken, but left in the inbox: {result.archive_error}", err=True)


def _incoming_line(result: "IngestResult") -> None:
    """What the incoming side did with a camt.054's payments in (or that it did not take them)."""
    if result.incoming is not None:
        typer.echo(f"  Incoming: {_incoming_report(result.incoming)}.")
    elif result.incoming_entries:
        typer.echo(
            f"  {result.incoming_entries} incoming entr(y/ies) not taken as payments in: the "
            "account has no incoming agreement here (`paybot incoming ingest FILE` takes them "
            "for one that has)."
        )


def _incoming_report(taken: "incoming.IngestResult") -> str:
    """ "3 payment(s) in: 1 matched (1250.00), 2 unmatched (350.00); 1 voucher(s)"."""
    if taken.taken_already:
        return "payments in taken before; nothing changed"
    if not taken.payments and not taken.seen_before:
        return "no payments in"
    groups = [
        f"{count} {status} ({taken.amounts.get(status, 0)})"
        for status, count in taken.counts.items()
        if count
    ]
    text = f"{taken.payments} payment(s) in" + (": " + ", ".join(groups) if groups else "")
    if taken.seen_before:
        text += f"; {taken.seen_before} seen in an earlier file, skipped"
    return f"{text}; {taken.vouchers} voucher(s)"
