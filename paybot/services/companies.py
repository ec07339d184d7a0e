"""Setting up companies and the people who work in them.

`paybot company list` (and the CLI's look-up of a company's language) reads companies only: the
identifier checks (python-stdnum), the flags and the vouchers' accounts are imported by the use
cases that change companies and accounts, when they run.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

from paybot.core.company import BankAccount, CompanyInfo, DispatchTiming, Language, PostingMode
from paybot.core.errors import ValidationFailed
from paybot.core.money import AmountError, quantize
from paybot.core.policy import Actor
from paybot.services.common import KEEP, SYSTEM, Keep, audit, company_or_error
from paybot.store.uow import UnitOfWork

if TYPE_CHECKING:
    from paybot.store.banking import BankAccountSettings


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
    from paybot.core.identifiers import (
        account_problem,
        compact_account,
        is_iban_like,
        normalize_org_no,
    )

    errors: dict[str, str] = {}
    try:
        org_no = normalize_org_no(org_no)
    except ValueError as exc:
        errors["org_no"] = str(exc)
    if not name.strip():
        errors["name"] = "a company needs a name"
    elif said := _name_problem(name):
        errors["name"] = said
    problem = account_problem(account)
    if problem:
        errors["account"] = problem
    if errors:
        raise ValidationFailed(errors)
    compact = compact_account(account)
    _refuse_unnamed_bank_profile(compact, profile=None, bank=bank, bic=None)  # it sends
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
    rounding_tolerance: Decimal | None = None,
    reporting_threshold: Decimal | None = None,
    now: datetime,
    actor: Actor = SYSTEM,
) -> CompanyInfo:
    """Changes the settings given; the rest stay. A threshold of None turns dual control off.
    `rounding_tolerance`: the largest difference an incoming payment may have from the invoice
    it pays and still close it (øreavrunding), 0 or more. `reporting_threshold`: the NOK amount
    above which a payment abroad carries its purpose; the flags are renewed."""
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
        if rounding_tolerance is not None:
            values["rounding_tolerance"] = _tolerance(rounding_tolerance, company.currency)
        if reporting_threshold is not None:
            values["reporting_threshold"] = _reporting_threshold(reporting_threshold)
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
        if "reporting_threshold" in values:
            from paybot.services.proposals import reflag

            reflag(uow, company.id)  # a payment abroad may cross it either way
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


def _reporting_threshold(value: Decimal) -> Decimal:
    try:
        amount = quantize(value, "NOK")
    except AmountError as exc:
        raise ValidationFailed({"reporting_threshold": str(exc)}) from exc
    if amount < 0:
        raise ValidationFailed({"reporting_threshold": "must be zero or more"})
    return amount


def _tolerance(value: Decimal, currency: str) -> Decimal:
    try:
        amount = quantize(value, currency)
    except AmountError as exc:
        raise ValidationFailed({"rounding_tolerance": str(exc)}) from exc
    if amount < 0:
        raise ValidationFailed({"rounding_tolerance": "must be zero or more"})
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
    """Changes how one of the company's accounts reaches its bank (gateway, folders, format),
    its agreements (`incoming`, `outgoing`: payments in, payments out), its bank's name (`bank`)
    and whether it is the company's tax-withholding account (`tax_withholding`; one at most);
    the bank's BIC (`bic`; "" clears it) and whose pain.001 guide its files follow (`profile`;
    None: the bank that holds the account decides).

    A BIC must be one (core.identifiers.is_bic), and the bank the account's bank code says where
    Bits' register knows it; a profile must be the guide of the bank that holds the account (by
    its bank code, else the BIC): the files would name another bank than the one they go to."""
    from paybot.core.bank_profiles import account_profile
    from paybot.core.identifiers import compact_account
    from paybot.services.proposals import reflag

    compact = compact_account(account)
    with uow:
        company = company_or_error(uow, org_no)
        matches = [a for a in uow.bank.accounts(company.id) if a.account == compact]
        if not matches:
            known = ", ".join(a.account for a in uow.bank.accounts(company.id)) or "none"
            raise ValidationFailed(
                {"account": f"{company.name} has no bank account {account} (it has: {known})"}
            )
        if values.get("tax_withholding"):
            _refuse_second_tax_account(uow, company, compact)
        if "bic" in values:
            values = {**values, "bic": _checked_bic(values["bic"], matches[0])}
        if "profile" in values or "bic" in values:
            # A new BIC is checked against the profile in effect too: never a way around it.
            profile = values["profile"] if "profile" in values else matches[0].profile
            if profile:
                bic = values["bic"] if "bic" in values else matches[0].bic
                _check_profile(profile, matches[0], bic)
        if "sandbox" in values:  # rules given now join the ones set before
            values = {**values, "sandbox": {**matches[0].sandbox, **values["sandbox"]}}
        if values:
            uow.bank.update_account(matches[0].id, values)
        settings = uow.bank.account(matches[0].id)
        _refuse_unnamed_bank(settings)
        if "tax_withholding" in values or "bank" in values:
            reflag(uow, company.id)  # payments to a tax-withholding account may turn red
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
        profile, source = account_profile(
            settings.profile, bank=settings.bank, bic=settings.bic, account=settings.account
        )
        incoming = any(a.incoming for a in company.accounts if a.account == compact)
        uow.commit()
    return {
        "account": settings.account,
        "gateway": settings.gateway,
        "file_format": settings.file_format,
        "outbox": settings.outbox,
        "inbox": settings.inbox,
        "incoming": values.get("incoming", incoming),
        "outgoing": settings.outgoing,
        "sandbox": settings.sandbox,
        "bank": settings.bank,
        "tax_withholding": settings.tax_withholding,
        "profile": profile.name,
        "profile_source": source.value,
    }


def _checked_bic(typed: str | None, account: BankAccountSettings) -> str | None:
    """The company's bank BIC as stored (compact, upper case; None: cleared), where it is a BIC
    and, if Bits' register knows the account's bank code, that bank's."""
    from paybot.core.bank_profiles import debtor_bic
    from paybot.core.identifiers import format_account, is_bic

    text = (typed or "").strip()
    compact = "".join(text.split())
    compact = compact.upper() if compact.isascii() else compact  # "ı".upper() is I: not a BIC
    if not compact:
        return None
    if not is_bic(compact):
        raise ValidationFailed(
            {
                "bic": f"{text} is not a BIC: 8 or 11 letters and digits, the 5th and 6th a "
                "country's code, such as DNBANOKK"
            }
        )
    registered = debtor_bic(account.account)
    if registered is not None and compact[:8] != registered[:8]:
        raise ValidationFailed(
            {
                "bic": f"{format_account(account.account)} is held by {registered} (its bank "
                f"code says so), not by {compact}: the files would name another bank"
            }
        )
    return compact


def _check_profile(name: str, account: BankAccountSettings, bic: str | None) -> None:
    """A profile that names the account's bank's guide: its files would be refused otherwise.
    The bank is the one the account's bank code says, else the one `bic` (the BIC the account
    will have) names."""
    from paybot.core.bank_profiles import UnknownBankProfile, held_by, profile_named
    from paybot.core.identifiers import format_account

    try:
        profile = profile_named(name)
    except UnknownBankProfile as refused:
        raise ValidationFailed({"profile": refused.user_message}) from None
    holder = held_by(account.account, bic)
    if holder is not None and not profile.allows_debtor_bic(holder):
        raise ValidationFailed(
            {
                "profile": f"{format_account(account.account)} is held by {holder}, not by "
                f"{profile.display_name} ({', '.join(profile.bics)}): its files would name "
                "another bank than the profile's"
            }
        )


def _name_problem(name: str) -> str | None:
    """Why every payment file would be refused for this company name (each names the company),
    if it would: no letter or digit a file keeps, or a character paybot refuses in any text. A
    file may leave out a character of the company's own name where it writes it."""
    from paybot.core.payee_details import Problem, check_name

    _, problem = check_name(name, None)
    if problem is None or problem.kind is Problem.NOT_SENT:
        return None
    return f"{problem.message} (every payment file names the company)"


def _refuse_unnamed_bank(account: BankAccountSettings) -> None:
    """An account with the agreement for payments out must be one whose files can name its
    bank (see _refuse_unnamed_bank_profile)."""
    if account.outgoing:
        _refuse_unnamed_bank_profile(
            account.account, profile=account.profile, bank=account.bank, bic=account.bic
        )


def _refuse_unnamed_bank_profile(
    account: str, *, profile: str | None, bank: str | None, bic: str | None
) -> None:
    """A named bank's guide writes the bank's BIC as the debtor agent: where neither the
    account's bank code (the register) nor a BIC set says it, every file of the account would
    be refused at dispatch and nothing sent. Said when the setting is made instead."""
    from paybot.core.bank_profiles import account_profile, held_by
    from paybot.core.identifiers import format_account

    chosen, _ = account_profile(profile, bank=bank, bic=bic, account=account)
    if chosen.debtor_agent_not_provided or held_by(account, bic) is not None:
        return
    raise ValidationFailed(
        {
            "bic": f"{format_account(account)}: its bank code is not in the bank register and no "
            f"BIC is set, but {chosen.display_name}'s files name the bank by its BIC: give it "
            f"(--bic {chosen.bics[0]}), or choose the generic profile (--profile generic)"
        }
    )


def _refuse_second_tax_account(uow: UnitOfWork, company: CompanyInfo, account: str) -> None:
    """A company has one tax-withholding account (skattetrekkskonto) at most."""
    others = [a.account for a in uow.bank.accounts(company.id) if a.tax_withholding]
    others = [other for other in others if other != account]
    if others:
        raise ValidationFailed(
            {
                "tax_withholding": f"{company.name} has a tax-withholding account already "
                f"({others[0]}): unmark it first (--no-tax-withholding)"
            }
        )


def add_bank_account(
    uow: UnitOfWork,
    *,
    org_no: str,
    account: str,
    bank: str | None = None,
    tax_withholding: bool = False,
    incoming: bool = False,
    outgoing: bool = False,
    now: datetime,
    actor: Actor = SYSTEM,
) -> BankAccount:
    """Another bank account of the company (e.g. its tax-withholding account); it posts to the
    BANK role's GL account (a tax-withholding one to the TAX_WITHHOLDING role's).

    Raises:
        ValidationFailed: an invalid account number, one the company has, or a second
            tax-withholding account.
    """
    from paybot.core.identifiers import account_problem, compact_account, is_iban_like
    from paybot.core.vouchers import AccountRole
    from paybot.services.proposals import reflag

    problem = account_problem(account)
    if problem:
        raise ValidationFailed({"account": problem})
    compact = compact_account(account)
    bank = (bank or "").strip() or None
    with uow:
        company = company_or_error(uow, org_no)
        if any(a.account == compact for a in company.accounts):
            raise ValidationFailed({"account": f"{company.name} has bank account {account}"})
        if tax_withholding:
            _refuse_second_tax_account(uow, company, compact)
        values: dict[str, Any] = {
            "account": compact,
            "scheme": "iban" if is_iban_like(compact) else "bban",
            "bank": bank,
            "incoming": incoming,
            "outgoing": outgoing,
            "gl_account": uow.postings.accounts(company.id)[AccountRole.BANK],
            "tax_withholding": tax_withholding,
        }
        if outgoing:
            _refuse_unnamed_bank_profile(compact, profile=None, bank=bank, bic=None)
        uow.bank.add_account(company.id, values)
        audit(
            uow,
            actor=actor,
            action="bank_account.add",
            now=now,
            company_id=company.id,
            after=values,
        )
        if tax_withholding:
            reflag(uow, company.id)
        uow.commit()
    return BankAccount(
        account=compact,
        scheme=values["scheme"],
        bank=bank,
        bic=None,
        incoming=incoming,
        outgoing=outgoing,
        gl_account=values["gl_account"],
        tax_withholding=tax_withholding,
    )
