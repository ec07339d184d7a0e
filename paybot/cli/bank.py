"""`paybot bank`, `paybot dispatch` and `paybot returns`: files to the bank and back."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from paybot.bank.gateway import GatewayKind
from paybot.cli import context as ctx
from paybot.core.bankfiles.model import Pain001Version
from paybot.core.errors import ValidationFailed
from paybot.core.money import AmountError, parse_amount
from paybot.services import companies, dispatching, returns
from paybot.services.returns import IngestResult

bank_app = typer.Typer(
    help="Bank accounts and how their files reach the bank.", no_args_is_help=True
)
returns_app = typer.Typer(
    help="Files from the bank: status reports, notifications.", no_args_is_help=True
)

CompanyOption = Annotated[str, typer.Option(help="The company's organisation number.")]
NowOption = Annotated[
    str | None,
    typer.Option("--now", help="Act as if it were this time (ISO 8601), for catching up."),
]


@bank_app.command("set")
def bank_set(
    company: CompanyOption,
    account: Annotated[str, typer.Option(help="The company's bank account.")],
    gateway: Annotated[GatewayKind | None, typer.Option(help="How files reach the bank.")] = None,
    outbox: Annotated[Path | None, typer.Option(help="Folder for files to the bank.")] = None,
    inbox: Annotated[Path | None, typer.Option(help="Folder for files from the bank.")] = None,
    file_format: Annotated[
        Pain001Version | None, typer.Option("--format", help="pain.001 version the bank takes.")
    ] = None,
    outgoing: Annotated[
        bool | None, typer.Option("--outgoing/--no-outgoing", help="Agreement for payments out.")
    ] = None,
    sftp_host: Annotated[str | None, typer.Option(help="The bank's SFTP server.")] = None,
    sftp_port: Annotated[int | None, typer.Option(help="Its port (22).")] = None,
    sftp_user: Annotated[str | None, typer.Option(help="User name at the bank.")] = None,
    sftp_key: Annotated[
        Path | None, typer.Option(help="Private key file (Ed25519 or RSA).")
    ] = None,
    sftp_host_key: Annotated[
        str | None, typer.Option(help="The server's public key, pinned: 'ssh-ed25519 AAAA...'.")
    ] = None,
    sandbox_kid_only: Annotated[
        list[str] | None, typer.Option(help="Sandbox: a payee account that only takes KID.")
    ] = None,
    sandbox_balance: Annotated[
        str | None, typer.Option(help="Sandbox: money on the account; more is refused (AM04).")
    ] = None,
    sandbox_silent: Annotated[
        list[str] | None, typer.Option(help="Sandbox: a payee account the bank never answers for.")
    ] = None,
    sandbox_unreachable: Annotated[
        bool | None,
        typer.Option(
            "--sandbox-unreachable/--sandbox-reachable",
            help="Sandbox: every upload fails as if the connection were refused (nothing sent).",
        ),
    ] = None,
    sandbox_cut_off: Annotated[
        bool | None,
        typer.Option(
            "--sandbox-cut-off/--no-sandbox-cut-off",
            help="Sandbox: the bank takes and answers each file, but the upload then fails as if "
            "the connection dropped: paybot cannot know the file arrived.",
        ),
    ] = None,
) -> None:
    """Set how an account reaches its bank: a folder pair, SFTP, or the simulated bank."""
    values: dict[str, Any] = {
        key: value
        for key, value in {
            "gateway": gateway.value if gateway else None,
            "outbox": str(outbox.resolve()) if outbox else None,
            "inbox": str(inbox.resolve()) if inbox else None,
            "file_format": file_format.value if file_format else None,
            "outgoing": outgoing,
            "sftp_host": sftp_host,
            "sftp_port": sftp_port,
            "sftp_user": sftp_user,
            "sftp_key_path": str(sftp_key.resolve()) if sftp_key else None,
            "sftp_host_key": sftp_host_key,
        }.items()
        if value is not None
    }
    sandbox = {
        key: value
        for key, value in {
            "kid_only_accounts": sandbox_kid_only,
            "balance": None if sandbox_balance is None else _balance(sandbox_balance),
            "silent_accounts": sandbox_silent,
            "unreachable": sandbox_unreachable,
            "cut_off": sandbox_cut_off,
        }.items()
        if value is not None
    }
    if sandbox:
        values["sandbox"] = sandbox
    with ctx.user_errors():
        if gateway is GatewayKind.SFTP and not (
            sftp_host and sftp_user and sftp_key and sftp_host_key
        ):
            raise ValidationFailed(
                {"sftp": "give --sftp-host, --sftp-user, --sftp-key and --sftp-host-key"}
            )
        shown = companies.set_bank_account(
            ctx.uow(), org_no=company, account=account, values=values, now=ctx.now()
        )
    typer.echo(
        f"{shown['account']}: {shown['gateway']}, {shown['file_format']}, outgoing "
        f"{'yes' if shown['outgoing'] else 'no'}; outbox {shown['outbox'] or '(default)'}, "
        f"inbox {shown['inbox'] or '(default)'}."
    )
    if shown["gateway"] == "sandbox" and shown["sandbox"]:
        rules = "; ".join(f"{key}: {value}" for key, value in shown["sandbox"].items())
        typer.echo(f"Sandbox bank rules: {rules}.")


def _balance(text: str) -> str:
    try:
        return str(parse_amount(text))
    except AmountError as exc:
        raise typer.BadParameter(str(exc), param_hint="--sandbox-balance") from exc


def dispatch_command(
    company: Annotated[str | None, typer.Option(help="Only this company.")] = None,
    now: NowOption = None,
) -> None:
    """Send what is due to the bank now (the scheduler does this by itself)."""
    with ctx.user_errors():
        result = dispatching.dispatch(
            ctx.uow(),
            ctx.gateway_for,
            company_org_no=company,
            now=_when(now),
            options=ctx.dispatch_options(),
        )
    for batch in result.sent:
        totals = ", ".join(f"{amount:.2f} {currency}" for currency, amount in batch.totals.items())
        typer.echo(
            f"Sent batch {batch.number} of {batch.company} ({batch.payments} payment(s), "
            f"{totals}) as {batch.file_name}."
        )
    for message_id, why in result.refused:
        typer.echo(f"Did not send {message_id}: {why}", err=True)
    for message_id, why, retry_at in result.retrying:
        typer.echo(
            f"Could not deliver {message_id}; it did not reach the bank ({why}). "
            f"paybot tries again at {_local(retry_at)}.",
            err=True,
        )
    for message_id, retry_at in result.waiting:
        typer.echo(f"{message_id} did not reach the bank yet; tried again at {_local(retry_at)}.")
    for message_id, why in result.unknown:
        typer.echo(
            f"The upload of {message_id} broke off ({why}): the bank may have it, so it is not "
            "sent again. Its payments are Failed (no answer): check the netbank, then "
            "`paybot payments resolve-missing ID --as UID --money-left|--money-not-left`.",
            err=True,
        )
    if not (result.sent or result.refused or result.retrying or result.unknown or result.waiting):
        typer.echo("Nothing is due to be sent.")
    if result.refused or result.retrying or result.unknown:
        raise typer.Exit(1)


@returns_app.command("ingest")
def returns_ingest(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="Files.")],
) -> None:
    """Apply pain.002 status reports and camt.054 notifications (each file once)."""
    for file in files:
        with ctx.user_errors():
            result = returns.ingest(
                ctx.uow(), name=file.name, data=file.read_bytes(), now=ctx.now()
            )  # by hand: the file's own account or batch says whose it is
        _report(result)


@returns_app.command("poll")
def returns_poll(
    company: Annotated[str | None, typer.Option(help="Only this company.")] = None,
) -> None:
    """Fetch and apply what the bank has left in the inbox of each account."""
    with ctx.user_errors():
        results = returns.poll(ctx.uow(), ctx.gateway_for, company_org_no=company, now=ctx.now())
    for result in results:
        _report(result)
    if not results:
        typer.echo("No files from the bank.")
    if any(result.error for result in results):
        raise typer.Exit(1)  # something was left in an inbox: said above


@returns_app.command("check-missing")
def returns_check_missing(
    company: Annotated[str | None, typer.Option(help="Only this company.")] = None,
    now: NowOption = None,
) -> None:
    """Mark payments with no answer from the bank for too long as Failed (no return)."""
    with ctx.user_errors():
        late = returns.check_missing(
            ctx.uow(),
            company_org_no=company,
            now=_when(now),
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


def _report(result: IngestResult) -> None:
    if result.error and result.kind == "unread":
        typer.echo(f"{result.name}: could not be read: {result.error}", err=True)
        return
    if result.error:
        typer.echo(f"{result.name}: not taken, left in the inbox: {result.error}", err=True)
        return
    if result.already_applied:
        typer.echo(f"{result.name}: applied before; nothing changed.")
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
    if result.incoming_entries:
        parts.append(f"{result.incoming_entries} incoming entr(y/ies) not handled here")
    typer.echo(f"{result.name} ({result.kind}): " + ", ".join(parts) + ".")
    if result.unmatched:
        typer.echo(f"  References that match no payment: {', '.join(result.unmatched)}", err=True)
    if result.foreign:
        typer.echo(f"  Not applied (not this file's): {', '.join(result.foreign)}", err=True)
    for warning in result.warnings:
        typer.echo(f"  ALARM: {warning}", err=True)
    if result.archive_error:
        typer.echo(f"  Taken, but left in the inbox: {result.archive_error}", err=True)


def _local(moment: datetime) -> str:
    return moment.astimezone(ctx.settings().zone).strftime("%Y-%m-%d %H:%M %Z")


def _when(text: str | None) -> datetime:
    if text is None:
        return ctx.now()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed({"now": f"{text!r} is not a time like 2026-11-23T10:00"}) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=ctx.settings().zone)
