"""`paybot customers items`: the customer ledger's invoices (imported with `paybot import
customer-items`), with what the incoming payments posted against each paid and left open, and the
credit held for customers who paid more than they owed."""

from typing import TYPE_CHECKING, Annotated

import typer

from paybot.cli import context as ctx

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date
    from decimal import Decimal

    from paybot.services.customer_ledger import CustomerItems

    Money = Callable[[Decimal, str], str]  # an amount in a currency, as the company reads it

customers_app = ctx.group("Customers: their invoices, what is paid and open, their credit.")

# A customer's name in a line of the table: longer ones end in "…" (`--json` has them whole).
NAME_WIDTH = 30
_HEADINGS = ("Invoice", "Customer", "KID", "Due", "Amount", "Paid", "Open", "Status", "Payments")
_RIGHT = {"Amount", "Paid", "Open", "Credit"}  # aligned right


@customers_app.command("items")
def items_command(
    company: Annotated[
        str, typer.Option(metavar="ORG_NO", help="The company's organisation number.")
    ],
    open_only: Annotated[
        bool, typer.Option("--open", help="Only the invoices with something still open.")
    ] = False,
    customer: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT",
            help="Only customers whose name or organisation number contains this "
            "(case-insensitive).",
        ),
    ] = None,
    as_json: ctx.AsJson = False,
) -> None:
    """The customer invoices: amount, paid so far, open, status (open, part-paid, paid,
    overpaid) and the incoming payments posted against each; totals per currency; the credit
    held for customers (what they paid over their invoices)."""
    from paybot.services import customer_ledger

    with ctx.user_errors():
        found = customer_ledger.list_items(
            ctx.uow(), company_org_no=company, open_only=open_only, customer=customer
        )
    if as_json:
        ctx.print_json(_as_dict(found))
        return
    typer.echo("\n".join(_text(found, open_only=open_only, customer=customer)))


def _as_dict(found: "CustomerItems") -> dict[str, object]:
    from paybot.core.money import format_plain

    return {
        "company": found.company.org_no,
        "customers_account": found.customers_account,
        "items": [
            {
                "invoice_no": line.invoice_no,
                "customer": line.customer_name,
                "customer_org_no": line.customer_org_no,
                "kid": line.kid,
                "invoice_date": _day(line.invoice_date),
                "due_date": _day(line.due_date),
                "currency": line.currency,
                "amount": format_plain(line.amount, line.currency),
                "paid": format_plain(line.paid, line.currency),
                "open": format_plain(line.open, line.currency),
                "credit": format_plain(line.credit, line.currency),
                "status": line.status.value,
                "payments": list(line.payment_ids),
            }
            for line in found.items
        ],
        "totals": [
            {
                "currency": total.currency,
                "items": total.items,
                "amount": format_plain(total.amount, total.currency),
                "paid": format_plain(total.paid, total.currency),
                "open": format_plain(total.open, total.currency),
            }
            for total in found.totals
        ],
        "credit": [
            {
                "customer": credit.customer_name,
                "customer_org_no": credit.customer_org_no,
                "currency": credit.currency,
                "amount": format_plain(credit.amount, credit.currency),
                "invoices": list(credit.invoices),
            }
            for credit in found.credits
        ],
    }


def _day(day: "date | None") -> str | None:
    return None if day is None else day.isoformat()


def _text(found: "CustomerItems", *, open_only: bool, customer: str | None) -> list[str]:
    from functools import lru_cache

    from paybot.core.money import format_money

    language = found.company.language

    # A company's amounts repeat (every paid invoice's open 0.00): each is formatted once.
    @lru_cache(maxsize=8192)
    def money(amount: "Decimal", currency: str) -> str:
        return format_money(amount, currency, language)

    if not found.items:
        lines = [_nothing(found, open_only=open_only, customer=customer)]
    else:
        lines = _items_table(found, money)
    if found.credits:
        lines += ["", *_credit_table(found, money)]
    return lines


def _items_table(found: "CustomerItems", money: "Money") -> list[str]:
    rows = [
        [
            line.invoice_no,
            _name(line.customer_name),
            line.kid or "-",
            line.due_date.isoformat() if line.due_date else "-",
            money(line.amount, line.currency),
            money(line.paid, line.currency),
            money(line.open, line.currency),
            line.status.value,
            ", ".join(f"#{payment_id}" for payment_id in line.payment_ids) or "-",
        ]
        for line in found.items
    ]
    totals = [
        [
            f"Total {total.currency}",
            f"{total.items} invoice(s)",
            "",
            "",
            money(total.amount, total.currency),
            money(total.paid, total.currency),
            money(total.open, total.currency),
            "",
            "",
        ]
        for total in found.totals
    ]
    return _table(_HEADINGS, rows, totals)


def _credit_table(found: "CustomerItems", money: "Money") -> list[str]:
    rows = [
        [
            _name(credit.customer_name),
            credit.customer_org_no or "-",
            money(credit.amount, credit.currency),
            ", ".join(credit.invoices),
        ]
        for credit in found.credits
    ]
    heading = f"Credit held for customers (paid over their invoices, on {found.customers_account}):"
    return [heading, *_table(("Customer", "Org no", "Credit", "Invoices"), rows)]


def _name(text: str) -> str:
    if len(text) <= NAME_WIDTH:
        return text
    from paybot.cli.render import shortened

    return shortened(text, NAME_WIDTH)


def _nothing(found: "CustomerItems", *, open_only: bool, customer: str | None) -> str:
    which = "open customer invoices" if open_only else "customer invoices"
    whose = f" of a customer matching {customer!r}" if customer else ""
    if open_only or customer:
        return f"{found.company.name}: no {which}{whose}."
    return (
        f"{found.company.name}: no customer invoices; import them with `paybot import "
        f"customer-items FILE --company {found.company.org_no}`."
    )


def _table(
    headings: tuple[str, ...], rows: list[list[str]], footer: list[list[str]] | None = None
) -> list[str]:
    """Aligned columns of plain text, amounts to the right; `footer` under a rule. Each row is
    padded by one format string (a hundred thousand rows print at once)."""
    footer = footer or []
    widths = [max(map(len, column)) for column in zip(headings, *rows, *footer, strict=True)]
    template = "  ".join(
        f"{{:{'>' if heading in _RIGHT else '<'}{width}}}"
        for heading, width in zip(headings, widths, strict=True)
    )
    rule = template.format(*("-" * width for width in widths))
    out = [template.format(*headings).rstrip(), rule]
    out += [template.format(*row).rstrip() for row in rows]
    if footer:
        out += [rule, *(template.format(*row).rstrip() for row in footer)]
    return out
