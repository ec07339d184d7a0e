"""`paybot users`: people, their roles and signing limits."""

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer

from paybot.cli import context as ctx
from paybot.core.errors import ValidationFailed
from paybot.core.policy import Role

if TYPE_CHECKING:
    from paybot.services.common import Keep
    from paybot.services.people import Member

users_app = ctx.group("People and their roles and limits per company.")

CompanyOption = Annotated[
    str, typer.Option(metavar="ORG_NO", help="The company's organisation number.")
]
SlackUser = Annotated[
    str, typer.Option("--slack-user", metavar="USER", help="Slack user id, e.g. U012AB3CD.")
]
SlackTeam = Annotated[str, typer.Option("--slack-team", metavar="TEAM", help="Slack team id.")]
OptionalTeam = Annotated[
    str | None, typer.Option("--slack-team", metavar="TEAM", help="Slack team id.")
]
LimitOption = Annotated[
    str | None,
    typer.Option(
        metavar="AMOUNT",
        help="Amount in the company's currency, e.g. '100 000', or 'none' for no limit.",
    ),
]
_ROLES = ctx.one_of(Role)


@users_app.command("add")
def users_add(
    company: CompanyOption,
    slack_user: SlackUser,
    name: Annotated[str, typer.Option(metavar="NAME", help="The person's name.")],
    role: Annotated[
        list[Role], typer.Option(metavar="ROLE", help=f"A role ({_ROLES}); repeat for several.")
    ],
    slack_team: SlackTeam = "",
) -> None:
    """Add a person to a company with one or more roles (adds roles if they exist)."""
    from paybot.services import people

    with ctx.user_errors():
        member = people.add_user(
            ctx.uow(),
            company_org_no=company,
            slack_user_id=slack_user,
            name=name,
            roles=role,
            slack_team_id=slack_team,
            now=ctx.now(),
        )
    typer.echo(_describe(member))


@users_app.command("set")
def users_set(
    company: CompanyOption,
    slack_user: SlackUser,
    role: Annotated[
        list[Role] | None,
        typer.Option(
            metavar="ROLE", help=f"The roles the person has from now on ({_ROLES}); repeatable."
        ),
    ] = None,
    max_per_payment: LimitOption = None,
    max_per_day: LimitOption = None,
    name: Annotated[
        str | None, typer.Option(metavar="NAME", help="A new name for the person.")
    ] = None,
    slack_team: OptionalTeam = None,
) -> None:
    """Change a person's roles, signing limits or name (what is not given stays as it is)."""
    from paybot.services import people
    from paybot.services.common import KEEP, ActorRef

    with ctx.user_errors():
        member = people.set_user(
            ctx.uow(),
            company_org_no=company,
            user=ActorRef(slack_user, slack_team),
            roles=KEEP if role is None else role,
            name=name,
            max_per_payment=_limit("max_per_payment", max_per_payment),
            max_per_day=_limit("max_per_day", max_per_day),
            now=ctx.now(),
        )
    typer.echo(_describe(member))


@users_app.command("remove")
def users_remove(
    company: CompanyOption,
    slack_user: SlackUser,
    slack_team: OptionalTeam = None,
) -> None:
    """Take every role and limit in the company away from a person."""
    from paybot.services import people
    from paybot.services.common import ActorRef

    with ctx.user_errors():
        people.remove_user(
            ctx.uow(), company_org_no=company, user=ActorRef(slack_user, slack_team), now=ctx.now()
        )
    typer.echo(f"{slack_user} has no role in {company} any more.")


@users_app.command("list")
def users_list(
    company: CompanyOption,
    as_json: ctx.AsJson = False,
) -> None:
    """Everyone with a role in the company, with limits and one-time-code status."""
    from paybot.services import people

    with ctx.user_errors():
        members = people.list_users(ctx.uow(), company_org_no=company, now=ctx.now())
    if as_json:
        ctx.print_json({"users": [_member_dict(m) for m in members]})
        return
    for member in members:
        typer.echo(_describe(member))


def _limit(field: str, text: str | None) -> "Decimal | None | Keep":
    from paybot.core.money import AmountError, parse_amount
    from paybot.services.common import KEEP

    if text is None:
        return KEEP
    if text.strip().lower() == "none":
        return None
    try:
        return parse_amount(text)
    except AmountError as exc:
        raise ValidationFailed({field: str(exc)}) from exc


def _member_dict(member: "Member") -> dict[str, object]:
    limits = member.limits
    return {
        "slack_user_id": member.slack_user_id,
        "slack_team_id": member.slack_team_id,
        "name": member.name,
        "roles": [role.value for role in member.roles],
        "max_per_payment": None if limits.per_payment is None else f"{limits.per_payment:.2f}",
        "max_per_day": None if limits.per_day is None else f"{limits.per_day:.2f}",
        "one_time_code": member.code,
    }


def _describe(member: "Member") -> str:
    from paybot.core.money import format_money

    roles = ", ".join(role.value for role in member.roles) or "no role"
    limits = member.limits
    per_payment, per_day = (
        "no limit" if value is None else format_money(value, member.currency, member.language)
        for value in (limits.per_payment, limits.per_day)
    )
    return (
        f"{member.name} ({member.slack_user_id}): {roles}; per payment {per_payment}, "
        f"per day {per_day}; one-time code {member.code}."
    )
