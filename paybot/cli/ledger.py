"""`paybot import`: the supplier ledger, and the customer ledger's open invoices, from CSV or
JSON; `paybot ledger accounts`: the company's chart of accounts, from CSV or SAF-T."""

from pathlib import Path
from typing import Annotated

import typer

from paybot.cli import context as ctx
from paybot.cli.ledger_out import ledger_app

import_app = ctx.group("Import the supplier or customer ledger (CSV or JSON).")

# Below this many rows a progress bar would only flicker.
PROGRESS_FROM = 5000

FileArgument = Annotated[
    Path,
    typer.Argument(
        exists=True, dir_okay=False, readable=True, metavar="FILE", help="CSV or JSON file."
    ),
]
CompanyOption = Annotated[
    str, typer.Option(metavar="ORG_NO", help="The company's organisation number.")
]


@import_app.command("suppliers")
def import_suppliers(file: FileArgument, company: CompanyOption) -> None:
    """Suppliers: name, org_no, account, and for payments abroad the payee's street,
    building_no, post_code, town, country (ISO 3166, e.g. DE), bic, charge_bearer (DEBT, CRED or
    SHAR), purpose_code (Norges Bank's list) and purpose_text. A supplier's new details fill its
    proposed and failed payments where theirs are empty."""
    from paybot.core.ledger_file import read_supplier_rows
    from paybot.services import ledger

    with ctx.user_errors():
        rows = read_supplier_rows(str(file), file.read_bytes())
        result = ledger.import_suppliers(
            ctx.uow(), company_org_no=company, source=str(file), rows=rows, now=ctx.now()
        )
    filled = result.payments_filled
    typer.echo(
        f"Suppliers from {file}: {result.new} new, {result.updated} updated, "
        f"{result.unchanged} unchanged"
        + (f"; {filled} payment(s) given their supplier's details." if filled else ".")
    )


@import_app.command("open-items")
def import_open_items(file: FileArgument, company: CompanyOption) -> None:
    """Open items: voucher_no, invoice_no, supplier_name, supplier_org_no, account, amount,
    currency, invoice_date, due_date, reference_type (kid|message|invoice|empty), reference."""
    from rich.progress import Progress

    from paybot.core.ledger_file import read_open_item_rows
    from paybot.services import ledger

    with ctx.user_errors():
        rows = read_open_item_rows(str(file), file.read_bytes())
        with Progress(transient=True, disable=len(rows) < PROGRESS_FROM) as progress:
            task = progress.add_task("Importing", total=len(rows))
            result = ledger.import_open_items(
                ctx.uow(),
                company_org_no=company,
                source=str(file),
                rows=rows,
                now=ctx.now(),
                progress=lambda n: progress.advance(task, n),
            )
    typer.echo(
        f"Open items from {file}: {result.new} new, {result.unchanged} unchanged"
        + (f", {result.new_suppliers} new supplier(s)." if result.new_suppliers else ".")
    )


@import_app.command("customer-items")
def import_customer_items(file: FileArgument, company: CompanyOption) -> None:
    """Customer invoices incoming payments are matched to: invoice_no, customer_name,
    customer_org_no, amount, currency, invoice_date, due_date, kid."""
    from paybot.core.ledger_file import read_customer_item_rows
    from paybot.services import customer_ledger

    with ctx.user_errors():
        rows = read_customer_item_rows(str(file), file.read_bytes())
        result = customer_ledger.import_customer_items(
            ctx.uow(), company_org_no=company, source=str(file), rows=rows, now=ctx.now()
        )
    typer.echo(f"Customer items from {file}: {result.new} new, {result.unchanged} unchanged.")


@import_app.command("ehf")
def import_ehf(
    paths: Annotated[
        list[Path],
        typer.Argument(
            exists=True,
            readable=True,
            metavar="FILE_OR_FOLDER...",
            help="EHF files, or folders whose .xml files are read.",
        ),
    ],
    company: CompanyOption,
) -> None:
    """EHF (PEPPOL BIS Billing 3.0) invoices and credit notes: each checked against the UBL 2.1
    schema and the EN 16931 and PEPPOL rules, then taken whole or refused on its own. Exits 1
    when a file was refused (after taking the good ones)."""
    from paybot.cli.ehf import import_paths

    import_paths(paths, company)


# `paybot ledger accounts`: beside `ledger export` and `ledger balance` (cli/ledger_out.py).
accounts_app = ctx.group(
    "The company's chart of accounts: its GL accounts and their names, and which of them an "
    "incoming payment may be posted to by hand."
)
ledger_app.add_typer(accounts_app, name="accounts")


@accounts_app.command("import")
def accounts_import(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            metavar="FILE",
            help="CSV (number;name[;by_hand]) or SAF-T Financial XML.",
        ),
    ],
    company: CompanyOption,
) -> None:
    """Make the company's chart of accounts the file's, whole or not at all. CSV: UTF-8, a header
    line `number;name`, then one account a line (number 3 to 10 digits; `,` also separates); an
    optional column by_hand (yes or no; empty: yes) closes an account for posting by hand. SAF-T
    Financial: the accounts of MasterFiles/GeneralLedgerAccounts (AccountID,
    AccountDescription), all open for posting by hand. Accounts the file no longer has are kept
    but closed for posting by hand; the same file again changes nothing. Once a company has a
    chart, `incoming post` takes only its accounts open for posting by hand."""
    from paybot.core.chart_of_accounts import read_chart
    from paybot.services import chart_of_accounts

    with ctx.user_errors(note="The chart of accounts is as it was."):
        rows = read_chart(str(file), file.read_bytes())
        result = chart_of_accounts.import_chart(
            ctx.uow(), company_org_no=company, source=str(file), rows=rows, now=ctx.now()
        )
    counts = f"{result.new} new, {result.changed} changed, {result.unchanged} unchanged"
    if result.closed:
        counts += f", {result.closed} closed for posting by hand (no longer in the file)"
    typer.echo(f"Chart of accounts of {result.company.name} from {file}: {counts}.")


@accounts_app.command("list")
def accounts_list(company: CompanyOption, as_json: ctx.AsJson = False) -> None:
    """The company's chart of accounts: number, name, and whether it may be posted to by hand."""
    from paybot.services import chart_of_accounts

    with ctx.user_errors():
        chart = chart_of_accounts.list_chart(ctx.uow(), company)
    if as_json:
        ctx.print_json(
            {
                "company": chart.company.org_no,
                "accounts": [
                    {"number": a.number, "name": a.name, "by_hand": a.by_hand}
                    for a in chart.accounts
                ],
            }
        )
        return
    if not chart.accounts:
        typer.echo(
            f"{chart.company.name} has no chart of accounts: an incoming payment may be posted by "
            "hand to any GL account number. Import one with `paybot ledger accounts import FILE "
            f"--company {chart.company.org_no}`."
        )
        return
    width = max(len(a.number) for a in chart.accounts)
    for a in chart.accounts:
        closed = "" if a.by_hand else "  (closed for posting by hand)"
        typer.echo(f"{a.number.ljust(width)}  {a.name}{closed}")
