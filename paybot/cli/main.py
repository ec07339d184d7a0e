"""`paybot`: set up companies and users, import the supplier ledger, act on payments, search.

The command modules import the services, the store and Slack inside their commands: `--help`
and the parsing of a command line load only typer and these modules. They do without
`from __future__ import annotations`: typer reads every command's annotations at each start, and
evaluating them from strings cost about 25 ms of every start (names imported only for type
checking are quoted instead).
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer

from paybot.cli import context as ctx
from paybot.cli.bank import bank_app, dispatch_command
from paybot.cli.customers import customers_app
from paybot.cli.demo import demo_command
from paybot.cli.incoming import incoming_app
from paybot.cli.jobs import jobs_command
from paybot.cli.ledger import import_app
from paybot.cli.ledger_out import ledger_app
from paybot.cli.payments import payments_app, proposals_app, search_command
from paybot.cli.people import users_app
from paybot.cli.posting import accounts_command, post_command
from paybot.cli.returns import returns_app
from paybot.cli.security import audit_app, otp_app, rates_app
from paybot.cli.serve import serve_command
from paybot.core.company import DispatchTiming, Language, PostingMode
from paybot.core.errors import ValidationFailed

if TYPE_CHECKING:
    from paybot.core.company import CompanyInfo

app = ctx.Paybot(
    help="paybot: supplier payments proposed, approved and signed, then sent to the bank.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = ctx.group("The database schema.")
company_app = ctx.group("Companies using paybot.")

app.add_typer(db_app, name="db")
app.add_typer(company_app, name="company")
app.add_typer(users_app, name="users")
app.add_typer(import_app, name="import")
app.add_typer(otp_app, name="otp")
app.add_typer(bank_app, name="bank")
app.add_typer(returns_app, name="returns")
app.add_typer(incoming_app, name="incoming")
app.add_typer(customers_app, name="customers")
app.command("dispatch")(dispatch_command)
app.add_typer(rates_app, name="rates")
app.add_typer(audit_app, name="audit")
app.add_typer(ledger_app, name="ledger")
app.add_typer(proposals_app, name="proposals")
app.add_typer(payments_app, name="payments")
app.command("search")(search_command)
app.command("serve")(serve_command)
app.command("demo")(demo_command)
app.command("jobs")(jobs_command)
app.command("post")(post_command)
company_app.command("accounts")(accounts_command)

OrgNo = Annotated[
    str, typer.Option("--org-no", metavar="ORG_NO", help="Organisation number (9 digits).")
]
_TIMING = f"When signed payments are sent to the bank: {ctx.one_of(DispatchTiming)}."


@app.callback()
def _terminal() -> None:
    """A command prints what matters itself (alarms included): log lines of paybot and of the
    libraries (paramiko's tracebacks) stay out of the terminal. `serve` and `jobs` log."""
    import logging  # (here: `paybot --help` needs none of it)

    root = logging.getLogger()
    if not any(isinstance(handler, logging.NullHandler) for handler in root.handlers):
        root.addHandler(logging.NullHandler())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest schema (safe to run again)."""
    from paybot.store import db

    with ctx.user_errors():
        engine = ctx.engine()
        before, after = db.upgrade(engine)
    where = db.describe(engine)
    if before == after:
        typer.echo(f"The database {where} is up to date (schema {after}).")
    else:
        typer.echo(f"Upgraded the database {where} from schema {before or 'none'} to {after}.")


@company_app.command("add")
def company_add(
    org_no: OrgNo,
    name: Annotated[str, typer.Option(metavar="NAME", help="The company's name.")],
    account: Annotated[
        str, typer.Option(metavar="ACCOUNT", help="The company's bank account (BBAN or IBAN).")
    ],
    bank: Annotated[str | None, typer.Option(metavar="BANK", help="The bank's name.")] = None,
    timing: Annotated[
        DispatchTiming, typer.Option(metavar="TIMING", help=_TIMING)
    ] = DispatchTiming.DUE,
) -> None:
    """Add a company with its bank account."""
    from paybot.services import companies

    with ctx.user_errors():
        company = companies.add_company(
            ctx.uow(),
            org_no=org_no,
            name=name,
            account=account,
            bank=bank,
            timing=timing,
            now=ctx.now(),
        )
    typer.echo(f"Added {company.name} ({company.org_no}).")


@company_app.command("set")
def company_set(
    org_no: OrgNo,
    timing: Annotated[DispatchTiming | None, typer.Option(metavar="TIMING", help=_TIMING)] = None,
    approval_required: Annotated[
        bool | None,
        typer.Option(
            "--approval-required/--no-approval-required",
            help="Whether a proposal must be approved before it is signed.",
        ),
    ] = None,
    dual_control_above: Annotated[
        str | None,
        typer.Option(
            metavar="AMOUNT",
            help="Payments above this amount need two signers; 'none' turns it off.",
        ),
    ] = None,
    posting_mode: Annotated[
        PostingMode | None,
        typer.Option(
            metavar="MODE",
            help=f"One voucher per payment, or per batch: {ctx.one_of(PostingMode)}.",
        ),
    ] = None,
    language: Annotated[
        Language | None,
        typer.Option(metavar="LANG", help=f"Language of messages: {ctx.one_of(Language)}."),
    ] = None,
    proposals_channel: Annotated[
        str | None,
        typer.Option(metavar="CHANNEL", help="Slack channel id for the daily proposals (C...)."),
    ] = None,
    alerts_channel: Annotated[
        str | None,
        typer.Option(
            metavar="CHANNEL", help="Slack channel id for failures and paid batches (C...)."
        ),
    ] = None,
    post_at: Annotated[
        str | None,
        typer.Option(metavar="HH:MM", help="Time of the daily proposals post, e.g. 08:00."),
    ] = None,
    rounding_tolerance: Annotated[
        str | None,
        typer.Option(
            metavar="AMOUNT",
            help="Incoming payments this close to their invoice close it (øreavrunding), the "
            "difference to the rounding account; 0 (the default) takes the exact amount only.",
        ),
    ] = None,
    reporting_threshold: Annotated[
        str | None,
        typer.Option(
            metavar="NOK",
            help="Payments abroad above this many NOK carry their purpose for the Currency "
            "Register (100 000 by default).",
        ),
    ] = None,
) -> None:
    """Change a company's settings (what is not given stays as it is)."""
    from paybot.core.money import format_money
    from paybot.services import companies
    from paybot.services.common import KEEP

    with ctx.user_errors():
        threshold = KEEP if dual_control_above is None else _amount_or_none(dual_control_above)
        tolerance = None if rounding_tolerance is None else _tolerance(rounding_tolerance)
        reporting = (
            None
            if reporting_threshold is None
            else _amount(reporting_threshold, "reporting_threshold")
        )
        company = companies.update_settings(
            ctx.uow(),
            org_no=org_no,
            timing=timing,
            approval_required=approval_required,
            dual_control_threshold=threshold,
            posting_mode=posting_mode,
            language=language,
            proposals_channel=proposals_channel,
            alerts_channel=alerts_channel,
            post_at=post_at,
            rounding_tolerance=tolerance,
            reporting_threshold=reporting,
            now=ctx.now(),
        )
    dual = company.dual_control_threshold
    typer.echo(
        f"{company.name}: timing {company.dispatch_timing.value}, approval "
        f"{'required' if company.approval_required else 'optional'}, two signers above "
        f"{'(off)' if dual is None else format_money(dual, company.currency, company.language)}, "
        f"posting {company.posting_mode.value}, language {company.language.value}; proposals "
        f"{company.proposals_channel or '(no channel)'} at {company.post_at:%H:%M}, alerts "
        f"{company.alerts_channel or '(no channel)'}; rounding tolerance "
        f"{format_money(company.rounding_tolerance, company.currency, company.language)}; "
        "purpose of payments abroad above "
        f"{format_money(company.reporting_threshold, 'NOK', company.language)}."
    )


def _amount_or_none(text: str) -> Decimal | None:
    from paybot.core.money import AmountError, parse_amount

    if text.strip().lower() == "none":
        return None
    try:
        return parse_amount(text)
    except AmountError as exc:
        raise ValidationFailed({"dual_control_above": str(exc)}) from exc


def _tolerance(text: str) -> Decimal:
    return _amount(text, "rounding_tolerance")


def _amount(text: str, field: str) -> Decimal:
    from paybot.core.money import AmountError, parse_amount

    try:
        return parse_amount(text)
    except AmountError as exc:
        raise ValidationFailed({field: str(exc)}) from exc


@company_app.command("list")
def company_list(as_json: ctx.AsJson = False) -> None:
    """List the companies."""
    from paybot.services import companies

    with ctx.user_errors():
        found = companies.list_companies(ctx.uow())
    if as_json:
        ctx.print_json({"companies": [_company_dict(c) for c in found]})
        return
    for company in found:
        accounts = ", ".join(a.account for a in company.accounts)
        typer.echo(
            f"{company.org_no}  {company.name}  [{accounts}]  timing={company.dispatch_timing}"
        )
    if not found:
        typer.echo("No companies yet: add one with `paybot company add`.")


def _company_dict(company: "CompanyInfo") -> dict[str, object]:
    return {
        "org_no": company.org_no,
        "name": company.name,
        "currency": company.currency,
        "dispatch_timing": company.dispatch_timing.value,
        "approval_required": company.approval_required,
        "dual_control_threshold": (
            None if company.dual_control_threshold is None else str(company.dual_control_threshold)
        ),
        "posting_mode": company.posting_mode.value,
        "language": company.language.value,
        "rounding_tolerance": str(company.rounding_tolerance),
        "accounts": [
            {
                "account": a.account,
                "scheme": a.scheme,
                "bank": a.bank,
                "bic": a.bic,
                "incoming": a.incoming,
                "outgoing": a.outgoing,
                "gl_account": a.gl_account,
                "tax_withholding": a.tax_withholding,
            }
            for a in company.accounts
        ],
    }


if __name__ == "__main__":  # pragma: no cover
    app()
