"""`paybot post` (Bokfør: paid payments become vouchers) and `paybot company accounts` (the GL
accounts a company posts to)."""

from typing import TYPE_CHECKING, Annotated

import typer

from paybot.cli import context as ctx

if TYPE_CHECKING:
    from decimal import Decimal

    from paybot.core.vouchers import Voucher, VoucherLine
    from paybot.services.posting import GlAccounts

# Up to this many vouchers are printed line by line; more are summed up.
_SHOWN = 20


def post_command(
    company: Annotated[
        str, typer.Option("--company", metavar="ORG_NO", help="The company's organisation number.")
    ],
    as_user: Annotated[
        str, typer.Option("--as", metavar="USER", help="Your Slack user id: who posts.")
    ],
    ids: Annotated[
        list[int] | None,
        typer.Argument(
            metavar="PAYMENT_ID",
            help="Paid payments to post (default: every paid payment, or the batch's).",
            show_default=False,
        ),
    ] = None,
    batch: Annotated[
        int | None,
        typer.Option("--batch", metavar="N", help="Post the paid payments of batch N."),
    ] = None,
    team: Annotated[
        str | None, typer.Option("--team", metavar="TEAM", help="Your Slack team id.")
    ] = None,
    as_json: ctx.AsJson = False,
) -> None:
    """Post paid payments to the ledger: a voucher per payment (or per batch, as the company's
    posting mode says), numbered in the company's series for the year; all or none."""
    from paybot.services import posting
    from paybot.services.common import ActorRef

    if ids and batch is not None:
        ctx.fail("give payment ids or --batch, not both")
    note = "Nothing was posted: payments are posted all or none." if ids and len(ids) > 1 else None
    with ctx.user_errors(note=note):
        vouchers = posting.post(
            ctx.uow(),
            actor=ActorRef(as_user, team),
            company_org_no=company,
            payment_ids=ids or None,
            batch=batch,
            now=ctx.now(),
            zone=ctx.settings().zone,
        )
    if as_json:
        ctx.print_json({"vouchers": [_voucher_dict(v) for v in vouchers]})
        return
    _print_vouchers(vouchers)


def _print_vouchers(vouchers: "list[Voucher]") -> None:
    from paybot.core.posting import VoucherRef, numbers_text

    if not vouchers:
        typer.echo("No paid payment to post.")
        return
    payments = sum(len(v.payment_ids) for v in vouchers)
    refs = [VoucherRef(v.day.year, v.number) for v in vouchers]
    typer.echo(f"Posted {payments} payment(s) as {numbers_text(refs)}.")
    if len(vouchers) > _SHOWN:
        return
    for voucher in vouchers:
        ids = ", ".join(f"#{pid}" for pid in voucher.payment_ids)
        typer.echo(f"Voucher {voucher.number}  {voucher.day.isoformat()}  {voucher.text}  [{ids}]")
        for line in voucher.lines:
            typer.echo(f"  {_line_text(line)}")


def _line_text(line: "VoucherLine") -> str:
    """A line's account, side and amount in the company's currency (and in the currency paid,
    where that differs)."""
    from paybot.core.money import format_money

    side, amount = ("debit ", line.debit) if line.debit else ("credit", line.credit)
    text = f"{line.account:<6} {side} {_cents(amount):>16}"
    if line.amount_currency != amount:
        text += f"  ({format_money(line.amount_currency, line.currency)})"
    party = f" — {line.party.name}" if line.party else ""
    return f"{text}  {line.text}{party}"


def _cents(amount: "Decimal") -> str:
    from paybot.core.vouchers import CENT

    return f"{amount.quantize(CENT):f}"


def _voucher_dict(voucher: "Voucher") -> dict[str, object]:
    from paybot.core.money import format_plain

    return {
        "number": voucher.number,
        "year": voucher.day.year,
        "date": voucher.day.isoformat(),
        "text": voucher.text,
        "payments": list(voucher.payment_ids),
        "lines": [
            {
                "account": line.account,
                "debit": _cents(line.debit),
                "credit": _cents(line.credit),
                "currency": line.currency,
                "amount_currency": format_plain(line.amount_currency, line.currency),
                "supplier": line.party.name if line.party else None,
                "supplier_org_no": line.party.org_no if line.party else None,
                "text": line.text,
            }
            for line in voucher.lines
        ],
    }


def accounts_command(
    org_no: Annotated[
        str, typer.Option("--org-no", metavar="ORG_NO", help="Organisation number (9 digits).")
    ],
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="ROLE=ACCOUNT",
            help="Set a role's GL account (bank, suppliers, currency_gain, currency_loss, "
            "customers, tax_withholding, withheld_tax, bank_fees, rounding), or one bank "
            "account's own: bank:BANK_ACCOUNT=GL. Repeatable.",
        ),
    ] = None,
    as_json: ctx.AsJson = False,
) -> None:
    """See or set the GL accounts a company posts to (the Norwegian standard chart unless set)."""
    from paybot.services import posting

    with ctx.user_errors():
        if set_:
            found = posting.set_accounts(
                ctx.uow(), company_org_no=org_no, changes=_changes(set_), now=ctx.now()
            )
        else:
            found = posting.accounts(ctx.uow(), company_org_no=org_no)
    if as_json:
        ctx.print_json(_accounts_dict(found))
        return
    from paybot.core.vouchers import STANDARD_ACCOUNTS

    for role, account in found.roles.items():
        standard = STANDARD_ACCOUNTS[role]
        note = "" if account == standard else f"  (standard: {standard})"
        typer.echo(f"{role.value:<16} {account}{note}")
    for bank_account, gl in found.bank_accounts:
        typer.echo(f"bank account {bank_account}: {gl}")


def _changes(pairs: list[str]) -> dict[str, str]:
    changes: dict[str, str] = {}
    for pair in pairs:
        role, equals, account = pair.partition("=")
        if not equals:
            ctx.fail(f"{pair!r}: give ROLE=ACCOUNT, e.g. bank=1920")
        changes[role] = account
    return changes


def _accounts_dict(found: "GlAccounts") -> dict[str, object]:
    return {
        "company": found.company_org_no,
        "accounts": {role.value: account for role, account in found.roles.items()},
        "bank_accounts": [
            {"account": account, "gl_account": gl} for account, gl in found.bank_accounts
        ],
    }
