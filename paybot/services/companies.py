"""Setting up companies and the people who work in them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from paybot.core.company import CompanyInfo, DispatchTiming
from paybot.core.errors import ValidationFailed
from paybot.core.identifiers import account_problem, compact_account, is_iban_like, normalize_org_no
from paybot.core.policy import Actor, Role
from paybot.services.common import SYSTEM, audit, company_or_error
from paybot.store.uow import UnitOfWork


def add_company(
    uow: UnitOfWork,
    *,
    org_no: str,
    name: str,
    account: str,
    bank: str | None = None,
    timing: DispatchTiming = DispatchTiming.DUE,
    now: datetime,
    actor: Actor = SYSTEM,
) -> CompanyInfo:
    errors: dict[str, str] = {}
    try:
        org_no = normalize_org_no(org_no)
    except ValueError as exc:
        errors["org_no"] = str(exc)
    if not name.strip():
        errors["name"] = "a company needs a name"
    problem = account_problem(account)
    if problem:
        errors["account"] = problem
    if errors:
        raise ValidationFailed(errors)
    compact = compact_account(account)
    with uow:
        if uow.companies.exists(org_no):
            raise ValidationFailed(
                {"org_no": f"a company with organisation number {org_no} exists"}
            )
        company_id = uow.companies.add(
            {
                "org_no": org_no,
                "name": name.strip(),
                "dispatch_timing": timing.value,
                "created_at": now,
                "currency": "NOK",
                "approval_required": False,
                "posting_mode": "per_payment",
                "language": "en",
            },
            {
                "account": compact,
                "scheme": "iban" if is_iban_like(compact) else "bban",
                "bank": bank,
                "incoming": True,
                "outgoing": True,
                "gl_account": "1920",
                "tax_withholding": False,
            },
        )
        audit(
            uow,
            actor=actor,
            action="company.add",
            now=now,
            company_id=company_id,
            after={"org_no": org_no, "name": name.strip(), "account": compact, "timing": timing},
        )
        company = uow.companies.get_by_id(company_id)
        uow.commit()
    return company


def list_companies(uow: UnitOfWork) -> list[CompanyInfo]:
    with uow:
        return uow.companies.all()


@dataclass(frozen=True)
class MemberResult:
    slack_user_id: str
    name: str
    roles: tuple[Role, ...]
    added: tuple[Role, ...]


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
) -> MemberResult:
    roles = set(roles)
    if not slack_user_id.strip():
        raise ValidationFailed({"slack_user": "a Slack user id is needed, e.g. U012AB3CD"})
    if not roles:
        raise ValidationFailed({"role": "give at least one role"})
    with uow:
        company = company_or_error(uow, company_org_no)
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
        all_roles = uow.users.roles(user_id, company.id)
        uow.commit()
    return MemberResult(
        slack_user_id=slack_user_id,
        name=name,
        roles=tuple(sorted(Role(r) for r in all_roles)),
        added=tuple(sorted(Role(r) for r in added)),
    )
