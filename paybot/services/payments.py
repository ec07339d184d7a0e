"""Acting on payments: approve, sign, delete, restore ("add to bank"), fix, show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from paybot.core.company import CompanyInfo
from paybot.core.errors import ConcurrentChange, NotFound, ValidationFailed
from paybot.core.flags import PaymentFacts, completeness_reasons
from paybot.core.payments import PaymentView, ReferenceType, sorted_reasons
from paybot.core.policy import Actor, require_role
from paybot.core.references import check_payment_details
from paybot.core.states import Action, PaymentStatus, allowed_actions, next_status
from paybot.services.common import ActorRef, audit, company_or_error, resolve_actor, roles_of
from paybot.services.proposals import reflag
from paybot.store.uow import UnitOfWork

# Who and when of each step, as columns of the payment.
_STEP_COLUMNS: dict[Action, str] = {
    Action.APPROVE: "approved",
    Action.SIGN: "signed",
    Action.DELETE: "deleted",
    Action.RESTORE: "restored",
    Action.FIX: "changed",
}
_PAST = {Action.APPROVE: "approved", Action.SIGN: "signed"}


@dataclass(frozen=True)
class PaymentDetails:
    payment: PaymentView
    history: list[dict[str, Any]]
    # The supplier's open credit notes and earlier payments, to settle before paying.
    open_credit_items: list[dict[str, Any]]


def approve(
    uow: UnitOfWork, *, actor: ActorRef, payment_ids: Sequence[int], now: datetime
) -> list[PaymentView]:
    """Proposals → Approved, all or none."""
    return _act(uow, actor, payment_ids, Action.APPROVE, now)


def sign(
    uow: UnitOfWork, *, actor: ActorRef, payment_ids: Sequence[int], now: datetime
) -> list[PaymentView]:
    """Proposals, Approved or Failed → Due, all or none."""
    return _act(uow, actor, payment_ids, Action.SIGN, now)


def delete(
    uow: UnitOfWork, *, actor: ActorRef, payment_ids: Sequence[int], now: datetime
) -> list[PaymentView]:
    return _act(uow, actor, payment_ids, Action.DELETE, now)


def restore(
    uow: UnitOfWork, *, actor: ActorRef, payment_ids: Sequence[int], now: datetime
) -> list[PaymentView]:
    """Add to bank: a deleted payment goes back to Proposals."""
    return _act(uow, actor, payment_ids, Action.RESTORE, now)


def fix(
    uow: UnitOfWork,
    *,
    actor: ActorRef,
    payment_id: int,
    account: str | None = None,
    reference_type: ReferenceType | None = None,
    reference: str | None = None,
    now: datetime,
) -> PaymentView:
    """Corrects account, reference type or reference; re-validates and re-flags. An approval
    of the old details is voided (the payment goes back to Proposals)."""
    if account is None and reference_type is None and reference is None:
        raise ValidationFailed({"fix": "give an account, a reference type or a reference"})
    with uow:
        who = resolve_actor(uow, actor)
        payment, company = _load(uow, payment_id)
        require_role(who, roles_of(uow, who, company.id), Action.FIX, company.name)
        new_status = next_status(payment.status, Action.FIX, payment_id=payment.id)
        changes = check_payment_details(
            account=payment.account if account is None else account,
            reference_type=reference_type or payment.reference_type,
            reference=payment.reference if reference is None else reference,
        )
        before = {key: _plain(getattr(payment, key)) for key in changes}
        if {key: _plain(value) for key, value in changes.items()} == before:
            raise ValidationFailed({"fix": "nothing would change"})
        values: dict[str, Any] = {**changes, "status": new_status.value}
        if payment.status is PaymentStatus.APPROVED:
            values.update(approved_by_id=None, approved_at=None)
        _write(uow, who, payment, company, Action.FIX, new_status, now, values, before=before)
        reflag(uow, company.id, {payment.supplier_id})
        result = _reload(uow, payment.id)
        uow.commit()
    return result


def show(uow: UnitOfWork, *, payment_id: int) -> PaymentDetails:
    with uow:
        payment, _ = _load(uow, payment_id)
        credits = [
            item
            for item in uow.ledger.open_credit_items(payment.supplier_id)
            if item["voucher_no"] != payment.voucher_no
        ]
        return PaymentDetails(
            payment=payment, history=uow.audit.for_payment(payment_id), open_credit_items=credits
        )


def _act(
    uow: UnitOfWork, actor: ActorRef, payment_ids: Sequence[int], action: Action, now: datetime
) -> list[PaymentView]:
    ids = list(dict.fromkeys(payment_ids))
    if not ids:
        raise ValidationFailed({"payment": "give at least one payment id"})
    with uow:
        who = resolve_actor(uow, actor)
        touched: dict[int, set[int]] = {}
        for payment_id in ids:
            payment, company = _load(uow, payment_id)
            require_role(who, roles_of(uow, who, company.id), action, company.name)
            new_status = next_status(payment.status, action, payment_id=payment.id)
            _check_ready(payment, company, action)
            values = {"status": new_status.value}
            _write(uow, who, payment, company, action, new_status, now, values)
            touched.setdefault(company.id, set()).add(payment.supplier_id)
        if action in (Action.DELETE, Action.RESTORE):
            # Deleting or restoring changes which payments look like duplicates of each other.
            for company_id, suppliers in touched.items():
                reflag(uow, company_id, suppliers)
        results = [_reload(uow, payment_id) for payment_id in ids]
        uow.commit()
    return results


def _check_ready(payment: PaymentView, company: CompanyInfo, action: Action) -> None:
    """Approving and signing need a complete payment (not red); signing may need an approval."""
    if action not in (Action.APPROVE, Action.SIGN):
        return
    facts = PaymentFacts(
        key=payment.id,
        supplier_key=payment.supplier_id,
        account=payment.account,
        amount=payment.amount,
        currency=payment.currency,
        reference_type=payment.reference_type,
        reference=payment.reference,
        invoice_no=payment.invoice_no,
    )
    missing = sorted_reasons(completeness_reasons(facts))
    if missing:
        what = "; ".join(reason.description.lower() for reason in missing)
        raise ValidationFailed(
            {"payment": what},
            f"Payment {payment.id} cannot be {_PAST[action]} until it is fixed: {what}.",
        )
    if (
        action is Action.SIGN
        and company.approval_required
        and payment.status is PaymentStatus.PROPOSED
    ):
        raise ValidationFailed(
            {"payment": "needs approval first"},
            f"{company.name} requires an approval before signing; payment {payment.id} "
            "is not approved yet.",
        )


def _write(
    uow: UnitOfWork,
    who: Actor,
    payment: PaymentView,
    company: CompanyInfo,
    action: Action,
    new_status: PaymentStatus,
    now: datetime,
    values: dict[str, Any],
    *,
    before: dict[str, Any] | None = None,
) -> None:
    """Compare-and-set the payment, then audit; a lost race changes nothing and says why."""
    step = _STEP_COLUMNS[action]
    values = {**values, f"{step}_by_id": who.user_id, f"{step}_at": now, "updated_at": now}
    if not uow.payments.compare_and_set(payment.id, payment.version, values):
        _raise_lost_race(uow, payment.id, action)
    after = {key: _plain(values[key]) for key in (before or {})}
    audit(
        uow,
        actor=who,
        action=f"payment.{action.value}",
        now=now,
        company_id=company.id,
        payment_id=payment.id,
        before={**(before or {}), "status": payment.status.value, "version": payment.version},
        after={**after, "status": new_status.value, "version": payment.version + 1},
    )


def _raise_lost_race(uow: UnitOfWork, payment_id: int, action: Action) -> None:
    current = _reload(uow, payment_id)
    if action not in allowed_actions(current.status):
        next_status(current.status, action, payment_id=payment_id)  # raises, naming the state
    raise ConcurrentChange(
        f"Payment {payment_id} was changed by someone else just now (it is "
        f"{current.status.label.lower()}); nothing was done. Look again and retry."
    )


def _load(uow: UnitOfWork, payment_id: int) -> tuple[PaymentView, CompanyInfo]:
    payment = uow.payments.get(payment_id)
    if payment is None:
        raise NotFound(f"There is no payment {payment_id}.")
    return payment, company_or_error(uow, payment.company_org_no)


def _reload(uow: UnitOfWork, payment_id: int) -> PaymentView:
    payment = uow.payments.get(payment_id)
    if payment is None:  # pragma: no cover - payments are never removed
        raise NotFound(f"There is no payment {payment_id}.")
    return payment


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, ReferenceType) else value


class BulkAction(Protocol):
    def __call__(
        self, uow: UnitOfWork, *, actor: ActorRef, payment_ids: Sequence[int], now: datetime
    ) -> list[PaymentView]: ...
