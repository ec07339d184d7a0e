"""Setting up companies and the people who work in them."""

from __future__ import annotations

from datetime import datetime

from paybot.core.company import CompanyInfo, DispatchTiming
from paybot.core.errors import ValidationFailed
from paybot.core.identifiers import account_problem, compact_account, is_iban_like, normalize_org_no
from paybot.core.policy import Actor
from paybot.services.common import SYSTEM, audit
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
