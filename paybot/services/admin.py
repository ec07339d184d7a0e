"""What a company's admins do from Slack: set other people's signing limits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from paybot.core.errors import NotPermitted
from paybot.core.policy import Role
from paybot.services import people
from paybot.services.common import KEEP, ActorRef, Keep, company_or_error, resolve_actor, roles_of
from paybot.services.people import Member
from paybot.store.uow import UnitOfWork


def set_limits(
    uow: UnitOfWork,
    *,
    actor: ActorRef,
    company_org_no: str,
    user: ActorRef,
    max_per_payment: Decimal | None | Keep = KEEP,
    max_per_day: Decimal | None | Keep = KEEP,
    now: datetime,
) -> Member:
    """Sets another person's signing limits (None: no limit; KEEP: as it is).

    Only an admin of the company may; nobody sets their own limits here, so raising one's own
    signing power always takes a second person (or the operator's `paybot users set`).

    Raises:
        NotPermitted: the actor is not an admin of the company, or names themselves.
        NotFound: no such company, or the person has no role in it.
        ValidationFailed: a limit that is not a positive amount in the company's currency.
    """
    with uow:
        company = company_or_error(uow, company_org_no)
        admin = resolve_actor(uow, actor)
        if Role.ADMIN not in roles_of(uow, admin, company.id):
            raise NotPermitted(
                f"{admin.label} may not set signing limits in {company.name}: that needs the "
                "admin role."
            )
        person = resolve_actor(uow, user)
        if person.user_id == admin.user_id:
            raise NotPermitted(
                f"You cannot set your own signing limits; another admin of {company.name} can."
            )
        member = people.change_member(
            uow,
            company=company,
            user=user,
            max_per_payment=max_per_payment,
            max_per_day=max_per_day,
            now=now,
            actor=admin,
        )
        uow.commit()
    return member
