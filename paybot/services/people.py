"""People in a company: roles, signing limits, and what they may do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from paybot.core.company import CompanyInfo, Language
from paybot.core.errors import NotFound, ValidationFailed
from paybot.core.money import AmountError, quantize
from paybot.core.policy import Actor, Role
from paybot.core.signing import SignerLimits
from paybot.services.common import (
    KEEP,
    SYSTEM,
    ActorRef,
    Keep,
    audit,
    company_or_error,
    resolve_actor,
)
from paybot.store.uow import UnitOfWork


@dataclass(frozen=True)
class Member:
    slack_user_id: str
    slack_team_id: str
    name: str
    roles: tuple[Role, ...]
    limits: SignerLimits
    currency: str  # of the limits: the company's
    code: str  # none, pending, active or locked
    language: Language = Language.EN  # the company's: its limits are shown in it


def add_user(
    uow: UnitOfWork,
    *,
    company_org_no: str,
    slack_user_id: str,
    name: str,
    roles: Iterable[Role],
    slack_team_id: str = "",
    now: datetime,
    actor: Actor = SYSTEM,
) -> Member:
    """Adds a person with roles (roles they have already are kept)."""
    roles = set(roles)
    if not slack_user_id.strip():
        raise ValidationFailed({"slack_user": "a Slack user id is needed, e.g. U012AB3CD"})
    if not roles:
        raise ValidationFailed({"role": "give at least one role"})
    with uow:
        company = company_or_error(uow, company_org_no)
        for _, known_as in uow.users.find(slack_user_id.strip(), slack_team_id):
            if known_as != name.strip():
                raise ValidationFailed(
                    {
                        "name": f"{slack_user_id} is known as {known_as}; to rename, use "
                        "`paybot users set --name`"
                    }
                )
        user_id = uow.users.upsert(slack_team_id, slack_user_id.strip(), name.strip())
        added = uow.users.add_roles(user_id, company.id, (role.value for role in roles))
        if added:
            audit(
                uow,
                actor=actor,
                action="user.roles_added",
                now=now,
                company_id=company.id,
                after={"slack_user_id": slack_user_id, "roles": sorted(added)},
            )
        member = _member(uow, user_id, company.id, slack_team_id, slack_user_id, name, now)
        uow.commit()
    return member


def set_user(
    uow: UnitOfWork,
    *,
    company_org_no: str,
    user: ActorRef,
    roles: Iterable[Role] | Keep = KEEP,
    name: str | None = None,
    max_per_payment: Decimal | None | Keep = KEEP,
    max_per_day: Decimal | None | Keep = KEEP,
    now: datetime,
    actor: Actor = SYSTEM,
) -> Member:
    """Changes a member's roles (to exactly those given) and signing limits (None: no limit)."""
    with uow:
        company = company_or_error(uow, company_org_no)
        member = change_member(
            uow,
            company=company,
            user=user,
            roles=roles,
            name=name,
            max_per_payment=max_per_payment,
            max_per_day=max_per_day,
            now=now,
            actor=actor,
        )
        uow.commit()
    return member


def change_member(
    uow: UnitOfWork,
    *,
    company: CompanyInfo,
    user: ActorRef,
    roles: Iterable[Role] | Keep = KEEP,
    name: str | None = None,
    max_per_payment: Decimal | None | Keep = KEEP,
    max_per_day: Decimal | None | Keep = KEEP,
    now: datetime,
    actor: Actor,
) -> Member:
    """The change of `set_user`, inside a transaction the caller opened and commits (so a
    caller's own permission check and the change are one transaction)."""
    person = resolve_actor(uow, user)
    assert person.user_id is not None
    before_roles = sorted(uow.users.roles(person.user_id, company.id))
    if not before_roles:
        raise NotFound(f"{person.label} has no role in {company.name}; add them first.")
    if name is not None and name.strip() and name.strip() != person.label.rsplit(" (", 1)[0]:
        uow.users.rename(person.user_id, name.strip())
    if not isinstance(roles, Keep):
        wanted = {role.value for role in roles}
        if not wanted:
            raise ValidationFailed({"role": "give at least one role, or use `users remove`"})
        uow.users.set_roles(person.user_id, company.id, wanted)
    before_limits = uow.limits.get(person.user_id, company.id)
    limits = SignerLimits(
        per_payment=_limit(max_per_payment, before_limits.per_payment, company.currency),
        per_day=_limit(max_per_day, before_limits.per_day, company.currency),
    )
    uow.limits.set(person.user_id, company.id, limits)
    after_roles = sorted(uow.users.roles(person.user_id, company.id))
    audit(
        uow,
        actor=actor,
        action="user.set",
        now=now,
        company_id=company.id,
        before={"name": person.label, "roles": before_roles, **_limits_dict(before_limits)},
        after={"name": name or person.label, "roles": after_roles, **_limits_dict(limits)},
        details={"slack_user_id": user.slack_user_id},
    )
    return _member_of(uow, person.user_id, company.id, now)


def remove_user(
    uow: UnitOfWork, *, company_org_no: str, user: ActorRef, now: datetime, actor: Actor = SYSTEM
) -> None:
    """Takes every role and limit in the company away from a person."""
    with uow:
        company = company_or_error(uow, company_org_no)
        person = resolve_actor(uow, user)
        assert person.user_id is not None
        roles = sorted(uow.users.roles(person.user_id, company.id))
        if not roles:
            raise NotFound(f"{person.label} has no role in {company.name}.")
        uow.users.set_roles(person.user_id, company.id, [])
        uow.limits.remove(person.user_id, company.id)
        audit(
            uow,
            actor=actor,
            action="user.remove",
            now=now,
            company_id=company.id,
            before={"roles": roles},
            after={"roles": []},
            details={"slack_user_id": user.slack_user_id},
        )
        uow.commit()


def list_users(uow: UnitOfWork, *, company_org_no: str, now: datetime) -> list[Member]:
    with uow:
        company = company_or_error(uow, company_org_no)
        return [
            _member(uow, user_id, company.id, team, slack_id, name, now)
            for user_id, team, slack_id, name in uow.users.members(company.id)
        ]


def _limit(value: Decimal | None | Keep, before: Decimal | None, currency: str) -> Decimal | None:
    if isinstance(value, Keep):
        return before
    if value is None:
        return None
    try:
        amount = quantize(value, currency)
    except AmountError as exc:
        raise ValidationFailed({"limit": str(exc)}) from exc
    if amount <= 0:
        raise ValidationFailed({"limit": f"a limit must be above zero, not {value}"})
    return amount


def _limits_dict(limits: SignerLimits) -> dict[str, str | None]:
    return {
        "max_per_payment": None if limits.per_payment is None else str(limits.per_payment),
        "max_per_day": None if limits.per_day is None else str(limits.per_day),
    }


def _member_of(uow: UnitOfWork, user_id: int, company_id: int, now: datetime) -> Member:
    for member_id, team, slack_id, name in uow.users.members(company_id):
        if member_id == user_id:
            return _member(uow, user_id, company_id, team, slack_id, name, now)
    raise NotFound("That person has no role in the company.")  # pragma: no cover


def _member(
    uow: UnitOfWork,
    user_id: int,
    company_id: int,
    team: str,
    slack_id: str,
    name: str,
    now: datetime,
) -> Member:
    device = uow.otp.get(user_id)
    if device is None:
        code = "none"
    else:
        state = device[1]
        code = "locked" if state.is_locked(now) else ("active" if state.active else "pending")
    company = uow.companies.get_by_id(company_id)
    return Member(
        slack_user_id=slack_id,
        slack_team_id=team,
        name=name,
        roles=tuple(sorted(Role(r) for r in uow.users.roles(user_id, company_id))),
        limits=uow.limits.get(user_id, company_id),
        currency=company.currency,
        code=code,
        language=company.language,
    )


@dataclass(frozen=True)
class Membership:
    company: CompanyInfo
    roles: tuple[Role, ...]


def memberships(uow: UnitOfWork, *, user: ActorRef) -> list[Membership]:
    """The companies a person has a role in (for what Slack shows them); none if unknown."""
    with uow:
        return member_of(uow, user)


def member_of(uow: UnitOfWork, user: ActorRef) -> list[Membership]:
    """`memberships`, inside the caller's unit of work."""
    found = uow.users.find(user.slack_user_id, user.slack_team_id)
    if len(found) != 1:
        return []
    roles = uow.users.roles_by_company(found[0][0])
    if not roles:
        return []
    return [
        Membership(company, tuple(sorted(Role(r) for r in roles[company.id])))
        for company in uow.companies.many(ids=roles)
    ]
