"""`paybot import`: the supplier ledger, and the customer ledger's open invoices, from CSV or
JSON."""

from pathlib import Path
from typing import Annotated

import typer

from paybot.cli import context as ctx

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
