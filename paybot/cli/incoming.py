"""`paybot incoming`: KID payments into the company's accounts (OCR Giro, camt.054 credits),
matched to customer invoices and posted; the unmatched ones posted by hand, matched by hand or
deleted; a hand posting or hand match undone (a reversing voucher, the payment unmatched again)."""

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from paybot.cli import context as ctx

if TYPE_CHECKING:
    from paybot.services.incoming import IncomingView, IngestResult, Undone

incoming_app = ctx.group("Incoming payments: KID files from the bank, matched to invoices.")


class Status(StrEnum):
    """paybot.services.incoming.IncomingStatus's values (the services load the store)."""

    MATCHED = "matched"
    SETTLED = "settled"
    PARTIAL = "partial"
    OVERPAID = "overpaid"
    UNMATCHED = "unmatched"
    POSTED = "posted"
    DELETED = "deleted"
    REVERSED = "reversed"


PaymentId = Annotated[int, typer.Argument(metavar="ID", help="The incoming payment's id.")]
AsUser = Annotated[str, typer.Option("--as", metavar="USER", help="Your Slack user id.")]
Team = Annotated[str | None, typer.Option("--team", metavar="TEAM", help="Your Slack team id.")]


@incoming_app.command("ingest")
def incoming_ingest(
    files: Annotated[
        list[Path],
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            metavar="FILE...",
            help="OCR Giro or camt.054.",
        ),
    ],
    company: Annotated[
        str | None,
        typer.Option(metavar="ORG_NO", help="The company (default: the one with the account)."),
    ] = None,
) -> None:
    """Take files of incoming payments: each whole or not at all, once; matched ones posted."""
    from paybot.services import incoming

    failed = False
    for file in files:
        try:
            with ctx.user_errors():
                result = incoming.ingest(
                    ctx.uow(),
                    company_org_no=company,
                    source=str(file),
                    data=file.read_bytes(),
                    now=ctx.now(),
                )
        except typer.Exit:
            failed = True
            continue
        typer.echo(_ingested(result))
    if failed:
        raise typer.Exit(1)


def _ingested(result: "IngestResult") -> str:
    if result.taken_already:
        return f"{result.name}: taken already; nothing changed."
    if not result.payments:
        return f"{result.name}: no incoming payments in it."
    counts = ", ".join(f"{count} {status}" for status, count in sorted(result.counts.items()))
    seen = f"; {result.seen_before} seen in an earlier file" if result.seen_before else ""
    return (
        f"{result.name} ({result.kind}, {result.company_org_no}): {result.payments} payment(s): "
        f"{counts or 'none new'}{seen}; {result.vouchers} voucher(s) posted."
    )


@incoming_app.command("list")
def incoming_list(
    company: Annotated[
        str, typer.Option(metavar="ORG_NO", help="The company's organisation number.")
    ],
    status: Annotated[
        list[Status] | None,
        typer.Option(metavar="STATUS", help=f"Only these (repeatable): {ctx.one_of(Status)}."),
    ] = None,
    as_json: ctx.AsJson = False,
) -> None:
    """The company's incoming payments, by date; `--status unmatched`: those for a person."""
    from paybot.services import incoming

    with ctx.user_errors():
        wanted = None if not status else [incoming.IncomingStatus(s.value) for s in status]
        found = incoming.list_incoming(ctx.uow(), company, wanted)
    if as_json:
        ctx.print_json({"payments": [_payment_dict(view) for view in found]})
        return
    for view in found:
        typer.echo(_line(view))
    if not found:
        typer.echo("No incoming payments.")


def _payment_dict(view: "IncomingView") -> dict[str, object]:
    from paybot.core.money import format_plain

    return {
        "id": view.id,
        "amount": format_plain(view.amount, view.currency),
        "currency": view.currency,
        "kid": view.kid,
        "payer": view.payer,
        "date": view.payment_date.isoformat(),
        "status": view.status.value,
        "invoice": view.invoice_no,
        "account": view.account,
        "voucher": None if view.voucher is None else str(view.voucher),
        "reason": view.reason,
        "detail": view.detail,
        "delete_reason": view.delete_reason,
        "paired_with": view.paired_with,
        "version": view.version,
    }


def _line(view: "IncomingView") -> str:
    from paybot.core.money import format_money

    what = {
        "unmatched": f"unmatched: {view.detail}",
        "posted": f"posted by hand as voucher {view.voucher}",
        "deleted": f"deleted: {view.delete_reason}",
        "reversed": f"reversed ({view.detail or f'by #{view.paired_with}'})",
    }.get(
        view.status.value, f"{view.status.value}, invoice {view.invoice_no}, voucher {view.voucher}"
    )
    return (
        f"#{view.id}  {view.payment_date.isoformat()}  "
        f"{format_money(view.amount, view.currency):>16}  KID {view.kid or '-'}  "
        f"{view.payer or '-'}  {what}"
    )


@incoming_app.command("post")
def incoming_post(
    payment_id: PaymentId,
    account: Annotated[str, typer.Option(metavar="GL", help="The GL account to post it to.")],
    text: Annotated[str, typer.Option(metavar="TEXT", help="The voucher's text.")],
    as_user: AsUser,
    customer: Annotated[
        str | None, typer.Option(metavar="NAME", help="The customer, on the GL line.")
    ] = None,
    team: Team = None,
) -> None:
    """Post an unmatched payment by hand to a GL account (debit bank, credit the account)."""
    from paybot.services import incoming
    from paybot.services.common import ActorRef

    with ctx.user_errors():
        view = incoming.post_by_hand(
            ctx.uow(),
            payment_id=payment_id,
            account=account,
            text=text,
            customer=customer,
            actor=ActorRef(as_user, team),
            now=ctx.now(),
        )
    typer.echo(f"Posted incoming payment {view.id} to {account} as voucher {view.voucher}.")


@incoming_app.command("delete")
def incoming_delete(
    payment_id: PaymentId,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why (kept with it).")],
    as_user: AsUser,
    team: Team = None,
) -> None:
    """Remove an unmatched payment from the list without posting it."""
    from paybot.services import incoming
    from paybot.services.common import ActorRef

    with ctx.user_errors():
        view = incoming.delete(
            ctx.uow(),
            payment_id=payment_id,
            reason=reason,
            actor=ActorRef(as_user, team),
            now=ctx.now(),
        )
    typer.echo(f"Deleted incoming payment {view.id}: {view.delete_reason}.")


@incoming_app.command("match")
def incoming_match(
    payment_id: PaymentId,
    invoice: Annotated[str, typer.Option(metavar="NO", help="The customer invoice it pays.")],
    as_user: AsUser,
    team: Team = None,
) -> None:
    """Match an unmatched payment to a customer invoice by hand, and post it."""
    from paybot.services import incoming
    from paybot.services.common import ActorRef

    with ctx.user_errors():
        view = incoming.match_by_hand(
            ctx.uow(),
            payment_id=payment_id,
            invoice_no=invoice,
            actor=ActorRef(as_user, team),
            now=ctx.now(),
        )
    typer.echo(
        f"Matched incoming payment {view.id} to invoice {view.invoice_no} ({view.status.value}) "
        f"and posted it as voucher {view.voucher}."
    )


@incoming_app.command("undo")
def incoming_undo(payment_id: PaymentId, as_user: AsUser, team: Team = None) -> None:
    """Undo a hand posting or hand match: a reversing voucher is posted today (debit and credit
    swapped), a matched invoice is opened again, and the payment is unmatched again. Nothing is
    deleted. A match by KID is not undone this way."""
    from paybot.services import incoming
    from paybot.services.common import ActorRef

    with ctx.user_errors():
        now = ctx.now()
        undone = incoming.undo(
            ctx.uow(),
            payment_id=payment_id,
            actor=ActorRef(as_user, team),
            now=now,
            today=now.astimezone(ctx.settings().zone).date(),
        )
    typer.echo(_undone(undone))


def _undone(undone: "Undone") -> str:
    from paybot.core.money import format_money

    payment = undone.payment
    if undone.undid == "post":
        what = f"the hand posting of incoming payment {payment.id} to {undone.account}"
    else:
        what = f"the hand match of incoming payment {payment.id} to invoice {undone.invoice_no}"
    said = f"Undid {what}: voucher {undone.voucher} is reversed by voucher {undone.reversal}."
    if undone.reopened:
        amount = format_money(undone.reopened, payment.currency)
        said += f" Invoice {undone.invoice_no} is open for {amount} more again."
    return f"{said} The payment is unmatched again: post it or match it by hand."
