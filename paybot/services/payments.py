"""Acting on payments: approve, delete, restore ("add to bank"), fix, show. Signing, which needs
a one-time code, is in `signing`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from paybot.core.company import CompanyInfo
from paybot.core.errors import (
    ConcurrentChange,
    Fault,
    FieldFault,
    NotFound,
    NotPermitted,
    PaybotError,
    ValidationFailed,
)
from paybot.core.flags import PaymentFacts, completeness_reasons, duplicate_partners
from paybot.core.payee_details import PAYEE_FIELDS, with_changes
from paybot.core.payment_types import PaymentType, payment_type
from paybot.core.payments import PaymentView, Reason, ReferenceType, sorted_reasons
from paybot.core.policy import Actor, require_role
from paybot.core.references import check_payment_details
from paybot.core.signing import editors_after_approval, editors_after_fix
from paybot.core.states import Action, PaymentStatus, allowed_actions, next_status
from paybot.services.common import (
    ActorRef,
    audit,
    company_or_error,
    record_refusal,
    resolve_actor,
    roles_of,
)
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


@dataclass(frozen=True)
class PaymentDetails:
    payment: PaymentView
    history: list[dict[str, Any]]
    # The supplier's open credit notes and earlier payments, to settle before paying.
    open_credit_items: list[dict[str, Any]]
    # Who has signed so far (a payment under dual control waits for a second name).
    signed_by: list[str]
    # The EHF the payment's invoice came as (store/ehf.py's for_payment), if it did.
    ehf: dict[str, Any] | None = None
    # A possible duplicate: the payments it looks like, those whose money left first.
    duplicates_of: tuple[DuplicateOf, ...] = ()


# Statuses of a payment whose money left the company's account.
MONEY_LEFT = frozenset({PaymentStatus.PAID, PaymentStatus.POSTED})


@dataclass(frozen=True)
class DuplicateOf:
    """A payment another looks like (core.flags.duplicate_partners), and when it was paid."""

    payment: PaymentView
    paid_at: datetime | None = None

    @property
    def money_left(self) -> bool:
        """Paid (or posted): paying the other too pays the supplier twice."""
        return self.payment.status in MONEY_LEFT


class BulkAction(Protocol):
    def __call__(
        self, uow: UnitOfWork, *, actor: ActorRef, payment_ids: Sequence[int], now: datetime
    ) -> list[PaymentView]: ...


def approve(
    uow: UnitOfWork, *, actor: ActorRef, payment_ids: Sequence[int], now: datetime
) -> list[PaymentView]:
    """Proposals → Approved, all or none."""
    return _act(uow, actor, payment_ids, Action.APPROVE, now)


def delete(
    uow: UnitOfWork, *, actor: ActorRef, payment_ids: Sequence[int], now: datetime
) -> list[PaymentView]:
    return _act(uow, actor, payment_ids, Action.DELETE, now)


def restore(
    uow: UnitOfWork, *, actor: ActorRef, payment_ids: Sequence[int], now: datetime
) -> list[PaymentView]:
    """Add to bank: a deleted payment goes back to Proposals."""
    return _act(uow, actor, payment_ids, Action.RESTORE, now)


@dataclass(frozen=True)
class Correction:
    """What a fix changes: None leaves a field as it is; "" clears a payee detail."""

    account: str | None = None
    reference_type: ReferenceType | None = None
    reference: str | None = None
    # The payee's details (core.payee_details.PAYEE_FIELDS) given, by field name.
    payee: Mapping[str, str] = field(default_factory=dict)
    urgent: bool | None = None
    # The payee's name, as the payment file names the payee (payments.payee).
    name: str | None = None

    def is_empty(self) -> bool:
        given = (self.account, self.reference_type, self.reference, self.urgent, self.name)
        return all(value is None for value in given) and not self.payee


def fix(
    uow: UnitOfWork,
    *,
    actor: ActorRef,
    payment_id: int,
    account: str | None = None,
    reference_type: ReferenceType | None = None,
    reference: str | None = None,
    street: str | None = None,
    building_no: str | None = None,
    post_code: str | None = None,
    town: str | None = None,
    country: str | None = None,
    bic: str | None = None,
    charge_bearer: str | None = None,
    purpose_code: str | None = None,
    purpose_text: str | None = None,
    urgent: bool | None = None,
    payee: str | None = None,
    now: datetime,
) -> PaymentView:
    """Corrects account, reference type or reference, the payee's name, the payee's details for
    a payment abroad (address, country, the bank's BIC, charge bearer, purpose; "" clears one)
    or whether it is sent as urgent (only a cross-border payment may be); re-validates and
    re-flags. None leaves a field as it is. An approval or signatures given to the old details
    are voided: the payment goes back to Proposals, and the fixer is one of its editors (who
    never sign alone).

    A purpose code goes with its text (a fix leaving one without the other is refused), and
    a domestic payment takes neither. A new name (`payee`) must be one the payment file of the
    payment's type carries as typed (core.payee_details.check_name: a letter or digit kept,
    nothing left out, at most 200 characters): the name the signer sees is the name sent. A
    name changes where the money goes as an account does: the fixer becomes an editor.

    Raises:
        ValidationFailed: nothing given, nothing would change, or a field is wrong (a
            PayeeDetailsInvalid, by field, when a payee detail, the name ("payee") or urgent
            is among them).
    """
    given = {
        "street": street,
        "building_no": building_no,
        "post_code": post_code,
        "town": town,
        "country": country,
        "bic": bic,
        "charge_bearer": charge_bearer,
        "purpose_code": purpose_code,
        "purpose_text": purpose_text,
    }
    correction = Correction(
        account=account,
        reference_type=reference_type,
        reference=reference,
        payee={name: value for name, value in given.items() if value is not None},
        urgent=urgent,
        name=payee,
    )
    if correction.is_empty():
        # The payee's name counts among its details here (the message is older than the name).
        said = "give an account, a reference type, a reference, a payee detail or urgent"
        raise ValidationFailed.of_faults({"fix": FieldFault(Fault.NOTHING_GIVEN, said)})
    try:
        return _fix(uow, actor, payment_id, correction, now)
    except PaybotError as error:
        record_refusal(
            uow, actor=actor, action="fix", payment_ids=[payment_id], error=error, now=now
        )
        raise


def _fix(
    uow: UnitOfWork, actor: ActorRef, payment_id: int, correction: Correction, now: datetime
) -> PaymentView:
    with uow:
        who = resolve_actor(uow, actor)
        payment, company = load_payment(uow, payment_id)
        require_role(who, roles_of(uow, who, company.id), Action.FIX, company.name)
        new_status = next_status(payment.status, Action.FIX, payment_id=payment.id)
        changes = _checked(payment, correction)
        before = {key: _plain(_current(payment, key)) for key in changes}
        if {key: _plain(value) for key, value in changes.items()} == before:
            nothing = FieldFault(Fault.NOTHING_CHANGES, "nothing would change")
            raise ValidationFailed.of_faults({"fix": nothing})
        voided = uow.signatures.void(payment.id, now)
        values: dict[str, Any] = {
            **changes,
            "status": new_status.value,
            "signature_round": payment.signature_round + 1,
            # Every changer is remembered until someone else approves: none of them signs alone.
            # A new BIC or country may send the money elsewhere as a new account does.
            "editors": list(editors_after_fix(payment.editors, who.user_id)),
        }
        approved = payment.approved_by_id is not None
        if approved:
            values.update(approved_by_id=None, approved_at=None)
        details = {"voided_signatures": voided, "voided_approval": approved}
        write_step(
            uow,
            who,
            payment,
            company,
            Action.FIX,
            new_status,
            now,
            values,
            before=before,
            details=details,
        )
        reflag(uow, company.id, {payment.supplier_id})
        result, _ = load_payment(uow, payment.id)
        uow.commit()
    return result


def _checked(payment: PaymentView, correction: Correction) -> dict[str, Any]:
    """The fixed fields in stored form; an urgent payment that is no longer cross-border after
    the fix stops being urgent (only a cross-border payment can be)."""
    account = payment.account if correction.account is None else correction.account
    changes = check_payment_details(
        account=account,
        reference_type=correction.reference_type or payment.reference_type,
        reference=payment.reference if correction.reference is None else correction.reference,
        payee=correction.payee,
        country=payment.payee_details.country,
        currency=payment.currency,
        urgent=correction.urgent,
        current=payment.payee_details,
        # The name shown and given back unchanged (a Fix modal correcting the address only) is
        # left as it is, unjudged: the flags keep saying what is wrong with it.
        name=_new_name(payment, correction.name),
    )
    if correction.urgent is None and payment.urgent:
        country = with_changes(payment.payee_details, changes).country
        kind = payment_type(changes["account"], payment.currency, country)
        if kind is not PaymentType.CROSS_BORDER:
            changes["urgent"] = False
    return changes


def _new_name(payment: PaymentView, typed: str | None) -> str | None:
    """The payee's name a fix gives, None if it gives none or the one the payment has."""
    if typed is None or typed.strip() == payment.payee:
        return None
    return typed


def _current(payment: PaymentView, key: str) -> Any:
    if key in PAYEE_FIELDS:
        return getattr(payment.payee_details, key)
    return getattr(payment, key)


def show(
    uow: UnitOfWork,
    *,
    payment_id: int,
    actor: ActorRef | None = None,
    for_action: Action | None = None,
) -> PaymentDetails:
    """A payment with its history. Shown to `actor` only if they hold a role in its company
    (any role; with `for_action`, one that may do it, as the Fix and Delete modals need): a
    refusal names no payee, amount or account. No actor: the CLI, run by the administrator.

    Raises:
        NotFound: no such payment, or the actor is no paybot user.
        NotPermitted: the actor may not see it (or not do `for_action`).
    """
    with uow:
        who = None if actor is None else resolve_actor(uow, actor)
        payment, company = load_payment(uow, payment_id)
        if who is not None:
            _may_see(uow, who, payment, company, for_action)
        credits = [
            item
            for item in uow.ledger.open_credit_items(payment.supplier_id)
            if item["voucher_no"] != payment.voucher_no
        ]
        return PaymentDetails(
            payment=payment,
            history=uow.audit.for_payment(payment_id),
            open_credit_items=credits,
            signed_by=uow.signatures.names(payment.id, payment.signature_round),
            ehf=uow.ehf.for_payment(payment_id),
            duplicates_of=_duplicates_of(uow, payment),
        )


def _duplicates_of(uow: UnitOfWork, payment: PaymentView) -> tuple[DuplicateOf, ...]:
    """The payments a possible duplicate looks like, by the flags' own rule, the paid ones
    first, then by id; none for a payment not flagged as one."""
    if Reason.POSSIBLE_DUPLICATE not in payment.reasons:
        return ()
    kid = payment.reference if payment.reference_type is ReferenceType.KID else None
    found = uow.payments.duplicate_candidates(
        payment.id, invoice_no=payment.invoice_no, amount=payment.amount, kid=kid
    )
    paid_at = {view.id: at for view, at in found}
    views = {view.id: view for view, _ in found}
    keys = duplicate_partners(_duplicate_facts(payment), map(_duplicate_facts, views.values()))
    twins = [DuplicateOf(views[key], paid_at[key]) for key in keys]
    return tuple(sorted(twins, key=lambda twin: (not twin.money_left, twin.payment.id)))


def _duplicate_facts(payment: PaymentView) -> PaymentFacts:
    """The payment's facts as proposals.reflag flags it: a deleted payment duplicates none."""
    counts = payment.status is not PaymentStatus.DELETED
    return replace(payment_facts(payment), counts_for_duplicates=counts)


def _may_see(
    uow: UnitOfWork,
    who: Actor,
    payment: PaymentView,
    company: CompanyInfo,
    for_action: Action | None,
) -> None:
    roles = roles_of(uow, who, company.id)
    if not roles:
        # Not even the company's name: whose payment it is is the company's business.
        raise NotPermitted(
            f"{who.label} has no role in the company of payment {payment.id}, so paybot "
            "does not show it. An admin of that company can give you one."
        )
    if for_action is not None:
        require_role(who, roles, for_action, company.name)


def _act(
    uow: UnitOfWork, actor: ActorRef, payment_ids: Sequence[int], action: Action, now: datetime
) -> list[PaymentView]:
    ids = list(dict.fromkeys(payment_ids))
    if not ids:
        raise ValidationFailed({"payment": "give at least one payment id"})
    try:
        return _act_all(uow, actor, ids, action, now)
    except PaybotError as error:
        record_refusal(uow, actor=actor, action=action.value, payment_ids=ids, error=error, now=now)
        raise


def _act_all(
    uow: UnitOfWork, actor: ActorRef, ids: list[int], action: Action, now: datetime
) -> list[PaymentView]:
    with uow:
        who = resolve_actor(uow, actor)
        touched: dict[int, set[int]] = {}
        for payment_id in ids:
            payment, company = load_payment(uow, payment_id)
            require_role(who, roles_of(uow, who, company.id), action, company.name)
            new_status = next_status(payment.status, action, payment_id=payment.id)
            values: dict[str, Any] = {"status": new_status.value}
            if action is Action.APPROVE:
                check_complete(payment, payment_facts(payment), "approved")
                editors = editors_after_approval(payment.editors, who.user_id)
                if editors != payment.editors:  # someone who did not change it checked it
                    values["editors"] = list(editors)
            write_step(uow, who, payment, company, action, new_status, now, values)
            touched.setdefault(company.id, set()).add(payment.supplier_id)
        if action in (Action.DELETE, Action.RESTORE):
            # Deleting or restoring changes which payments look like duplicates of each other.
            for company_id, suppliers in touched.items():
                reflag(uow, company_id, suppliers)
        results = [load_payment(uow, payment_id)[0] for payment_id in ids]
        uow.commit()
    return results


def payment_facts(payment: PaymentView) -> PaymentFacts:
    return PaymentFacts(
        key=payment.id,
        supplier_key=payment.supplier_id,
        account=payment.account,
        amount=payment.amount,
        currency=payment.currency,
        reference_type=payment.reference_type,
        reference=payment.reference,
        invoice_no=payment.invoice_no,
        # The payee's country decides whether an account abroad is valid without being an IBAN.
        payee=payment.payee_details,
        payee_name=payment.payee,
    )


def red_reasons(payment: PaymentView, facts: PaymentFacts) -> set[Reason]:
    """What keeps a payment from being approved or signed: its own details, checked again now,
    and what the company's details make red (a tax-withholding account its bank does not
    support: flagged with the company's accounts, and flagged again when they change; a missing
    purpose, which depends on the day's rates: flagged with them)."""
    return completeness_reasons(facts) | {r for r in payment.reasons if r.is_blocking}


def check_complete(payment: PaymentView, facts: PaymentFacts, verb: str) -> None:
    """A red payment cannot be approved or signed: say what to fix."""
    missing = sorted_reasons(red_reasons(payment, facts))
    if missing:
        what = "; ".join(_in_sentence(reason.description) for reason in missing)
        raise ValidationFailed(
            {"payment": what},
            f"Payment {payment.id} cannot be {verb} until it is fixed: {what}.",
        )


def _in_sentence(text: str) -> str:
    """A reason's text inside a sentence: its first letter in lower case, unless its first word
    is an abbreviation ("KID ..."); the rest as written ("IBAN", "NOK", "Norges Bank")."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def write_step(
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
    details: dict[str, Any] | None = None,
    audit_action: Action | None = None,
) -> None:
    """Compare-and-set the payment, then audit; a lost race changes nothing and says why."""
    values = {**values, "updated_at": now}
    step = _STEP_COLUMNS.get(action)  # taking a signature back is no step of its own
    if step is not None:
        values.update({f"{step}_by_id": who.user_id, f"{step}_at": now})
    if not uow.payments.compare_and_set(payment.id, payment.version, values):
        _raise_lost_race(uow, payment.id, action)
    after = {key: _plain(values[key]) for key in (before or {})}
    audit(
        uow,
        actor=who,
        action=f"payment.{(audit_action or action).value}",
        now=now,
        company_id=company.id,
        payment_id=payment.id,
        before={**(before or {}), "status": payment.status.value, "version": payment.version},
        after={**after, "status": new_status.value, "version": payment.version + 1},
        details=details,
    )


def _raise_lost_race(uow: UnitOfWork, payment_id: int, action: Action) -> None:
    current, _ = load_payment(uow, payment_id)
    if action not in allowed_actions(current.status):
        next_status(current.status, action, payment_id=payment_id)  # raises, naming the state
    raise ConcurrentChange(
        f"Payment {payment_id} was changed by someone else just now (it is "
        f"{current.status.value}); nothing was done. Look again and retry."
    )


def load_payment(
    uow: UnitOfWork, payment_id: int, *, lock: bool = False
) -> tuple[PaymentView, CompanyInfo]:
    """The payment and its company; `lock` holds the payment's row to the end of the unit of
    work (PostgreSQL), so one racing to change it waits and then sees the change."""
    payment = uow.payments.get(payment_id, lock=lock)
    if payment is None:
        raise NotFound(f"There is no payment {payment_id}.")
    return payment, company_or_error(uow, payment.company_org_no)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, ReferenceType) else value
