"""Posting paid payments to the ledger (Bokfør), and the GL accounts a company posts to.

`post` turns Paid payments into vouchers in one transaction: all of them or none. Each payment
goes Paid → Posted (compare-and-set), its supplier's open item closes, and an audit event names
its voucher. A payment posted already is refused with the voucher it was posted as.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from paybot.core.banks import bank_gl_account
from paybot.core.company import CompanyInfo
from paybot.core.errors import (
    ConcurrentChange,
    InvalidTransition,
    NotFound,
    PaybotError,
    ValidationFailed,
)
from paybot.core.identifiers import compact_account
from paybot.core.policy import Actor
from paybot.core.posting import (
    AlreadyPosted,
    PaidPayment,
    PostingAccounts,
    RateTable,
    VoucherDraft,
    VoucherRef,
    require_posting_role,
    vouchers_for,
)
from paybot.core.states import Action, PaymentStatus, next_status
from paybot.core.vouchers import AccountRole, Party, Voucher
from paybot.services.common import (
    SYSTEM,
    ActorRef,
    audit,
    company_or_error,
    record_refusal,
    resolve_actor,
    roles_of,
)
from paybot.store.uow import UnitOfWork

if TYPE_CHECKING:
    from paybot.store.ledger_posting import PaymentToPost

# A GL account number: digits, as the Norwegian standard chart's (1920) or longer sub-accounts.
_GL_ACCOUNT = re.compile(r"\d{3,10}")
# `--set bank:ACCOUNT=GL` names one of the company's bank accounts.
_BANK_ACCOUNT_KEY = "bank:"


def post(
    uow: UnitOfWork,
    *,
    actor: ActorRef,
    company_org_no: str,
    payment_ids: Sequence[int] | None = None,
    batch: int | None = None,
    now: datetime,
    zone: ZoneInfo,
) -> list[Voucher]:
    """Posts the company's Paid payments: these, or those of batch number `batch`, or (neither
    given) every one; returns the vouchers, in number order. A voucher's date is the business
    day (in `zone`) its payment was paid; per batch, the day the last of them was.

    Raises:
        NotPermitted: the actor is not an approver, signer or admin of the company.
        AlreadyPosted: a payment given (or every payment of the batch) is posted already.
        InvalidTransition: a payment given is not Paid.
        MissingRate: a payment in another currency has no rate to use.
    """
    if payment_ids is not None and batch is not None:
        raise ValidationFailed({"payments": "give payment ids or a batch, not both"})
    ids = None if payment_ids is None else list(dict.fromkeys(payment_ids))
    if ids is not None and not ids:
        raise ValidationFailed({"payments": "give at least one payment id"})
    try:
        return _post(uow, actor, company_org_no, ids, batch, now, zone)
    except PaybotError as error:
        record_refusal(
            uow, actor=actor, action=Action.POST.value, payment_ids=ids or [], error=error, now=now
        )
        raise


def _post(
    uow: UnitOfWork,
    actor: ActorRef,
    org_no: str,
    ids: list[int] | None,
    batch: int | None,
    now: datetime,
    zone: ZoneInfo,
) -> list[Voucher]:
    with uow:
        who = resolve_actor(uow, actor)
        company = company_or_error(uow, org_no)
        require_posting_role(who, roles_of(uow, who, company.id), company.name)
        to_post = _paid(uow, company, ids, batch)
        if not to_post:
            return []
        accounts = uow.postings.accounts(company.id)
        payments = [_paid_payment(row, company, accounts, zone, now) for row in to_post]
        foreign = {p.currency for p in payments if p.currency != company.currency}
        rates = RateTable(company.currency, uow.postings.rate_history(foreign, company.currency))
        drafts = vouchers_for(
            payments,
            mode=company.posting_mode,
            company_currency=company.currency,
            accounts=PostingAccounts.of(accounts),
            rates=rates,
        )
        numbered = _numbered(uow, company.id, drafts)
        uow.postings.add_vouchers(
            company.id,
            numbered,
            posted_by_id=who.user_id,
            posted_by=who.label,
            now=now,
            supplier_ids={row.id: row.supplier_id for row in to_post},
        )
        posted_ids = [row.id for row in to_post]
        if uow.postings.mark_posted(posted_ids, now) != len(posted_ids):
            raise ConcurrentChange(  # never expected: the payments are locked
                "A payment was changed by someone else just now; nothing was posted. Retry."
            )
        uow.postings.close_items([row.open_item_id for row in to_post])
        _audit(uow, who, company, numbered, {row.id: row.version for row in to_post}, now)
        uow.commit()
    return [
        Voucher(
            company_org_no=company.org_no,
            number=ref.number,
            day=draft.day,
            text=draft.text,
            lines=draft.lines,
            payment_ids=draft.payment_ids,
        )
        for ref, draft in numbered
    ]


def _paid(
    uow: UnitOfWork, company: CompanyInfo, ids: list[int] | None, batch: int | None
) -> list[PaymentToPost]:
    """The payments to post, locked; refuses the whole posting if one given cannot be."""
    if batch is None:
        found = uow.postings.lock_payments(company.id, payment_ids=ids)
        if ids is None:
            return found
        missing = sorted(set(ids) - {row.id for row in found})
        if missing:
            raise NotFound(
                f"{company.name} has no payment {', '.join(map(str, missing))}; nothing was posted."
            )
        _refuse_posted(uow, [row.id for row in found if row.status is PaymentStatus.POSTED])
        for row in found:
            next_status(row.status, Action.POST, payment_id=row.id)  # raises unless Paid
        return found
    batch_id = uow.postings.batch_id(company.id, batch)
    if batch_id is None:
        raise NotFound(f"{company.name} has no batch {batch}.")
    found = uow.postings.lock_payments(company.id, batch_id=batch_id)
    paid = [row for row in found if row.status is PaymentStatus.PAID]
    if paid:
        return paid
    _refuse_posted(uow, [row.id for row in found if row.status is PaymentStatus.POSTED], batch)
    states = ", ".join(sorted({row.status.value for row in found})) or "none"
    raise InvalidTransition(
        f"Batch {batch} has no paid payment to post (its payments are: {states})."
    )


def _refuse_posted(uow: UnitOfWork, posted: list[int], batch: int | None = None) -> None:
    if posted:
        raise AlreadyPosted(uow.postings.vouchers_of(posted), batch=batch)


def _paid_payment(
    row: PaymentToPost,
    company: CompanyInfo,
    roles: Mapping[AccountRole, str],
    zone: ZoneInfo,
    now: datetime,
) -> PaidPayment:
    """`roles`: the company's GL accounts; a payment sent from no known bank account is
    credited to the BANK role's, one from the tax-withholding account to its own GL account
    or else the TAX_WITHHOLDING role's."""
    # What the bank booked counts as the value paid only in the company's own currency.
    bank_amount = (
        row.booked_amount
        if row.currency != company.currency and row.booked_currency == company.currency
        else None
    )
    return PaidPayment(
        id=row.id,
        supplier=Party("supplier", row.supplier_name, row.supplier_org_no),
        amount=row.amount,
        currency=row.currency,
        paid_on=(row.paid_at or now).astimezone(zone).date(),
        bank_account=bank_gl_account(
            row.bank_gl_account, tax_withholding=row.bank_tax_withholding, roles=roles
        ),
        batch=row.batch,
        invoice_no=row.invoice_no,
        invoice_date=row.invoice_date,
        bank_amount=bank_amount,
    )


_BANK = AccountRole.BANK


def _numbered(
    uow: UnitOfWork, company_id: int, drafts: Sequence[VoucherDraft]
) -> list[tuple[VoucherRef, VoucherDraft]]:
    """Numbers from each year's series, in the drafts' order (by date within a year)."""
    counts = Counter(draft.day.year for draft in drafts)
    next_of = {
        year: uow.postings.take_numbers(company_id, year, count)
        for year, count in sorted(counts.items())
    }
    numbered = []
    for draft in drafts:
        year = draft.day.year
        numbered.append((VoucherRef(year, next_of[year]), draft))
        next_of[year] += 1
    return numbered


def _audit(
    uow: UnitOfWork,
    who: Actor,
    company: CompanyInfo,
    numbered: Sequence[tuple[VoucherRef, VoucherDraft]],
    versions: Mapping[int, int],
    now: datetime,
) -> None:
    """An event per payment posted, naming its voucher."""
    paid, posted = PaymentStatus.PAID.value, PaymentStatus.POSTED.value
    uow.audit.add_many(
        [
            {
                "at": now,
                "company_id": company.id,
                "payment_id": payment_id,
                "actor_id": who.user_id,
                "actor_label": who.label,
                "action": _POSTED,
                "before": {"status": paid, "version": versions[payment_id]},
                "after": {"status": posted, "version": versions[payment_id] + 1},
                "details": {"voucher": ref.number, "year": ref.year, "day": draft.day.isoformat()},
            }
            for ref, draft in numbered
            for payment_id in draft.payment_ids
        ]
    )


_POSTED = f"payment.{Action.POST.value}"


# --- GL accounts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GlAccounts:
    """A company's GL accounts: one per role, and each bank account's own."""

    company_org_no: str
    roles: dict[AccountRole, str]
    bank_accounts: tuple[tuple[str, str], ...]  # (bank account, its GL account)


def accounts(uow: UnitOfWork, *, company_org_no: str) -> GlAccounts:
    with uow:
        company = company_or_error(uow, company_org_no)
        return _accounts(uow, company)


def _accounts(uow: UnitOfWork, company: CompanyInfo) -> GlAccounts:
    """The roles' accounts, and each bank account's: the tax-withholding account's is the
    TAX_WITHHOLDING role's unless it has its own."""
    roles = uow.postings.accounts(company.id)
    return GlAccounts(
        company_org_no=company.org_no,
        roles=roles,
        bank_accounts=tuple(
            (
                a.account,
                bank_gl_account(a.gl_account, tax_withholding=a.tax_withholding, roles=roles),
            )
            for a in company.accounts
        ),
    )


def set_accounts(
    uow: UnitOfWork,
    *,
    company_org_no: str,
    changes: Mapping[str, str],
    now: datetime,
    actor: Actor = SYSTEM,
) -> GlAccounts:
    """Sets GL accounts: `changes` maps a role (core.vouchers.AccountRole's values) or
    "bank:<bank account>" to an account number. The bank accounts that used the BANK role's
    account follow a new one (a bank account set on its own keeps its own).

    Raises:
        ValidationFailed: an unknown role or bank account, or an account that is no number.
    """
    roles, banks, errors = _parse_changes(changes)
    if errors:
        raise ValidationFailed(errors)
    with uow:
        company = company_or_error(uow, company_org_no)
        before = _accounts(uow, company)
        known = dict(before.bank_accounts)
        unknown = [account for account in banks if account not in known]
        if unknown:
            names = ", ".join(known) or "none"
            raise ValidationFailed(
                {"bank": f"{company.name} has no bank account {unknown[0]} (it has: {names})"}
            )
        uow.postings.set_accounts(company.id, roles, now)
        if _BANK in roles and roles[_BANK] != before.roles[_BANK]:
            uow.postings.set_bank_gl_account(company.id, roles[_BANK], was=before.roles[_BANK])
        for account, gl in banks.items():
            uow.postings.set_bank_gl_account(company.id, gl, account=account)
        audit(
            uow,
            actor=actor,
            action="company.accounts",
            now=now,
            company_id=company.id,
            before={
                **{role.value: before.roles[role] for role in roles},
                **{f"{_BANK_ACCOUNT_KEY}{a}": known[a] for a in banks},
            },
            after={
                **{role.value: account for role, account in roles.items()},
                **{f"{_BANK_ACCOUNT_KEY}{a}": gl for a, gl in banks.items()},
            },
        )
        new_roles = uow.postings.accounts(company.id)
        old_bank = before.roles[_BANK]
        new_bank = roles.get(_BANK, old_bank)
        bank_accounts = tuple(
            (
                a.account,
                bank_gl_account(
                    banks.get(a.account, new_bank if a.gl_account == old_bank else a.gl_account),
                    tax_withholding=a.tax_withholding,
                    roles=new_roles,
                ),
            )
            for a in company.accounts
        )
        updated = GlAccounts(company.org_no, new_roles, bank_accounts)
        uow.commit()
    return updated


def _parse_changes(
    changes: Mapping[str, str],
) -> tuple[dict[AccountRole, str], dict[str, str], dict[str, str]]:
    roles: dict[AccountRole, str] = {}
    banks: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, value in changes.items():
        name, account = key.strip().lower(), value.strip()
        if not _GL_ACCOUNT.fullmatch(account):
            errors[name or "role"] = f"{value!r} is not a GL account number (3 to 10 digits)"
        elif name.startswith(_BANK_ACCOUNT_KEY):
            banks[compact_account(name.removeprefix(_BANK_ACCOUNT_KEY))] = account
        else:
            try:
                roles[AccountRole(name)] = account
            except ValueError:
                choices = ", ".join(role.value for role in AccountRole)
                errors[name or "role"] = f"{key!r} is not a role ({choices}) nor bank:ACCOUNT"
    if not changes:
        errors["accounts"] = "give at least one ROLE=ACCOUNT"
    return roles, banks, errors
