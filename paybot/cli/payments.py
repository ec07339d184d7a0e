"""`paybot proposals`, `paybot payments` and `paybot search`."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from paybot.cli import context as ctx
from paybot.core.company import Language
from paybot.core.payments import ReferenceType
from paybot.core.states import PaymentStatus

if TYPE_CHECKING:
    from paybot.core.payee_details import PayeeDetailsInvalid
    from paybot.core.payments import PaymentView
    from paybot.services.payments import BulkAction, DuplicateOf

proposals_app = ctx.group("Payment proposals from the supplier ledger.")
payments_app = ctx.group("Act on payments.")

_ALL_OR_NONE = "Nothing was changed: an action on several payments is done for all or for none."

AsJson = ctx.AsJson
PaymentId = Annotated[int, typer.Argument(metavar="PAYMENT_ID", help="Payment id.")]
Ids = Annotated[list[int], typer.Argument(metavar="PAYMENT_ID", help="Payment ids.")]
As = Annotated[str, typer.Option("--as", metavar="USER", help="Your Slack user id: who acts.")]
Team = Annotated[str | None, typer.Option("--team", metavar="TEAM", help="Your Slack team id.")]
Company = Annotated[str, typer.Option(metavar="ORG_NO", help="The company's organisation number.")]
OnlyCompany = Annotated[str | None, typer.Option(metavar="ORG_NO", help="Organisation number.")]


@proposals_app.command("refresh")
def proposals_refresh(company: Company) -> None:
    """Turn every open ledger item not yet in the bank module into a proposal; renew flags."""
    from paybot.services import proposals

    with ctx.user_errors():
        result = proposals.refresh(ctx.uow(), company_org_no=company, now=ctx.now())
    counts = ", ".join(f"{count} {flag.value}" for flag, count in result.flags.items())
    typer.echo(f"{result.created} new proposal(s); proposals now: {counts}.")


@proposals_app.command("list")
def proposals_list(
    company: OnlyCompany = None,
    status: Annotated[
        list[PaymentStatus] | None,
        typer.Option(
            metavar="STATUS", help=f"Status to show; repeatable: {ctx.one_of(PaymentStatus)}."
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """List payments (by default the proposals)."""
    from paybot.services import proposals

    statuses = status or [PaymentStatus.PROPOSED]
    with ctx.user_errors():
        found = proposals.list_payments(ctx.uow(), company_org_no=company, statuses=statuses)
    _print(found, as_json, title=", ".join(s.label for s in statuses))


@proposals_app.command("post")
def proposals_post(company: Company) -> None:
    """Post the proposals to the company's Slack proposals channel now (the daily post still
    goes out at its time)."""
    from slack_sdk.errors import SlackApiError

    from paybot.app import web_client
    from paybot.handlers.deps import Deps
    from paybot.handlers.proposal_posts import post_proposals

    settings = ctx.settings()
    if settings.slack_bot_token is None:
        ctx.fail("SLACK_BOT_TOKEN is not set: give the Slack app's bot token (xoxb-...).")
    client = web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    deps = Deps(uow=ctx.uow, box=ctx.secret_box, clock=ctx.now, zone=settings.zone)
    try:
        with ctx.user_errors():
            result = post_proposals(client, deps, company_org_no=company, now=ctx.now(), force=True)
    except SlackApiError as error:
        ctx.fail(f"Slack refused the post: {error.response.get('error', error)}")
    if result is not None:  # a post asked for now has a claim of its own: always ours
        typer.echo(
            f"Posted {result.payments} proposal(s) to {result.channel} in "
            f"{result.messages} message(s)."
        )


def search_command(
    query: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="TERM",
            # The fields of paybot.core.search_query.SEARCH_FIELDS (a test holds them equal),
            # written out so that `--help` does not load the query parser.
            help="Terms like to:ACCOUNT company:TEXT amount:>N due:DATE..DATE status:S "
            "currency:CUR page:N, or plain words.",
        ),
    ] = None,
    company: OnlyCompany = None,
    as_json: AsJson = False,
) -> None:
    """Search payments; all terms must match."""
    from paybot.services.search import search

    text = " ".join(_requote(term) for term in query or [])
    with ctx.user_errors():
        found = search(ctx.uow(), query=text, company_org_no=company)
    _print(found, as_json, title=f"Search: {text}" if text else "All payments")


def _requote(term: str) -> str:
    """One shell argument back into query text.

    `company:"Acme AS"` reaches us as `company:Acme AS` and is quoted again; a whole query passed
    as one argument ("company:acme amount:>1000") is kept as it is.
    """
    from paybot.core.search_query import SEARCH_FIELDS

    words = term.split()
    whole_query = '"' in term or any(
        word.partition(":")[0].lower() in SEARCH_FIELDS and ":" in word for word in words[1:]
    )
    if len(words) < 2 or whole_query:
        return term
    field, colon, value = term.partition(":")
    if colon and field.lower() in SEARCH_FIELDS:
        return f'{field}:"{value}"'
    return f'"{term}"'


@payments_app.command("approve")
def payments_approve(ids: Ids, as_user: As, team: Team = None) -> None:
    """Approve proposals (they wait for a signer)."""
    from paybot.services import payments

    _act(payments.approve, ids, as_user, team, "Approved")


@payments_app.command("sign")
def payments_sign(
    ids: Annotated[
        list[str],
        typer.Argument(
            metavar="PAYMENT_ID[@VERSION]",
            help="Payment ids; ID@VERSION signs the payment only if its details are still at "
            "that version (`paybot payments show ID` prints it).",
            show_default=False,
        ),
    ],
    as_user: As,
    code: Annotated[
        str, typer.Option(metavar="CODE", help="The one-time code your authenticator shows.")
    ],
    team: Team = None,
) -> None:
    """Sign payments with a one-time code: all of them, or none. Signed payments become due
    (or wait for a second signer where two are needed, and say why)."""
    from paybot.services import signing
    from paybot.services.common import ActorRef

    payment_ids, versions = _pinned(ids)
    with ctx.user_errors(note=_ALL_OR_NONE if len(payment_ids) > 1 else None):
        done = signing.sign(
            ctx.uow(),
            ctx.secret_box(),
            actor=ActorRef(as_user, team),
            payment_ids=payment_ids,
            code=code,
            now=ctx.now(),
            zone=ctx.settings().zone,
            versions=versions,
        )
    for result in done:
        payment = result.payment
        if result.complete:
            typer.echo(
                f"Signed payment {payment.id} ({payment.payee}): now {payment.status.value}."
            )
        else:
            because = f" because {result.why.sentence()}" if result.why else ""
            typer.echo(
                f"Signed payment {payment.id} ({payment.payee}): {result.signatures} of "
                f"{result.required} signatures — a second signer is needed{because}."
            )


def _pinned(args: list[str]) -> tuple[list[int], dict[int, int]]:
    """ "3@2 5" → ids [3, 5], versions {3: 2}."""
    ids: list[int] = []
    versions: dict[int, int] = {}
    for arg in args:
        number, at, version = arg.strip().partition("@")
        try:
            payment_id = int(number)
            if at:
                versions[payment_id] = int(version)
        except ValueError:
            ctx.fail(
                f"{arg!r} is not a payment: give its id, or ID@VERSION (e.g. 3@2) to sign it only "
                "if its details are still at that version."
            )
        ids.append(payment_id)
    return ids, versions


@payments_app.command("delete")
def payments_delete(ids: Ids, as_user: As, team: Team = None) -> None:
    """Delete payments from the bank module (restore brings them back)."""
    from paybot.services import payments

    _act(payments.delete, ids, as_user, team, "Deleted")


@payments_app.command("restore")
def payments_restore(ids: Ids, as_user: As, team: Team = None) -> None:
    """Add deleted payments back to the bank, as proposals."""
    from paybot.services import payments

    _act(payments.restore, ids, as_user, team, "Restored")


def _act(service: "BulkAction", ids: list[int], as_user: str, team: str | None, verb: str) -> None:
    from paybot.services.common import ActorRef

    with ctx.user_errors(note=_ALL_OR_NONE if len(ids) > 1 else None):
        done = service(ctx.uow(), actor=ActorRef(as_user, team), payment_ids=ids, now=ctx.now())
    for payment in done:
        typer.echo(f"{verb} payment {payment.id} ({payment.payee}): now {payment.status.value}.")


def _detail(flag: str, metavar: str, what: str, cleared: str = "clears it") -> Any:
    """An option of a payee detail for a payment abroad; an empty value ("") clears it."""
    return typer.Option(flag, metavar=metavar, help=f'{what}; "" {cleared}.')


Street = Annotated[str | None, _detail("--street", "STREET", "The payee's street")]
BuildingNo = Annotated[str | None, _detail("--building-no", "NO", "The payee's building number")]
PostCode = Annotated[str | None, _detail("--post-code", "CODE", "The payee's post code")]
Town = Annotated[str | None, _detail("--town", "TOWN", "The payee's town")]
Country = Annotated[
    str | None, _detail("--country", "CC", "The payee's country: ISO 3166 alpha-2, e.g. DE")
]
Bic = Annotated[
    str | None,
    _detail("--bic", "BIC", "The payee's bank's BIC, needed where the account is not an IBAN"),
]
ChargeBearer = Annotated[
    str | None,
    _detail(
        "--charge-bearer",
        "WHO",
        "Who bears the charges: DEBT (the company), CRED (the payee) or SHAR (shared)",
        "leaves it to the payment type (SEPA: SLEV, other payments abroad: SHAR)",
    ),
]
PurposeCode = Annotated[
    str | None,
    _detail(
        "--purpose-code",
        "CODE",
        "The purpose code of Norges Bank's list (e.g. 14, purchase/sale of goods), reported to "
        "the Currency Register",
    ),
]
PurposeText = Annotated[
    str | None,
    _detail("--purpose-text", "TEXT", "What the payment is for, at most 35 characters"),
]
Payee = Annotated[
    str | None,
    typer.Option(
        "--payee",
        metavar="NAME",
        help="The payee's name as the payment file names it, at most 200 characters: letters "
        "a bank takes (abroad: Latin letters).",
    ),
]
Urgent = Annotated[
    bool | None,
    typer.Option(
        "--urgent/--not-urgent",
        help="Send as an urgent payment (only a cross-border payment can be), or not.",
        show_default=False,
    ),
]


@payments_app.command("fix")
def payments_fix(
    payment_id: PaymentId,
    as_user: As,
    account: Annotated[
        str | None,
        typer.Option(
            metavar="ACCOUNT",
            help="Payee account (BBAN or IBAN; abroad with --country, the bank's account number).",
        ),
    ] = None,
    reference_type: Annotated[
        ReferenceType | None,
        typer.Option(
            "--reference-type",
            metavar="TYPE",
            help=f"The kind of reference: {ctx.one_of(ReferenceType)}.",
        ),
    ] = None,
    reference: Annotated[
        str | None, typer.Option(metavar="REFERENCE", help="KID, message or invoice no.")
    ] = None,
    street: Street = None,
    building_no: BuildingNo = None,
    post_code: PostCode = None,
    town: Town = None,
    country: Country = None,
    bic: Bic = None,
    charge_bearer: ChargeBearer = None,
    purpose_code: PurposeCode = None,
    purpose_text: PurposeText = None,
    urgent: Urgent = None,
    payee: Payee = None,
    team: Team = None,
) -> None:
    """Correct a payment's account, reference type, reference or payee's name, or for a payment
    abroad the payee's address, bank (BIC), charge bearer, purpose, or whether it is urgent.
    Any approval or signature given before no longer counts: the payment is a proposal again."""
    from paybot.core.payee_details import PayeeDetailsInvalid
    from paybot.services import payments
    from paybot.services.common import ActorRef

    with ctx.user_errors():
        try:
            fixed = payments.fix(
                ctx.uow(),
                actor=ActorRef(as_user, team),
                payment_id=payment_id,
                account=account,
                reference_type=reference_type,
                reference=reference,
                street=street,
                building_no=building_no,
                post_code=post_code,
                town=town,
                country=country,
                bic=bic,
                charge_bearer=charge_bearer,
                purpose_code=purpose_code,
                purpose_text=purpose_text,
                urgent=urgent,
                payee=payee,
                now=ctx.now(),
            )
        except PayeeDetailsInvalid as refused:
            raise _pointing_to_the_codes(refused) from None
    reasons = ", ".join(r.value for r in fixed.reasons) or "none"
    typer.echo(
        f"Fixed payment {fixed.id}: {fixed.status.value}, flag {fixed.flag.value} "
        f"(reasons: {reasons})."
    )


def _pointing_to_the_codes(refused: "PayeeDetailsInvalid") -> "PayeeDetailsInvalid":
    """The refusal, a purpose code not in the list pointing to `payments purpose-codes`."""
    from paybot.core.payee_details import PayeeDetailsInvalid, Problem

    errors = dict(refused.errors)
    for name, problem in refused.problems.items():
        if problem.kind is Problem.PURPOSE_CODE:
            errors[name] = f"{problem.message} (see paybot payments purpose-codes)"
    return PayeeDetailsInvalid(errors, refused.problems)


@payments_app.command("purpose-codes")
def payments_purpose_codes(
    language: Annotated[
        Language,
        typer.Option(metavar="LANGUAGE", help=f"The names' language: {ctx.one_of(Language)}."),
    ] = Language.EN,
    as_json: AsJson = False,
) -> None:
    """Norges Bank's purpose codes (kode for betalingsart) a payment abroad above the reporting
    threshold reports to the Currency Register, with their names."""
    from paybot.core.purpose_codes import purpose_codes

    codes = purpose_codes()
    if as_json:
        ctx.print_json(
            {
                "purpose_codes": [
                    {
                        "code": entry.code,
                        "name": entry.name(language.value),
                        "name_en": entry.name_en,
                        "name_nb": entry.name_nb,
                    }
                    for entry in codes
                ]
            }
        )
        return
    for entry in codes:
        typer.echo(f"{entry.code}  {entry.name(language.value)}")


@payments_app.command("show")
def payments_show(payment_id: PaymentId, as_json: AsJson = False) -> None:
    """One payment with its history."""
    from dataclasses import asdict

    from paybot.cli.render import payment_dict
    from paybot.core.money import format_plain
    from paybot.services import payments

    with ctx.user_errors():
        details = payments.show(ctx.uow(), payment_id=payment_id)
    credits = [
        {**item, "amount": format_plain(item["amount"], item["currency"])}
        for item in details.open_credit_items
    ]
    payee = asdict(details.payment.payee_details)
    data = {
        **payment_dict(details.payment),
        # What `payments sign ID@VERSION` compares: bumped by every fix, unsign and new round.
        "details_version": details.payment.signature_round,
        "signed_by": details.signed_by,
        "open_credit_items": credits,
    }
    if as_json:
        abroad = {"payee_details": payee, "urgent": details.payment.urgent}
        twins = [
            {**payment_dict(twin.payment), "paid_at": twin.paid_at}
            for twin in details.duplicates_of
        ]
        ctx.print_json({**data, **abroad, "duplicates_of": twins, "history": details.history})
        return
    from paybot.cli.render import company_language
    from paybot.core.formatting import reference_type_name
    from paybot.core.money import format_money

    payment = details.payment
    language = company_language([payment.company_org_no])
    data["amount"] = format_money(payment.amount, payment.currency, language)
    data["reference_type"] = reference_type_name(payment.reference_type, language)
    for key, value in data.items():
        if key not in ("open_credit_items", "failure", "signed_by", "reasons"):
            typer.echo(f"{key:>15}: {'' if value is None else value}")
    # The payee's details of a payment abroad, those it has (a domestic payment has none).
    for key, value in payee.items():
        if value is not None:
            typer.echo(f"{key:>15}: {_payee_value(key, value, language)}")
    if payment.urgent:
        typer.echo(f"{'urgent':>15}: yes")
    # Each reason in words (as the cards say them, and the listing's last column) with its code.
    reasons = [f"{reason.description} [{reason.value}]" for reason in payment.reasons] or ["none"]
    typer.echo(f"{'reasons':>15}: " + f"\n{'':>17}".join(reasons))
    typer.echo(f"{'signed_by':>15}: {', '.join(details.signed_by) or 'nobody yet'}")
    failure = data["failure"]
    if failure:
        said = f" (the bank wrote: {failure['bank_text']})" if failure["bank_text"] else ""
        typer.echo(f"{'why':>15}: {failure['reason']}{said} [{failure['kind']}]")
    if details.duplicates_of:
        typer.echo("Looks like (check that this one is not paid already):")
        for twin in details.duplicates_of:
            typer.echo(f"  {_twin_line(twin, language)}")
    if credits:
        typer.echo("Open credit items of this supplier (settle them before paying):")
        for item in details.open_credit_items:
            amount = format_money(item["amount"], item["currency"], language)
            typer.echo(f"  voucher {item['voucher_no']}: {amount}")
    typer.echo("History:")
    for event in details.history:
        at = event["at"].astimezone(ctx.settings().zone)
        typer.echo(f"  {at:%Y-%m-%d %H:%M:%S %Z} {event['actor']}: {event['action']}")
        alarm = (event.get("details") or {}).get("message")
        if str(event["action"]).startswith("alarm.") and alarm:
            typer.echo(f"      {alarm}")  # an alarm says what a person must do


def _twin_line(twin: "DuplicateOf", language: Language) -> str:
    """A payment a possible duplicate looks like, in English:
    "#6 · Paid 2 Dec 2026 · NOK 2,219.00 · invoice F-100 / KID 1234567897"."""
    from paybot.core.formatting import reference_text
    from paybot.core.money import format_money

    p = twin.payment
    status = p.status.label
    if twin.money_left and twin.paid_at is not None:
        paid = twin.paid_at.astimezone(ctx.settings().zone).date()
        status = f"Paid {paid.day} {paid:%b %Y}"
        if p.status is PaymentStatus.POSTED:
            status += ", posted"
    said = [f"#{p.id}", status, format_money(p.amount, p.currency, language)]
    invoice = f"invoice {p.invoice_no}" if p.invoice_no else None
    reference = reference_text(p.reference_type, p.reference, language)
    named = " / ".join(part for part in (invoice, reference) if part)
    return " · ".join([*said, named] if named else said)


def _payee_value(key: str, value: str, language: "Language") -> str:
    """A payee detail as `payments show` prints it: a purpose code with its name."""
    if key != "purpose_code":
        return value
    from paybot.core.purpose_codes import name

    named = name(value, language.value)
    return value if named is None else f"{value} ({named})"


def _print(found: "list[PaymentView]", as_json: bool, title: str) -> None:
    from paybot.cli.render import payment_dict, payments_table

    if as_json:
        ctx.print_json({"payments": [payment_dict(p) for p in found]})
    else:
        payments_table(found, title=title)


@payments_app.command("unsign")
def payments_unsign(payment_id: PaymentId, as_user: As, team: Team = None) -> None:
    """Take a signature back while the payment waits to be sent (Due → Approved)."""
    from paybot.services import signing
    from paybot.services.common import ActorRef

    with ctx.user_errors():
        payment = signing.unsign(
            ctx.uow(), actor=ActorRef(as_user, team), payment_id=payment_id, now=ctx.now()
        )
    typer.echo(f"Unsigned payment {payment.id}: now {payment.status.value}; sign it again to send.")


@payments_app.command("resolve-missing")
def payments_resolve_missing(
    payment_id: PaymentId,
    as_user: As,
    money_left: Annotated[
        bool | None,
        typer.Option(
            "--money-left/--money-not-left",
            help="What the netbank shows: the money left (Paid), or it did not.",
        ),
    ] = None,
    team: Team = None,
) -> None:
    """Record what the netbank shows for a payment the bank never answered for."""
    if money_left is None:
        ctx.fail("say what the netbank shows: --money-left or --money-not-left")
    from paybot.services import netbank
    from paybot.services.common import ActorRef

    with ctx.user_errors():
        payment = netbank.resolve_missing(
            ctx.uow(),
            actor=ActorRef(as_user, team),
            payment_id=payment_id,
            money_left=bool(money_left),
            now=ctx.now(),
            gateways=ctx.gateway_for,
        )
    if payment.status.value == "paid":
        typer.echo(f"Payment {payment.id} is Paid: the money left the account.")
    else:
        typer.echo(
            f"Payment {payment.id} stays Failed: the money did not leave; fix and sign again."
        )


@payments_app.command("resolve-hold")
def payments_resolve_hold(
    payment_id: PaymentId,
    as_user: As,
    paid: Annotated[
        bool | None,
        typer.Option(
            "--paid/--not-paid",
            help="What the netbank shows: paid once (any other send stopped), or not paid at "
            "all (every send stopped).",
        ),
    ] = None,
    team: Team = None,
) -> None:
    """Settle a payment On hold (the bank booked one send while another could still leave, or
    booked another amount), after looking at the netbank."""
    if paid is None:
        ctx.fail("say what the netbank shows: --paid or --not-paid")
    from paybot.services import netbank
    from paybot.services.common import ActorRef

    with ctx.user_errors():
        payment = netbank.resolve_hold(
            ctx.uow(),
            actor=ActorRef(as_user, team),
            payment_id=payment_id,
            paid=bool(paid),
            now=ctx.now(),
        )
    if payment.status is PaymentStatus.PAID:
        typer.echo(f"Payment {payment.id} is Paid; its other sends are recorded as stopped.")
    else:
        typer.echo(f"Payment {payment.id} is Failed, not paid: fix it if needed and sign again.")
