"""`paybot ledger export|balance`: the vouchers paybot posted, for an accounting system, and the
general-ledger balances they leave."""

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from paybot.cli import context as ctx

ledger_app = ctx.group("The vouchers paybot posted: export them, see the account balances.")

Company = Annotated[
    str, typer.Option("--company", metavar="ORG_NO", help="The company's organisation number.")
]


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        ctx.fail(f"{option}: {text!r} is not a date (YYYY-MM-DD)")


@ledger_app.command("export")
def export_command(
    company: Company,
    day_from: Annotated[
        str, typer.Option("--from", metavar="DATE", help="First voucher date (YYYY-MM-DD).")
    ],
    day_to: Annotated[
        str, typer.Option("--to", metavar="DATE", help="Last voucher date (YYYY-MM-DD).")
    ],
    kind: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="csv, json or saft.")
    ] = "csv",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="FILE",
            dir_okay=False,
            help="Where to write (default: a file named for the company and dates, here; "
            "SAF-T: the name the Tax Administration asks for).",
        ),
    ] = None,
    contact: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="SAF-T: the contact person's first and last name."),
    ] = None,
    phone: Annotated[
        str | None, typer.Option(metavar="PHONE", help="SAF-T: the contact person's telephone.")
    ] = None,
) -> None:
    """Write the vouchers dated --from..--to: CSV for a Norwegian spreadsheet (';', decimal
    comma), JSON, or SAF-T Financial 1.30. The file appears whole or not at all."""
    from paybot.core.ledgerfiles.saft import saft_file_name
    from paybot.services import ledger_out

    try:
        chosen = ledger_out.LedgerFormat(kind.lower())
    except ValueError:
        ctx.fail(f"--format: {kind!r} is not csv, json or saft")
    first, last = _day(day_from, "--from"), _day(day_to, "--to")
    now = ctx.now()
    person = None
    if chosen is ledger_out.LedgerFormat.SAFT:
        if not contact or not phone:
            ctx.fail("--format saft: give --contact 'First Last' and --phone (SAF-T names them)")
        person = ledger_out.ContactPerson(contact, phone)
    if out is None:
        name = (
            saft_file_name(company, now)
            if person is not None
            else f"ledger-{company}-{first}-{last}.{chosen.value}"
        )
        out = Path(name)
    # Written as the vouchers are read, beside the target, and renamed when whole (on disk
    # first, so a crash cannot leave the name with part of the file): a refused or interrupted
    # export leaves nothing.
    folder = out.resolve().parent
    handle, partial = tempfile.mkstemp(prefix=f".{out.name}.", dir=folder)
    try:
        with ctx.user_errors(note="Nothing was written."), os.fdopen(handle, "wb") as stream:
            done = ledger_out.export(
                ctx.uow(),
                company_org_no=company,
                day_from=first,
                day_to=last,
                kind=chosen,
                out=stream,
                now=now,
                contact=person,
            )
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, out)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    summary = done.summary
    typer.echo(
        f"{out}: {summary.entries} voucher(s), {summary.lines} line(s), debit "
        f"{summary.total_debit} = credit {summary.total_credit} {done.company.currency}."
    )


@ledger_app.command("balance")
def balance_command(
    company: Company,
    up_to: Annotated[
        str | None,
        typer.Option("--to", metavar="DATE", help="Vouchers dated up to this day (default: all)."),
    ] = None,
    as_json: ctx.AsJson = False,
) -> None:
    """The general-ledger accounts paybot posted to: debits, credits and balance (debit
    positive)."""
    from paybot.core.ledgerfiles.chart import chart_account
    from paybot.core.money import format_money
    from paybot.services import chart_of_accounts, ledger_out

    with ctx.user_errors():
        found, balances = ledger_out.balances(
            ctx.uow(), company_org_no=company, up_to=None if up_to is None else _day(up_to, "--to")
        )
        own = chart_of_accounts.account_names(ctx.uow(), found.org_no)

    def name_of(account: str) -> str:
        # The company's chart of accounts names its accounts; else the standard chart, if it can.
        standard = chart_account(account)
        return own.get(account) or (standard.description if standard else "")

    if as_json:
        ctx.print_json(
            {
                "company": found.org_no,
                "currency": found.currency,
                "accounts": [
                    {
                        "account": b.account,
                        "name": name_of(b.account) or None,
                        "debit": f"{b.debit:.2f}",
                        "credit": f"{b.credit:.2f}",
                        "balance": f"{b.balance:.2f}",
                    }
                    for b in balances
                ],
            }
        )
        return
    if not balances:
        typer.echo(f"{found.name}: nothing posted yet.")
        return
    rows: list[list[str]] = [["Account", "Name", "Debit", "Credit", "Balance"]]
    for b in balances:
        amounts = (b.debit, b.credit, b.balance)
        rows.append(
            [b.account, name_of(b.account)]
            + [format_money(v, found.currency, found.language) for v in amounts]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        left = [row[i].ljust(widths[i]) for i in range(2)]
        right = [row[i].rjust(widths[i]) for i in range(2, 5)]
        typer.echo("  ".join(left + right).rstrip())
