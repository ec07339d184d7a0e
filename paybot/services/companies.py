"""Setting up companies and the people who work in them."""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from paybot.core.company import CompanyInfo, DispatchTiming, Language, PostingMode
from paybot.core.errors import ValidationFailed
from paybot.core.identifiers import account_problem, compact_account, is_iban_like, normalize_org_no
from paybot.core.money import AmountError, quantize
from paybot.core.policy import Actor
from paybot.services.common import KEEP, SYSTEM, Keep, audit, company_or_error
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


def update_settings(
    uow: UnitOfWork,
    *,
    org_no: str,
    timing: DispatchTiming | None = None,
    approval_required: bool | None = None,
    dual_control_threshold: Decimal | None | Keep = KEEP,
    posting_mode: PostingMode | None = None,
    language: Language | None = None,
    proposals_channel: str | None = None,
    alerts_channel: str | None = None,
    post_at: str | None = None,
    now: datetime,
    actor: Actor = SYSTEM,
) -> CompanyInfo:
    """Changes the settings given; the rest stay. A threshold of None turns dual control off."""
    values: dict[str, Any] = {}
    for name, channel in (
        ("proposals_channel", proposals_channel),
        ("alerts_channel", alerts_channel),
    ):
        if channel is not None:
            values[name] = _channel(name, channel)
    if post_at is not None:
        values["post_at"] = _clock_time(post_at)
    if timing is not None:
        values["dispatch_timing"] = timing.value
    if approval_required is not None:
        values["approval_required"] = approval_required
    if posting_mode is not None:
        values["posting_mode"] = posting_mode.value
    if language is not None:
        values["language"] = language.value
    with uow:
        company = company_or_error(uow, org_no)
        if not isinstance(dual_control_threshold, Keep):
            values["dual_control_threshold"] = _threshold(dual_control_threshold, company.currency)
        if not values:
            raise ValidationFailed({"settings": "give at least one setting to change"})
        before = {key: _setting(getattr(company, key)) for key in values}
        uow.companies.update(company.id, values)
        audit(
            uow,
            actor=actor,
            action="company.settings",
            now=now,
            company_id=company.id,
            before=before,
            after={key: _setting(value) for key, value in values.items()},
        )
        updated = uow.companies.get_by_id(company.id)
        uow.commit()
    return updated


def _channel(name: str, text: str) -> str:
    """A Slack channel id (C..., G...); names change, ids do not."""
    channel = text.strip().lstrip("#")
    if not re.fullmatch(r"[CGD][A-Z0-9]{6,}", channel):
        raise ValidationFailed(
            {name: f"{text!r} is not a Slack channel id (like C0123ABCD: the channel's details)"}
        )
    return channel


def _clock_time(text: str) -> str:
    try:
        at = time.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValidationFailed({"post_at": f"{text!r} is not a time of day like 08:00"}) from exc
    if at.second or at.microsecond or at.tzinfo:
        raise ValidationFailed({"post_at": f"{text!r}: give hours and minutes, like 08:00"})
    return at.strftime("%H:%M")


def _threshold(value: Decimal | None, currency: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = quantize(value, currency)
    except AmountError as exc:
        raise ValidationFailed({"dual_control_threshold": str(exc)}) from exc
    if amount < 0:
        raise ValidationFailed({"dual_control_threshold": "must be zero or more"})
    return amount


def _setting(value: Any) -> Any:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Enum):
        return value.value
    return None if value is None else str(value) if isinstance(value, Decimal) else value


def set_bank_account(
    uow: UnitOfWork,
    *,
    org_no: str,
    account: str,
    values: dict[str, Any],
    now: datetime,
    actor: Actor = SYSTEM,
) -> dict[str, Any]:
    """Changes how one of the company's accounts reaches its bank (gateway, folders, format)."""
    compact = compact_account(account)
    with uow:
        company = company_or_error(uow, org_no)
        matches = [a for a in uow.bank.accounts(company.id) if a.account == compact]
        if not matches:
            known = ", ".join(a.account for a in uow.bank.accounts(company.id)) or "none"
            raise ValidationFailed(
                {"account": f"{company.name} has no bank account {account} (it has: {known})"}
            )
        if "sandbox" in values:  # rules given now join the ones set before
            values = {**values, "sandbox": {**matches[0].sandbox, **values["sandbox"]}}
        if values:
            uow.bank.update_account(matches[0].id, values)
        audit(
            uow,
            actor=actor,
            action="bank_account.set",
            now=now,
            company_id=company.id,
            details={
                "account": compact,
                **{k: v for k, v in values.items() if k != "sftp_key_path"},
            },
        )
        settings = uow.bank.account(matches[0].id)
        uow.commit()
    return {
        "account": settings.account,
        "gateway": settings.gateway,
        "file_format": settings.file_format,
        "outbox": settings.outbox,
        "inbox": settings.inbox,
        "outgoing": settings.outgoing,
        "sandbox": settings.sandbox,
    }
