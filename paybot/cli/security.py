"""`paybot otp`, `paybot rates` and `paybot audit`: codes, exchange rates, the audit trail."""

import io
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import typer

from paybot.cli import context as ctx
from paybot.core.errors import ValidationFailed

otp_app = ctx.group("One-time codes for signing (an authenticator app).")
rates_app = ctx.group("Exchange rates to the company's currency.")
audit_app = ctx.group("The audit trail.")

SlackUser = Annotated[
    str, typer.Option("--slack-user", metavar="USER", help="Slack user id, e.g. U012AB3CD.")
]
SlackTeam = Annotated[
    str | None, typer.Option("--slack-team", metavar="TEAM", help="Slack team id.")
]
Code = Annotated[str, typer.Option(metavar="CODE", help="The 6-digit code the app shows now.")]


@otp_app.command("new-key")
def otp_new_key() -> None:
    """Print a new key for PAYBOT_SECRET_KEY (it encrypts the code secrets)."""
    from paybot.services.secrets import SecretBox

    typer.echo(SecretBox.new_key())


@otp_app.command("enroll")
def otp_enroll(
    company: Annotated[
        str, typer.Option(metavar="ORG_NO", help="The company's organisation number.")
    ],
    slack_user: SlackUser,
    slack_team: SlackTeam = None,
) -> None:
    """Create a code secret: scan the QR code with an authenticator app, then `otp confirm`."""
    import qrcode

    from paybot.services import otp
    from paybot.services.common import ActorRef

    with ctx.user_errors():
        enrollment = otp.enroll(
            ctx.uow(),
            ctx.secret_box(),
            company_org_no=company,
            user=ActorRef(slack_user, slack_team),
            now=ctx.now(),
        )
    qr = qrcode.QRCode(border=2)
    qr.add_data(enrollment.uri)
    picture = io.StringIO()
    qr.print_ascii(out=picture, invert=True)
    typer.echo(picture.getvalue())
    typer.echo(f"Scan this with an authenticator app, or add this link: {enrollment.uri}")
    typer.echo(
        f"Then confirm with a first code: paybot otp confirm --slack-user {slack_user} --code CODE"
    )


@otp_app.command("confirm")
def otp_confirm(
    slack_user: SlackUser,
    code: Code,
    slack_team: SlackTeam = None,
) -> None:
    """Activate an enrolled device with a first code."""
    from paybot.services import otp
    from paybot.services.common import ActorRef

    with ctx.user_errors():
        otp.confirm(
            ctx.uow(),
            ctx.secret_box(),
            user=ActorRef(slack_user, slack_team),
            code=code,
            now=ctx.now(),
        )
    typer.echo(f"The one-time-code device of {slack_user} is active: they can sign.")


@otp_app.command("unlock")
def otp_unlock(slack_user: SlackUser, slack_team: SlackTeam = None) -> None:
    """Lift the lock after too many wrong codes."""
    from paybot.services import otp
    from paybot.services.common import ActorRef

    with ctx.user_errors():
        otp.unlock(ctx.uow(), user=ActorRef(slack_user, slack_team), now=ctx.now())
    typer.echo(f"Signing is unlocked for {slack_user}.")


@otp_app.command("reset")
def otp_reset(slack_user: SlackUser, slack_team: SlackTeam = None) -> None:
    """Remove a device (lost phone): the person enrolls again before signing."""
    from paybot.services import otp
    from paybot.services.common import ActorRef

    with ctx.user_errors():
        otp.reset(ctx.uow(), user=ActorRef(slack_user, slack_team), now=ctx.now())
    typer.echo(f"{slack_user} has no one-time-code device now; enroll again to sign.")


@otp_app.command("rotate-key")
def otp_rotate_key() -> None:
    """Re-encrypt every secret with the first key of PAYBOT_SECRET_KEY ("new,old")."""
    from paybot.services import otp

    with ctx.user_errors():
        count = otp.rotate_key(ctx.uow(), ctx.secret_box(), now=ctx.now())
    typer.echo(f"Re-encrypted {count} secret(s) with the newest key; the old key can go now.")


@rates_app.command("set")
def rates_set(
    currency: Annotated[str, typer.Argument(metavar="CURRENCY", help="The currency, e.g. EUR.")],
    rate: Annotated[
        str,
        typer.Argument(metavar="RATE", help="Company-currency units for one unit, e.g. 11.52."),
    ],
    valid_from: Annotated[
        str | None,
        typer.Option("--date", metavar="DATE", help="Valid from this date (default: today)."),
    ] = None,
    quote: Annotated[
        str, typer.Option("--in", metavar="CURRENCY", help="The company's currency.")
    ] = "NOK",
) -> None:
    """Set an exchange rate (used to check limits of payments in other currencies)."""
    from paybot.services import rates

    with ctx.user_errors():
        value = _rate(rate)
        day = _date(valid_from) if valid_from else ctx.now().astimezone(ctx.settings().zone).date()
        rates.set_rate(
            ctx.uow(),
            currency=currency,
            rate=value,
            valid_from=day,
            quote_currency=quote,
            now=ctx.now(),
        )
    typer.echo(f"1 {currency.upper()} = {value} {quote.upper()} from {day.isoformat()}.")


@rates_app.command("list")
def rates_list() -> None:
    """All exchange rates."""
    from paybot.services import rates

    with ctx.user_errors():
        found = rates.list_rates(ctx.uow())
    for currency, quote, day, value in found:
        typer.echo(f"{day.isoformat()}  1 {currency} = {value.normalize():f} {quote}")
    if not found:
        typer.echo("No exchange rates yet: `paybot rates set EUR 11.52`.")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit trail's hash chain; name the first event that does not match."""
    from paybot.services import audit_trail

    with ctx.user_errors():
        result = audit_trail.verify(ctx.uow())
    if result.intact:
        typer.echo(f"The audit trail is intact: {result.events} event(s), every hash matches.")
        typer.echo(
            f"Newest hash: {result.head}. Note it elsewhere: events removed from the end show "
            "as a different newest hash."
        )
        return
    ctx.fail(f"Audit event {result.broken_at} does not match: {result.problem}.", code=2)


@audit_app.command("log")
def audit_log(
    limit: Annotated[
        int, typer.Option(metavar="COUNT", help="How many of the newest events.")
    ] = 50,
    action: Annotated[
        str | None,
        typer.Option(metavar="PREFIX", help="Only actions starting with this, e.g. otp. or user."),
    ] = None,
    as_json: ctx.AsJson = False,
) -> None:
    """The newest events of the whole trail (wrong codes, locks, roles, limits, rates, ...)."""
    from paybot.services import audit_trail

    with ctx.user_errors():
        events = audit_trail.latest(ctx.uow(), limit=limit, action=action)
    if as_json:
        ctx.print_json({"events": events})
        return
    _print_events(events)


@audit_app.command("show")
def audit_show(
    payment_id: Annotated[int, typer.Argument(metavar="PAYMENT_ID", help="Payment id.")],
    as_json: ctx.AsJson = False,
) -> None:
    """A payment's history: who did what, when, and what changed."""
    from paybot.services import audit_trail

    with ctx.user_errors():
        events = audit_trail.history(ctx.uow(), payment_id=payment_id)
    if as_json:
        ctx.print_json({"payment_id": payment_id, "events": events})
        return
    _print_events(events)


def _print_events(events: list[dict[str, Any]]) -> None:
    zone = ctx.settings().zone
    for event in events:
        at = event["at"].astimezone(zone)
        about = f" (payment {event['payment_id']})" if event.get("payment_id") else ""
        change = ""
        if event["before"] or event["after"]:
            change = f"  {_plain(event['before'])} -> {_plain(event['after'])}"
        typer.echo(f"{at:%Y-%m-%d %H:%M:%S %Z}  {event['actor']}: {event['action']}{about}{change}")
        if event["details"]:
            typer.echo(f"    {_plain(event['details'])}")


def _plain(values: dict[str, Any] | None) -> str:
    return ", ".join(f"{key}={value}" for key, value in (values or {}).items()) or "-"


def _rate(text: str) -> Decimal:
    from paybot.core.money import AmountError, parse_amount

    try:
        return parse_amount(text)
    except AmountError as exc:
        raise ValidationFailed({"rate": str(exc)}) from exc


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed({"date": f"{text!r} is not a date like 2026-11-23"}) from exc
